import { afterEach, describe, expect, it, vi } from 'vitest'
import { createCache } from './cache.js'
import { MemoryStore } from './memory/memory-store.js'
import { ScriptedStore } from './__tests__/helpers.js'
import type { CacheEvent } from './types.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('Cache tiers', () => {
  it('an L2 hit backfills L1 and is reported with its tier', async () => {
    const l2 = new ScriptedStore()
    const writer = createCache({ tiers: [new MemoryStore(), l2] })
    await writer.set('u', { id: 1 })
    const reader = createCache({ tiers: [new MemoryStore(), l2] })
    const first = await reader.getOrSet('u', () => ({ id: -1 }), { meta: true })
    expect(first.value).toEqual({ id: 1 })
    expect(first.meta.tier).toBe('l2')
    const callsAfterFirst = l2.calls.get
    const second = await reader.getOrSet('u', () => ({ id: -1 }), { meta: true })
    expect(second.meta.tier).toBe('memory')
    expect(l2.calls.get).toBe(callsAfterFirst)
  })

  it('a failing tier never fails getOrSet: the loader answers and the error is reported', async () => {
    const l2 = new ScriptedStore()
    l2.mode = 'fail'
    const events: CacheEvent[] = []
    const cache = createCache({ tiers: [new MemoryStore(), l2], onEvent: (e) => events.push(e) })
    expect(await cache.getOrSet('k', () => 'from-db')).toBe('from-db')
    expect(await cache.getOrSet('k', () => 'again')).toBe('from-db')
    const errors = events.filter((e) => e.type === 'tier-error')
    expect(errors.length).toBeGreaterThanOrEqual(2)
    expect(cache.stats().tierErrors.l2).toBeGreaterThanOrEqual(2)
    await expect(cache.set('k2', 1)).resolves.toBeUndefined()
    await expect(cache.delete('k2')).resolves.toBeUndefined()
    await expect(cache.invalidateTags('x')).resolves.toBeUndefined()
  })

  it('a hanging tier is skipped after tierTimeout, and after tierBreakerThreshold failures it is not called at all', async () => {
    vi.useFakeTimers({ now: 0 })
    const l2 = new ScriptedStore()
    l2.mode = 'hang'
    const cache = createCache({
      tiers: [new MemoryStore(), l2],
      tierTimeout: 50,
      tierBreakerThreshold: 2,
      tierCooldownMs: 10_000,
    })
    const first = cache.getOrSet('a', () => 1)
    await vi.advanceTimersByTimeAsync(50) // get times out
    await vi.advanceTimersByTimeAsync(50) // set times out
    expect(await first).toBe(1)
    const callsWhenOpen = l2.calls.get + l2.calls.set
    expect(await cache.getOrSet('b', () => 2)).toBe(2)
    expect(l2.calls.get + l2.calls.set).toBe(callsWhenOpen)
    // after the cooldown one probe goes through, and a healthy tier closes the breaker
    l2.mode = 'ok'
    await vi.advanceTimersByTimeAsync(10_000)
    expect(await cache.getOrSet('c', () => 3)).toBe(3)
    expect(l2.calls.get + l2.calls.set).toBeGreaterThan(callsWhenOpen)
    await cache.set('d', 4)
    expect(await l2.inner.get('app:d')).toBeDefined()
  })

  it('tag invalidation recorded in a tag-capable shared tier applies to entries another instance reads', async () => {
    const l2 = new ScriptedStore('l2', { tags: true })
    const a = createCache({ tiers: [new MemoryStore(), l2] })
    await a.set('p', 'v1', { tags: ['posts'] })
    await a.set('q', 'v2', { tags: ['users'] })
    await a.invalidateTags('posts')
    const b = createCache({ tiers: [new MemoryStore(), l2] })
    expect(await b.get('p')).toBeUndefined()
    expect(await b.get('q')).toBe('v2')
  })

  it('localMaxAgeMs caps how long L1 keeps an entry when a shared tier exists', async () => {
    vi.useFakeTimers({ now: 0 })
    const l1 = new MemoryStore()
    const cache = createCache({ tiers: [l1, new ScriptedStore()], localMaxAgeMs: 1_000 })
    await cache.set('k', 1, { ttl: 60_000 })
    expect((l1.get('app:k') as { expiresAt: number }).expiresAt).toBeLessThanOrEqual(1_000)
  })
})

describe('a synchronous L1 that answers with rejected promises', () => {
  it('leaves no unhandled rejection, on the fast path or with its breaker open', async () => {
    const { chaosStore } = await import('../testing/chaos-store.js')
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const l1 = chaosStore(new MemoryStore())
      l1.fail('get').fail('set')
      const cache = createCache({ tiers: [l1.store] })
      let loads = 0
      for (let i = 0; i < 30; i++) expect(await cache.getOrSet('k', () => ++loads)).toBe(loads)
      expect(loads).toBe(30)
      // Unhandled rejections surface after a macrotask turn.
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
