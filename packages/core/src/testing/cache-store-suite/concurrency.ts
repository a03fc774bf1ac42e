import type { SuiteContext } from './context.js'
import { entryOf } from './context.js'

const OPERATIONS = 200
const KEYS = 20

/** Parallel writes and reads never mix up keys, and the last write per key wins. */
export function concurrencyTests(ctx: SuiteContext): void {
  const { runner, test } = ctx
  const { expect } = runner

  runner.describe('concurrency', () => {
    test(`${OPERATIONS} parallel set()/get() on ${KEYS} keys read only values written for that key and keep the last write`, async (store, names) => {
      const keys = Array.from({ length: KEYS }, (_, i) => names.key(`k${i}`))
      const valueOf = (i: number): string => `${i % KEYS}:${i}`
      const reads = await Promise.all(
        Array.from({ length: OPERATIONS }, async (_, i) => {
          const key = keys[i % KEYS] as string
          // Every task issues its set() synchronously, so writes reach the store in task order.
          await store.set(key, entryOf(valueOf(i)))
          return { slot: i % KEYS, entry: await store.get(key) }
        }),
      )
      for (const { slot, entry } of reads) {
        expect(typeof entry?.value).toBe('string')
        expect((entry?.value as string).split(':')[0]).toBe(String(slot))
      }
      const final = await store.getMany(keys)
      expect(final.map((entry) => entry?.value)).toEqual(keys.map((_, slot) => valueOf(OPERATIONS - KEYS + slot)))
    })

    test('parallel delete() of one key counts it once', async (store, names) => {
      await store.set(names.key('k'), entryOf('v'))
      const counts = await Promise.all(Array.from({ length: 10 }, () => store.delete([names.key('k')])))
      expect(counts.reduce((sum, n) => sum + n, 0)).toBe(1)
    })
  })
}
