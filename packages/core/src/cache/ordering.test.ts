import { describe, expect, it } from 'vitest'
import { createCache } from './cache.js'
import { MemoryStore } from './memory/memory-store.js'
import type { Clock } from '../util/clock.js'
import { deferred, LocalBus, ScriptedStore } from './__tests__/helpers.js'

/** Two instances sharing one versioned L2 and one bus, each with its own clock. */
function instances(clockA: Clock, clockB: Clock) {
  const bus = new LocalBus()
  const l2 = new ScriptedStore('l2', { tags: true })
  const a = createCache({ tiers: [new MemoryStore({ clock: clockA }), l2], bus: bus.endpoint(), clock: clockA })
  const b = createCache({ tiers: [new MemoryStore({ clock: clockB }), l2], bus: bus.endpoint(), clock: clockB })
  return { a, b, l2, bus }
}

const frozen = (ms: number): Clock => ({ now: () => ms })
const skewed = (offsetMs: number): Clock => ({ now: () => Date.now() + offsetMs })

describe('Cache ordering across instances (the shared tier orders, never two clocks)', () => {
  /** @see issue 9, item 2: a load that began before another instance's invalidation in the same millisecond counted as newer. */
  it('a load that began before another instance invalidateTags() in the same millisecond is not cached anywhere', async () => {
    const { a, b } = instances(frozen(1_000_000), frozen(1_000_000))
    for (let round = 0; round < 50; round++) {
      const gate = deferred<string>()
      const loading = b.getOrSet(`k${round}`, () => gate.promise, { tags: ['t'] })
      await new Promise((r) => setImmediate(r)) // b's read of L2 is done: its load has begun
      await a.invalidateTags('t')
      gate.resolve('stale')
      expect(await loading).toBe('stale') // the caller still gets what it loaded
      let calls = 0
      expect(await a.getOrSet(`k${round}`, () => (calls++, 'fresh'), { tags: ['t'] })).toBe('fresh')
      expect(await b.getOrSet(`k${round}`, () => (calls++, 'fresh-b'), { tags: ['t'] })).not.toBe('stale')
      expect(calls).toBeGreaterThanOrEqual(1)
    }
  })

  /** @see issue 9, item 2: late write-backs past a delete's tombstone were accepted in the same millisecond. */
  it('a load that began before another instance delete() in the same millisecond does not write back', async () => {
    const { a, b, l2 } = instances(frozen(5_000_000), frozen(5_000_000))
    for (let round = 0; round < 50; round++) {
      const gate = deferred<string>()
      const loading = b.getOrSet(`d${round}`, () => gate.promise)
      await new Promise((r) => setImmediate(r))
      await a.delete(`d${round}`)
      gate.resolve('stale')
      await loading
      expect(await l2.get(`perf:d${round}`)).toBeUndefined()
      expect(await a.get(`d${round}`)).toBeUndefined()
    }
  })

  /** @see issue 9, item 3: with the loading instance 5 ms (or 50 ms) ahead, invalidations were lost until TTL. */
  it.each([5, 50, 600_000, -600_000])('invalidation holds with the loading instance %i ms off', async (offset) => {
    const { a, b } = instances(skewed(0), skewed(offset))
    for (let round = 0; round < 20; round++) {
      const gate = deferred<string>()
      const loading = b.getOrSet(`s${round}`, () => gate.promise, { tags: ['t'], ttl: '1h' })
      await new Promise((r) => setImmediate(r))
      await (round % 2 === 0 ? a.invalidateTags('t') : a.delete(`s${round}`))
      gate.resolve('stale')
      await loading
      expect(await a.get(`s${round}`)).toBeUndefined()
      expect(await b.get(`s${round}`)).toBeUndefined()
    }
  })

  /** @see issue 9, item 3: a clear() from an instance 10 minutes ahead made every instance miss for 10 minutes. */
  it('clear() from an instance 10 minutes ahead costs other instances one miss, not ten minutes of misses', async () => {
    const { a, b } = instances(skewed(600_000), skewed(0))
    await b.set('k', 'v1')
    await a.clear()
    let loads = 0
    expect(await b.getOrSet('k', () => (loads++, 'v2'))).toBe('v2')
    expect(await b.getOrSet('k', () => (loads++, 'v3'))).toBe('v2')
    expect(loads).toBe(1)
  })

  /** @see issue 9, item 3: one bus message carrying at: 1e308 disabled the namespace on every instance until restart. */
  it('a bus message that lies about its time costs one miss at most', async () => {
    const bus = new LocalBus()
    const cache = createCache({ tiers: [new MemoryStore()], bus: bus.endpoint() })
    await cache.ready()
    const liar = bus.endpoint()
    await liar.publish({ type: 'clear', namespace: 'app', at: 1e308, source: 'liar' })
    await liar.publish({
      type: 'tags',
      namespace: 'app',
      tags: ['app:t'],
      at: Number.POSITIVE_INFINITY,
      source: 'liar',
    })
    await liar.publish({ type: 'delete', namespace: 'app', keys: ['app:k'], at: Number.NaN, source: 'liar' })
    let loads = 0
    expect(await cache.getOrSet('k', () => (loads++, 1), { tags: ['t'] })).toBe(1)
    expect(await cache.getOrSet('k', () => (loads++, 2), { tags: ['t'] })).toBe(1)
    expect(loads).toBe(1)
  })

  it('a malformed bus message (keys not strings, unknown type) is reported, never thrown', async () => {
    const bus = new LocalBus()
    const events: string[] = []
    const cache = createCache({ tiers: [new MemoryStore()], bus: bus.endpoint(), onEvent: (e) => events.push(e.type) })
    await cache.ready()
    const liar = bus.endpoint()
    await liar.publish({ type: 'delete', namespace: 'app', keys: null, at: 0, source: 'x' } as never)
    await liar.publish({ type: 'tags', namespace: 'app', tags: [1, {}, 'app:t'], at: 0, source: 'x' } as never)
    await liar.publish({ type: 'bogus', namespace: 'app', at: 0, source: 'x' } as never)
    expect(await cache.getOrSet('k', () => 'ok')).toBe('ok')
    expect(events.filter((t) => t === 'bus-error')).toHaveLength(1)
  })
})
