import { describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
import { createCache } from './cache.js'
import { MemoryStore } from './memory/memory-store.js'
import type { CacheEvent } from './types.js'
import { LocalBus, ScriptedStore } from './__tests__/helpers.js'

const until = async (check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

function pair(l2 = new ScriptedStore('l2', { tags: true }), bus = new LocalBus()) {
  const events: CacheEvent[] = []
  const options = { bus: bus.endpoint(), tierTimeout: 30, tierCooldownMs: 50 }
  const a = createCache({ ...options, tiers: [new MemoryStore(), l2], onEvent: (e) => events.push(e) })
  const b = createCache({ ...options, tiers: [new MemoryStore(), l2] })
  return { a, b, l2, bus, events }
}

describe('Cache durable invalidation (a failed shared part is retried, never dropped)', () => {
  /** @see issue 9, item 4: set() resolved with Redis hung, nothing was retried and Redis kept the old value. */
  it('set() while the shared tier hangs: the old value is removed there once it answers, and meanwhile this instance never reads it', async () => {
    const { a, b, l2 } = pair()
    await a.set('k', 'v1')
    l2.mode = 'hang'
    await a.set('k', 'v2') // resolves: the cache fails open
    expect(a.stats().pendingInvalidations).toBe(1)
    l2.mode = 'ok'
    // Meanwhile this instance serves its own write and never the shared tier's old value.
    expect(await a.get('k')).toBe('v2')
    await until(() => a.stats().pendingInvalidations === 0)
    expect(await l2.get('app:k')).toBeUndefined()
    expect(await b.getOrSet('k', () => 'from-db')).toBe('from-db')
  })

  it('delete(), invalidateTags() and clear() that fail on the shared tier land once it is back, in order', async () => {
    const { a, b, l2 } = pair()
    await a.set('d', 1)
    await a.set('t', 2, { tags: ['tag'] })
    await a.set('c', 3)
    l2.mode = 'fail'
    await a.delete('d')
    await a.invalidateTags('tag')
    expect(a.stats().pendingInvalidations).toBe(2)
    // While pending, neither the key nor the tag is read from the shared tier here.
    l2.mode = 'ok'
    expect(await a.getOrSet('d', () => 'loaded-d')).toBe('loaded-d')
    await until(() => a.stats().pendingInvalidations === 0)
    expect(await b.get('d')).not.toBe(1)
    expect(await b.get('t')).toBeUndefined()
    l2.mode = 'fail'
    await a.clear()
    l2.mode = 'ok'
    await until(() => a.stats().pendingInvalidations === 0)
    expect(await b.get('c')).toBeUndefined()
  })

  it('a retry that fails is tried again with backoff until the tier is back', async () => {
    const { a, b, l2, events } = pair()
    await a.set('k', 1)
    l2.mode = 'fail'
    await a.delete('k')
    await until(() => events.filter((e) => e.type === 'invalidation-retry' && !e.landed).length >= 2)
    expect(a.stats().pendingInvalidations).toBe(1)
    l2.mode = 'ok'
    await until(() => a.stats().pendingInvalidations === 0)
    expect(events.some((e) => e.type === 'invalidation-retry' && e.landed)).toBe(true)
    expect(await b.get('k')).toBeUndefined()
  })

  it('a bus message that failed to publish is published again once the bus is back', async () => {
    const bus = new LocalBus()
    const healthy = bus.endpoint()
    let failing = false
    const flaky = {
      ...healthy,
      publish: async (m: Parameters<typeof healthy.publish>[0]) =>
        failing ? Promise.reject(new Error('bus down')) : healthy.publish(m),
    }
    const l2 = new ScriptedStore('l2', { tags: true })
    const writer = createCache({ tiers: [new MemoryStore(), l2], bus: flaky, tierTimeout: 30 })
    const reader = createCache({ tiers: [new MemoryStore(), l2], bus: bus.endpoint(), tierTimeout: 30 })
    await reader.ready()
    await writer.set('x', 'old')
    expect(await reader.get('x')).toBe('old') // now in the reader's L1
    failing = true
    await writer.set('x', 'new')
    expect(writer.stats().pendingInvalidations).toBe(1)
    expect(await reader.get('x')).toBe('old') // its L1 copy stands until the message arrives
    failing = false
    await until(() => writer.stats().pendingInvalidations === 0)
    expect(await reader.get('x')).toBe('new')
  })

  it('pending invalidations are dropped once they can no longer matter (every entry they cover has expired)', async () => {
    const l2 = new ScriptedStore('l2', { tags: true })
    let now = 1_000_000
    const cache = createCache({
      tiers: [new MemoryStore(), l2],
      defaultTtl: 50,
      tierTimeout: 30,
      clock: { now: () => now },
    })
    await cache.set('k', 1)
    l2.mode = 'fail'
    await cache.delete('k')
    expect(cache.stats().pendingInvalidations).toBe(1)
    now += 60 // longer than any entry this cache has written lives
    await until(() => cache.stats().pendingInvalidations === 0)
    expect(l2.calls.delete).toBeGreaterThanOrEqual(1)
  })

  /** @see issue 9, item 4: three oversized values opened the Redis breaker and lost the writes of the next 2 s. */
  it('VALUE_TOO_LARGE and UNSERIALIZABLE_VALUE from a tier never open its breaker', async () => {
    const l2 = new ScriptedStore('l2', { tags: true })
    const realSet = l2.set.bind(l2)
    let tooLarge = true
    l2.set = async (key, entry) => {
      if (tooLarge) {
        const { PerfError } = await import('../errors.js')
        throw new PerfError('VALUE_TOO_LARGE', 'too large')
      }
      return realSet(key, entry)
    }
    const events: CacheEvent[] = []
    const cache = createCache({
      tiers: [new MemoryStore(), l2],
      tierBreakerThreshold: 2,
      onEvent: (e) => events.push(e),
    })
    for (let i = 0; i < 5; i++) await cache.set(`big${i}`, 'x')
    const errors = events.filter((e) => e.type === 'tier-error')
    expect(errors.length).toBe(5)
    expect(errors.every((e) => e.type === 'tier-error' && isPerfError(e.error, 'VALUE_TOO_LARGE'))).toBe(true)
    tooLarge = false
    await cache.set('small', 'y')
    expect((await l2.get('app:small'))?.value).toBe('y')
    // The compensating deletes went through: no old value of the oversized keys is left there.
    expect(cache.stats().pendingInvalidations).toBe(0)
  })
})
