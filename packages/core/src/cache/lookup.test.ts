import { describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
import { createCache } from './cache.js'
import type { CacheEvent } from './types.js'

describe('cache.lookup (getOrSet in two halves)', () => {
  it('misses, fills, then hits with a copy of the filled value and its meta', async () => {
    const cache = createCache()
    const first = await cache.lookup<{ n: number }>('k', { tags: ['t'] })
    expect(first.hit).toBe(false)
    if (first.hit) return
    expect(await first.fill({ n: 1 }, { ttl: '1m', tags: ['t'] })).toBe(true)
    const second = await cache.lookup<{ n: number }>('k')
    expect(second.hit).toBe(true)
    if (!second.hit) return
    expect(second.value).toEqual({ n: 1 })
    expect(second.meta.status).toBe('hit')
    second.value.n = 2
    const third = await cache.lookup<{ n: number }>('k')
    expect(third.hit && third.value.n).toBe(1)
    expect(cache.stats()).toMatchObject({ misses: 1, loads: 1 })
    expect(cache.stats().hits.memory).toBe(2)
  })

  it('refuses a fill after an invalidation of its tags or its key that landed after the lookup began', async () => {
    const cache = createCache()
    const byTag = await cache.lookup('a', { tags: ['users'] })
    const byKey = await cache.lookup('b')
    const untouched = await cache.lookup('c', { tags: ['posts'] })
    await cache.invalidateTags('users')
    await cache.delete('b')
    if (byTag.hit || byKey.hit || untouched.hit) throw new Error('expected misses')
    expect(await byTag.fill('pre-commit row', { tags: ['users'] })).toBe(false)
    expect(await byKey.fill('old')).toBe(false)
    expect(await untouched.fill('fine', { tags: ['posts'] })).toBe(true)
    expect(await cache.get('a')).toBeUndefined()
    expect(await cache.get('b')).toBeUndefined()
    expect(await cache.get('c')).toBe('fine')
    // A lookup after the invalidation may fill.
    const after = await cache.lookup('a', { tags: ['users'] })
    expect(!after.hit && (await after.fill('new row', { tags: ['users'] }))).toBe(true)
    expect(await cache.get('a')).toBe('new row')
  })

  it('a tag added only at fill time is still ordered against invalidations since the lookup', async () => {
    const cache = createCache()
    const found = await cache.lookup('k')
    await cache.invalidateTags('late')
    if (found.hit) throw new Error('expected a miss')
    expect(await found.fill(1, { tags: ['late'] })).toBe(false)
  })

  it('an unstorable value is not stored, counted, reported, and fill resolves false', async () => {
    const events: CacheEvent[] = []
    const cache = createCache({ onEvent: (e) => events.push(e) })
    const found = await cache.lookup('k')
    if (found.hit) throw new Error('expected a miss')
    expect(await found.fill({ fn: () => 1 })).toBe(false)
    expect(cache.stats().unstorable).toBe(1)
    const event = events.find((e) => e.type === 'unstorable') as { error: unknown } | undefined
    expect(isPerfError(event?.error, 'UNSERIALIZABLE_VALUE')).toBe(true)
  })

  it('rejects bad input with typed errors', async () => {
    const cache = createCache()
    await expect(cache.lookup('')).rejects.toMatchObject({ code: 'INVALID_KEY' })
    await expect(cache.lookup('k', { tags: [''] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const found = await cache.lookup('k')
    if (found.hit) throw new Error('expected a miss')
    await expect(found.fill(1, { ttl: -1 })).rejects.toMatchObject({ code: 'INVALID_TTL' })
    await cache.close()
    await expect(cache.lookup('k')).rejects.toMatchObject({ code: 'CACHE_CLOSED' })
  })
})
