import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isPerfError } from '../errors.js'
import { createCache } from './cache.js'
import { MemoryStore } from './memory/memory-store.js'
import type { CacheEvent } from './types.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('Cache', () => {
  it('getOrSet() calls the loader on a miss and serves the cached value afterwards', async () => {
    const cache = createCache()
    const loader = vi.fn(async () => ({ id: 1, name: 'Ada' }))
    expect(await cache.getOrSet('user:1', loader)).toEqual({ id: 1, name: 'Ada' })
    expect(await cache.getOrSet('user:1', loader)).toEqual({ id: 1, name: 'Ada' })
    expect(loader).toHaveBeenCalledTimes(1)
    const stats = cache.stats()
    expect(stats.hits.memory).toBe(1)
    expect(stats.misses).toBe(1)
    expect(stats.loads).toBe(1)
    expect(stats.hitRatio).toBe(0.5)
  })

  it('get(), set() and delete() read, write and remove across the namespace', async () => {
    const cache = createCache({ namespace: 'app' })
    expect(await cache.get('k')).toBeUndefined()
    await cache.set('k', { a: [1, 2] }, { ttl: '1m' })
    expect(await cache.get('k')).toEqual({ a: [1, 2] })
    await cache.delete('k')
    expect(await cache.get('k')).toBeUndefined()
    expect(cache.stats().sets).toBe(1)
    expect(cache.stats().deletes).toBe(1)
  })

  it('getOrSet() with { meta: true } returns status, tier and age', async () => {
    vi.useFakeTimers({ now: 1_000_000 })
    const cache = createCache()
    const first = await cache.getOrSet('m', () => 42, { ttl: 10_000, meta: true })
    expect(first.value).toBe(42)
    expect(first.meta).toMatchObject({ status: 'miss', tier: 'loader', ageMs: 0, key: 'app:m' })
    await vi.advanceTimersByTimeAsync(2_500)
    const second = await cache.getOrSet('m', () => 0, { ttl: 10_000, meta: true })
    expect(second.value).toBe(42)
    expect(second.meta.status).toBe('hit')
    expect(second.meta.tier).toBe('memory')
    expect(second.meta.ageMs).toBe(2_500)
    expect(second.meta.ttlRemainingMs).toBe(7_500)
  })

  it('ttl expiry turns a hit into a miss', async () => {
    vi.useFakeTimers({ now: 0 })
    const cache = createCache()
    let n = 0
    const load = () => ++n
    expect(await cache.getOrSet('t', load, { ttl: '1s' })).toBe(1)
    await vi.advanceTimersByTimeAsync(999)
    expect(await cache.getOrSet('t', load, { ttl: '1s' })).toBe(1)
    await vi.advanceTimersByTimeAsync(2)
    expect(await cache.getOrSet('t', load, { ttl: '1s' })).toBe(2)
  })

  it('jitter spreads the expiry of entries written together within [ttl, ttl + jitter]', async () => {
    vi.useFakeTimers({ now: 0 })
    const store = new MemoryStore()
    const cache = createCache({ tiers: [store] })
    for (let i = 0; i < 200; i++) await cache.set(`j${i}`, i, { ttl: 1_000, jitter: 500 })
    const staleAts = Array.from({ length: 200 }, (_, i) => (store.get(`app:j${i}`) as { staleAt: number }).staleAt)
    expect(Math.min(...staleAts)).toBeGreaterThanOrEqual(1_000)
    expect(Math.max(...staleAts)).toBeLessThanOrEqual(1_501)
    expect(new Set(staleAts.map((t) => Math.floor(t / 50))).size).toBeGreaterThan(5)
  })

  it('getMany() returns values in key order with undefined for misses', async () => {
    const cache = createCache()
    await cache.set('a', 1)
    await cache.set('c', 3)
    expect(await cache.getMany(['a', 'b', 'c', 'a'])).toEqual([1, undefined, 3, 1])
  })

  it('warm() stores values and runs loaders with bounded concurrency', async () => {
    const cache = createCache()
    let running = 0
    let peak = 0
    const entries = Array.from({ length: 20 }, (_, i) => ({
      key: `w${i}`,
      loader: async () => {
        running++
        peak = Math.max(peak, running)
        await new Promise((r) => setTimeout(r, 2))
        running--
        return i
      },
    }))
    expect(await cache.warm([...entries, { key: 'v', value: 'x' }], { concurrency: 3 })).toBe(21)
    expect(peak).toBeLessThanOrEqual(3)
    expect(await cache.get('w7')).toBe(7)
    expect(await cache.get('v')).toBe('x')
  })

  it('returned values are isolated from caller mutation by default, shared with isolate: false', async () => {
    const cache = createCache()
    const a = await cache.getOrSet('iso', () => ({ list: [1], when: new Date(0) }))
    a.list.push(2)
    a.when.setFullYear(2000)
    expect(await cache.get('iso')).toEqual({ list: [1], when: new Date(0) })
    const raw = createCache({ isolate: false })
    const shared = { n: 1 }
    await raw.set('s', shared)
    expect(await raw.get('s')).toBe(shared)
  })

  it('events reach onEvent and the perf:cache diagnostics channel', async () => {
    const events: CacheEvent[] = []
    const published: unknown[] = []
    const listener = (m: unknown) => published.push(m)
    diagnosticsChannel.subscribe('perf:cache', listener)
    try {
      const cache = createCache({ onEvent: (e) => events.push(e) })
      await cache.getOrSet('e', () => 1)
      await cache.getOrSet('e', () => 1)
      await cache.invalidateTags(['x'])
      expect(events.map((e) => e.type)).toEqual(['miss', 'load', 'hit', 'invalidate-tags'])
      expect(published.length).toBe(4)
    } finally {
      diagnosticsChannel.unsubscribe('perf:cache', listener)
    }
  })

  it('get() and getMany() report their misses too, with tier "none" (no loader ran)', async () => {
    const events: CacheEvent[] = []
    const cache = createCache({ onEvent: (e) => events.push(e) })
    await cache.set('a', 1)
    events.length = 0
    expect(await cache.get('nope')).toBeUndefined()
    expect(await cache.getMany(['a', 'gone'])).toEqual([1, undefined])
    expect(events).toEqual([
      { type: 'miss', key: 'nope', tier: 'none', namespace: 'app' },
      { type: 'hit', key: 'a', tier: 'memory', namespace: 'app' },
      { type: 'miss', key: 'gone', tier: 'none', namespace: 'app' },
    ])
    expect(cache.stats().misses).toBe(2)
  })

  it('close() makes every further call reject with CACHE_CLOSED', async () => {
    const cache = createCache()
    await cache.close()
    await expect(cache.getOrSet('x', () => 1)).rejects.toSatisfy((e: unknown) => isPerfError(e, 'CACHE_CLOSED'))
    await expect(cache.set('x', 1)).rejects.toSatisfy((e: unknown) => isPerfError(e, 'CACHE_CLOSED'))
  })
})
