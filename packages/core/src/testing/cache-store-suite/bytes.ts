import { skipWithReason } from '../runner.js'
import type { SuiteContext } from './context.js'
import { entryOf } from './context.js'

const MAX_BYTES = 64 * 1024
const VALUE_CHARS = 1024
const INSERTS = 400

/** A byte-bounded store stays under its bound however much is written (needs `boundedFactory`). */
export function bytesTests(ctx: SuiteContext): void {
  const { runner, test, options } = ctx
  const { expect } = runner
  const bounded = options.boundedFactory

  runner.describe('bytes', () => {
    if (bounded === undefined) {
      skipWithReason(runner, 'bytes bound', 'no boundedFactory option was given')
      return
    }
    const create = () => bounded(MAX_BYTES)

    test(
      `set() keeps the store under maxBytes=${MAX_BYTES} after ${INSERTS} writes of ~1 KB`,
      async (store, names) => {
        const keys = Array.from({ length: INSERTS }, (_, i) => names.key(`k${i}`))
        for (const [i, key] of keys.entries()) await store.set(key, entryOf(String(i).padEnd(VALUE_CHARS, 'x')))
        const stats = store.stats?.()
        if (stats !== undefined) expect(stats.bytes).toBeLessThanOrEqual(MAX_BYTES)
        const present = (await store.getMany(keys)).filter((entry) => entry !== undefined).length
        expect(present).toBeGreaterThan(0)
        expect(present).toBeLessThan(INSERTS)
        // The most recent write survives: eviction takes older entries first.
        expect((await store.get(keys[INSERTS - 1] as string))?.value).toBe(String(INSERTS - 1).padEnd(VALUE_CHARS, 'x'))
      },
      create,
    )

    test(
      'set() does not store a single entry larger than maxBytes',
      async (store, names) => {
        await store.set(names.key('small'), entryOf('small'))
        await store.set(names.key('huge'), entryOf('x'.repeat(MAX_BYTES * 2)))
        expect(await store.get(names.key('huge'))).toBeUndefined()
        expect((await store.get(names.key('small')))?.value).toBe('small')
      },
      create,
    )
  })
}
