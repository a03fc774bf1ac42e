import type { CacheStore, StoreRead } from '../../cache/types.js'
import { skipWithReason } from '../runner.js'
import type { Names, SuiteContext } from './context.js'
import { entryOf } from './context.js'

type VersionedStore = CacheStore & Required<Pick<CacheStore, 'read' | 'invalidateTags'>>

/**
 * Versioned stores (`capabilities.versioned`): writes are ordered against invalidations by the
 * store's own versions, so a load that began before an invalidation can never write back, however
 * close together the two are and whatever the clients' clocks say.
 */
export function versionsTests(ctx: SuiteContext): void {
  const { runner, capabilities } = ctx
  const { expect } = runner

  runner.describe('versions', () => {
    if (capabilities.versioned !== true) {
      skipWithReason(runner, 'versioned writes', 'the store does not declare capabilities.versioned = true')
      return
    }
    const test = (name: string, body: (store: VersionedStore, names: Names) => Promise<void>): void =>
      ctx.test(name, async (store, names) => {
        expect(typeof store.read).toBe('function')
        await body(store as VersionedStore, names)
      })
    /** A load's write: the entry at the version its read returned. */
    const load = (store: VersionedStore, key: string, read: StoreRead, value: unknown, tags?: string[]) =>
      store.set(key, { ...entryOf(value, tags === undefined ? {} : { tags }), version: read.version })

    test('read() returns the entry with the version, and a version on a miss', async (store, names) => {
      const miss = await store.read(names.key('k'))
      expect(miss.entry).toBeUndefined()
      expect(typeof miss.version).toBe('string')
      await store.set(names.key('k'), entryOf('v'))
      const hit = await store.read(names.key('k'))
      expect(hit.entry?.value).toBe('v')
      expect(typeof hit.version).toBe('string')
    })

    test('set() of a load that read before nothing changed is written and returns true', async (store, names) => {
      const read = await store.read(names.key('k'))
      expect(await load(store, names.key('k'), read, 'loaded', [names.tag('t')])).toBe(true)
      expect((await store.get(names.key('k')))?.value).toBe('loaded')
    })

    test('set() of a load that read before delete() of its key is refused', async (store, names) => {
      const read = await store.read(names.key('k'))
      await store.delete([names.key('k')])
      expect(await load(store, names.key('k'), read, 'stale')).toBe(false)
      expect(await store.get(names.key('k'))).toBeUndefined()
    })

    test('set() of a load that read before invalidateTags() of one of its tags is refused', async (store, names) => {
      const read = await store.read(names.key('k'))
      await store.invalidateTags([names.tag('b')])
      expect(await load(store, names.key('k'), read, 'stale', [names.tag('a'), names.tag('b')])).toBe(false)
      expect(await store.get(names.key('k'))).toBeUndefined()
    })

    test('set() of a load that read before clear() of a prefix of its key is refused', async (store, names) => {
      const read = await store.read(names.key('k'))
      await store.clear(names.prefix)
      expect(await load(store, names.key('k'), read, 'stale')).toBe(false)
      expect(await store.get(names.key('k'))).toBeUndefined()
    })

    test('set() of a load that read after the invalidation is written', async (store, names) => {
      await store.delete([names.key('k')])
      await store.invalidateTags([names.tag('t')])
      const read = await store.read(names.key('k'))
      expect(await load(store, names.key('k'), read, 'fresh', [names.tag('t')])).toBe(true)
      expect((await store.get(names.key('k')))?.value).toBe('fresh')
    })

    test('a direct set() (no version) refuses loads that read before it', async (store, names) => {
      const read = await store.read(names.key('k'))
      await store.set(names.key('k'), entryOf('direct'))
      expect(await load(store, names.key('k'), read, 'older load')).toBe(false)
      expect((await store.get(names.key('k')))?.value).toBe('direct')
    })

    test('invalidations of other keys and tags do not refuse a load', async (store, names) => {
      const read = await store.read(names.key('k'))
      await store.delete([names.key('other')])
      await store.invalidateTags([names.tag('other')])
      expect(await load(store, names.key('k'), read, 'kept', [names.tag('mine')])).toBe(true)
      expect((await store.get(names.key('k')))?.value).toBe('kept')
    })

    test('100 loads racing 100 tag invalidations issued back to back: no load that read first is written', async (store, names) => {
      const keys = Array.from({ length: 100 }, (_, i) => names.key(`k${i}`))
      const reads = await Promise.all(keys.map((key) => store.read(key)))
      await Promise.all(keys.map((_, i) => store.invalidateTags([names.tag(`t${i}`)])))
      const written = await Promise.all(
        keys.map((key, i) => load(store, key, reads[i] as StoreRead, 'stale', [names.tag(`t${i}`)])),
      )
      expect(written.filter(Boolean)).toHaveLength(0)
      expect((await store.getMany(keys)).filter((e) => e !== undefined)).toHaveLength(0)
    })
  })
}
