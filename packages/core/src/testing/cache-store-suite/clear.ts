import type { SuiteContext } from './context.js'
import { entryOf } from './context.js'

/** clear() with and without a prefix. */
export function clearTests(ctx: SuiteContext): void {
  const { runner, test } = ctx
  const { expect } = runner

  runner.describe('clear', () => {
    test('clear() removes every entry', async (store, names) => {
      const keys = [names.key('a'), names.key('b'), `${names.prefix}other:c`]
      for (const key of keys) await store.set(key, entryOf(key))
      await store.clear()
      expect(await store.getMany(keys)).toEqual([undefined, undefined, undefined])
    })

    test('clear(prefix) removes the keys starting with prefix and keeps the others', async (store, names) => {
      const users = [names.key('user:1'), names.key('user:2')]
      const posts = [names.key('post:1'), names.key('usr')]
      for (const key of [...users, ...posts]) await store.set(key, entryOf(key))
      await store.clear(names.key('user:'))
      expect(await store.getMany(users)).toEqual([undefined, undefined])
      expect((await store.getMany(posts)).map((entry) => entry?.value)).toEqual(posts)
    })
  })
}
