import type { SuiteContext } from './context.js'
import { entryOf, wait } from './context.js'

/** Entries disappear once `expiresAt` passes, in real time (the suite also runs against Redis). */
export function ttlTests(ctx: SuiteContext): void {
  const { runner, test, options } = ctx
  const { expect } = runner
  const slack = options.ttlSlackMs ?? 0

  runner.describe('ttl', () => {
    test('get() and getMany() return undefined once expiresAt has passed', async (store, names) => {
      const now = Date.now()
      await store.set(names.key('short'), entryOf('short', { staleAt: now + 30, expiresAt: now + 60 }))
      await store.set(names.key('long'), entryOf('long'))
      expect((await store.get(names.key('short')))?.value).toBe('short')
      await wait(150 + slack)
      expect(await store.get(names.key('short'))).toBeUndefined()
      const [short, long] = await store.getMany([names.key('short'), names.key('long')])
      expect(short).toBeUndefined()
      expect(long?.value).toBe('long')
    })

    test('set() replaces the expiry of an overwritten entry', async (store, names) => {
      const now = Date.now()
      await store.set(names.key('k'), entryOf('short', { staleAt: now + 30, expiresAt: now + 60 }))
      await store.set(names.key('k'), entryOf('long'))
      await wait(150 + slack)
      expect((await store.get(names.key('k')))?.value).toBe('long')
    })
  })
}
