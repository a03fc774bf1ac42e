import type { SuiteContext } from './context.js'
import { entryOf } from './context.js'

/** getMany keeps the order and length of its keys. */
export function getManyTests(ctx: SuiteContext): void {
  const { runner, test } = ctx
  const { expect } = runner

  runner.describe('getMany', () => {
    test('getMany() returns entries in key order with undefined for missing keys', async (store, names) => {
      await store.set(names.key('a'), entryOf('A'))
      await store.set(names.key('c'), entryOf('C'))
      const read = await store.getMany([names.key('c'), names.key('b'), names.key('a'), names.key('d')])
      expect(read).toHaveLength(4)
      expect(read.map((entry) => entry?.value)).toEqual(['C', undefined, 'A', undefined])
    })

    test('getMany() answers duplicate keys at every position', async (store, names) => {
      await store.set(names.key('a'), entryOf('A'))
      const read = await store.getMany([names.key('a'), names.key('missing'), names.key('a')])
      expect(read.map((entry) => entry?.value)).toEqual(['A', undefined, 'A'])
    })

    test('getMany() returns an empty array for no keys', async (store) => {
      expect(await store.getMany([])).toEqual([])
    })

    test('getMany() returns the same fields as get()', async (store, names) => {
      const written = entryOf({ n: 1 }, { tags: ['t'] })
      await store.set(names.key('a'), written)
      const [read] = await store.getMany([names.key('a')])
      expect(read?.value).toEqual({ n: 1 })
      expect(read?.createdAt).toBe(written.createdAt)
      expect(read?.staleAt).toBe(written.staleAt)
      expect(read?.expiresAt).toBe(written.expiresAt)
      expect(read?.tags).toEqual(['t'])
    })
  })
}
