import type { CacheStore } from '../../cache/types.js'
import { skipWithReason } from '../runner.js'
import type { Names, SuiteContext } from './context.js'
import { entryOf } from './context.js'

type TagStore = CacheStore & Required<Pick<CacheStore, 'invalidateTags' | 'getTagInvalidations'>>

/** Tag invalidation times, for stores with `capabilities.tags`. */
export function tagsTests(ctx: SuiteContext): void {
  const { runner, capabilities } = ctx
  const { expect } = runner

  runner.describe('tags', () => {
    if (capabilities.tags === false) {
      skipWithReason(runner, 'tag invalidation', 'the store declares capabilities.tags = false')
      return
    }
    const test = (name: string, body: (store: TagStore, names: Names) => Promise<void>): void =>
      ctx.test(name, async (store, names) => {
        if (!store.capabilities.tags) {
          throw new Error(
            '[perf:testing] cacheStoreSuite: the store has capabilities.tags = false, which the suite could not know at ' +
              'registration (async factory); pass options.capabilities = { tags: false } to skip the tags group visibly',
          )
        }
        expect(typeof store.invalidateTags).toBe('function')
        expect(typeof store.getTagInvalidations).toBe('function')
        await body(store as TagStore, names)
      })

    test('getTagInvalidations() returns 0 for tags never invalidated', async (store, names) => {
      expect(await store.getTagInvalidations([names.tag('a'), names.tag('b')])).toEqual([0, 0])
    })

    test('invalidateTags() records the time; getTagInvalidations() returns it per tag in order', async (store, names) => {
      const at = Date.now()
      await store.invalidateTags([names.tag('a'), names.tag('b')], at)
      expect(await store.getTagInvalidations([names.tag('b'), names.tag('never'), names.tag('a')])).toEqual([at, 0, at])
    })

    test('invalidateTags() keeps the latest time when an older invalidation arrives later', async (store, names) => {
      const at = Date.now()
      await store.invalidateTags([names.tag('a')], at)
      await store.invalidateTags([names.tag('a')], at - 1000)
      expect(await store.getTagInvalidations([names.tag('a')])).toEqual([at])
    })

    test('get() and getMany() fill tagsInvalidatedAt with the latest invalidation of the entry tags', async (store, names) => {
      const at = Date.now()
      await store.set(names.key('k'), entryOf('v', { createdAt: at - 5000, tags: [names.tag('a'), names.tag('b')] }))
      await store.invalidateTags([names.tag('a')], at - 100)
      await store.invalidateTags([names.tag('b')], at)
      await store.invalidateTags([names.tag('unrelated')], at + 100)
      expect((await store.get(names.key('k')))?.tagsInvalidatedAt).toBe(at)
      const [read] = await store.getMany([names.key('k')])
      expect(read?.tagsInvalidatedAt).toBe(at)
    })

    test('get() leaves tagsInvalidatedAt unset or 0 while no tag of the entry was invalidated', async (store, names) => {
      await store.set(names.key('k'), entryOf('v', { tags: [names.tag('fresh')] }))
      const read = await store.get(names.key('k'))
      expect(read?.value).toBe('v')
      expect(read?.tagsInvalidatedAt ?? 0).toBe(0)
    })
  })
}
