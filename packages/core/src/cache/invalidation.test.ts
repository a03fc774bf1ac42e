import { describe, expect, it } from 'vitest'
import { createCache } from './cache.js'
import { MemoryStore } from './memory/memory-store.js'
import { ScriptedStore, deferred } from './__tests__/helpers.js'

describe('Cache invalidation', () => {
  it('invalidateTags() misses every entry carrying the tag and keeps the others', async () => {
    const cache = createCache()
    await cache.set('a', 1, { tags: ['user:1', 'users'] })
    await cache.set('b', 2, { tags: ['users'] })
    await cache.set('c', 3, { tags: ['posts'] })
    await cache.set('d', 4)
    await cache.invalidateTags(['users'])
    expect(await cache.getMany(['a', 'b', 'c', 'd'])).toEqual([undefined, undefined, 3, 4])
  })

  it('invalidateTags() costs one registry write per tag whatever the number of tagged entries', async () => {
    const store = new MemoryStore({ maxEntries: 20_000 })
    const cache = createCache({ tiers: [store] })
    for (let i = 0; i < 10_000; i++) await cache.set(`k${i}`, i, { tags: ['bulk'] })
    const before = store.stats().entries
    await cache.invalidateTags('bulk')
    // nothing was touched: entries are lazily invalid, not deleted one by one
    expect(store.stats().entries).toBe(before)
    expect(await cache.get('k1234')).toBeUndefined()
  })

  it('an entry written after an invalidation of its tag (same millisecond) is served', async () => {
    const cache = createCache()
    await cache.invalidateTags('t')
    await cache.set('k', 1, { tags: ['t'] })
    expect(await cache.get('k')).toBe(1)
  })

  it('delete() during a slow load: the late result is not cached and later callers load afresh', async () => {
    const cache = createCache()
    const slow = deferred<string>()
    const first = cache.getOrSet('row', () => slow.promise)
    await cache.delete('row')
    let second = 0
    const next = cache.getOrSet('row', () => {
      second++
      return 'new'
    })
    slow.resolve('old')
    expect(await first).toBe('old')
    expect(await next).toBe('new')
    expect(second).toBe(1)
    expect(await cache.get('row')).toBe('new')
  })

  it('invalidateTags() during a slow load: the pre-invalidation result never lands in the cache', async () => {
    const cache = createCache()
    const slow = deferred<string>()
    const reader = cache.getOrSet('q', () => slow.promise, { tags: ['posts'] })
    await cache.invalidateTags('posts')
    slow.resolve('pre-write')
    expect(await reader).toBe('pre-write')
    expect(await cache.get('q')).toBeUndefined()
  })

  it('a tag added by the loader after an invalidation began still makes the result a miss', async () => {
    const cache = createCache()
    const slow = deferred<string>()
    const reader = cache.getOrSet('adaptive', async (ctx) => {
      const v = await slow.promise
      ctx.addTags(['late'])
      return v
    })
    await cache.invalidateTags('late')
    slow.resolve('stale')
    await reader
    expect(await cache.get('adaptive')).toBeUndefined()
  })

  it('set() during a slow load wins over the load result', async () => {
    const cache = createCache()
    const slow = deferred<string>()
    const reader = cache.getOrSet('k', () => slow.promise)
    await cache.set('k', 'written')
    slow.resolve('loaded-before-write')
    await reader
    expect(await cache.get('k')).toBe('written')
  })

  it('clear() removes everything in the namespace and discards loads in flight', async () => {
    const store = new MemoryStore()
    const a = createCache({ tiers: [store], namespace: 'a' })
    const b = createCache({ tiers: [store], namespace: 'b' })
    await a.set('x', 1)
    await b.set('x', 2)
    const slow = deferred<number>()
    const loading = a.getOrSet('y', () => slow.promise)
    await a.clear()
    slow.resolve(9)
    await loading
    expect(await a.get('x')).toBeUndefined()
    expect(await a.get('y')).toBeUndefined()
    expect(await b.get('x')).toBe(2)
  })
})

describe('Cache tag scoping', () => {
  it('a tag of one namespace does not invalidate entries of another namespace sharing the tier', async () => {
    const l2 = new ScriptedStore('l2', { tags: true })
    const a = createCache({ tiers: [new MemoryStore(), l2], namespace: 'app-a' })
    const b = createCache({ tiers: [new MemoryStore(), l2], namespace: 'app-b' })
    await a.set('k', 'a', { tags: ['users'] })
    await b.set('k', 'b', { tags: ['users'] })
    await a.invalidateTags('users')
    expect(await a.get('k')).toBeUndefined()
    const fresh = createCache({ tiers: [new MemoryStore(), l2], namespace: 'app-b' })
    expect(await fresh.get('k')).toBe('b')
    expect(l2.records.has('t:app-a:users')).toBe(true)
    expect(l2.records.has('t:users')).toBe(false)
  })
})
