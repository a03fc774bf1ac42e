import type { CacheStore } from '../../cache/types.js'
import { skipWithReason } from '../runner.js'
import type { Names, SuiteContext } from './context.js'
import { entryOf } from './context.js'

type TagStore = CacheStore & Required<Pick<CacheStore, 'invalidateTags'>>

/** Tag invalidation, for stores with `capabilities.tags`: the store itself never returns an invalidated entry. */
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
        await body(store as TagStore, names)
      })

    test('invalidateTags() makes get() and getMany() miss every entry carrying the tag, and only those', async (store, names) => {
      await store.set(names.key('a'), entryOf('A', { tags: [names.tag('x'), names.tag('y')] }))
      await store.set(names.key('b'), entryOf('B', { tags: [names.tag('y')] }))
      await store.set(names.key('c'), entryOf('C', { tags: [names.tag('z')] }))
      await store.set(names.key('d'), entryOf('D'))
      await store.invalidateTags([names.tag('y')])
      expect(await store.get(names.key('a'))).toBeUndefined()
      expect(await store.get(names.key('b'))).toBeUndefined()
      expect((await store.get(names.key('c')))?.value).toBe('C')
      const many = await store.getMany([names.key('a'), names.key('b'), names.key('c'), names.key('d')])
      expect(many.map((e) => e?.value)).toEqual([undefined, undefined, 'C', 'D'])
    })

    test('an entry written after its tag was invalidated is readable', async (store, names) => {
      await store.invalidateTags([names.tag('t')])
      await store.set(names.key('k'), entryOf('after', { tags: [names.tag('t')] }))
      const read = await store.get(names.key('k'))
      expect(read?.value).toBe('after')
      expect(read?.tags).toEqual([names.tag('t')])
    })

    test('get() with a hint naming other tags still honours the tags the entry carries', async (store, names) => {
      await store.set(names.key('k'), entryOf('v', { tags: [names.tag('real')] }))
      await store.invalidateTags([names.tag('real')])
      expect(await store.get(names.key('k'), { tags: [names.tag('other')] })).toBeUndefined()
    })

    test('invalidating a tag twice, or a tag no entry carries, is harmless', async (store, names) => {
      await store.invalidateTags([names.tag('never')])
      await store.invalidateTags([names.tag('never')])
      await store.set(names.key('k'), entryOf('v', { tags: [names.tag('kept')] }))
      await store.invalidateTags([names.tag('never')])
      expect((await store.get(names.key('k')))?.value).toBe('v')
    })
  })
}
