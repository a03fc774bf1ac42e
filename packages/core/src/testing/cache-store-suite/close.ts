import type { SuiteContext } from './context.js'
import { entryOf } from './context.js'

/** close() releases the store and may be called more than once. */
export function closeTests(ctx: SuiteContext): void {
  const { runner, test } = ctx
  const { expect } = runner

  runner.describe('close', () => {
    test('close() resolves and a second close() is harmless', async (store, names) => {
      await store.set(names.key('k'), entryOf('v'))
      expect(store.close === undefined || typeof store.close === 'function').toBe(true)
      await store.close?.()
      await store.close?.()
    })
  })
}
