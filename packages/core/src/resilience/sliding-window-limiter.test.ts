import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isPerfError, type PerfError } from '../errors.js'
import { SlidingWindowLimiter } from './sliding-window-limiter.js'

async function count(limiter: SlidingWindowLimiter, key: string, attempts: number): Promise<number> {
  let allowed = 0
  for (let i = 0; i < attempts; i++) if ((await limiter.consume(key)).allowed) allowed += 1
  return allowed
}

describe('SlidingWindowLimiter', () => {
  beforeEach(() => {
    // An epoch-sized start time: float drift shows up at this magnitude, not near zero.
    vi.useFakeTimers({ now: 1_700_000_000_123 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('consume() allows exactly `limit` in a burst even when windowMs / limit is not a whole number', async () => {
    for (const [limit, windowMs] of [
      [3, 1_000],
      [7, 1_000],
      [9, 10_000],
      [100, 60_000],
    ] as const) {
      const limiter = new SlidingWindowLimiter({ limit, windowMs })
      for (let round = 0; round < 3; round++) {
        expect(await count(limiter, 'k', limit + 5)).toBe(limit)
        vi.advanceTimersByTime(windowMs)
      }
    }
  })

  it('consume() gives permits back one every windowMs / limit, with an exact retryAfterMs', async () => {
    const limiter = new SlidingWindowLimiter({ limit: 3, windowMs: 1_000 })
    await limiter.consume('k', 3)
    const rejected = await limiter.consume('k')
    expect(rejected).toEqual({ allowed: false, limit: 3, remaining: 0, retryAfterMs: 334 })
    vi.advanceTimersByTime(333)
    expect((await limiter.consume('k')).allowed).toBe(false)
    vi.advanceTimersByTime(1)
    expect(await limiter.consume('k')).toEqual({ allowed: true, limit: 3, remaining: 0, retryAfterMs: 0 })
  })

  it('consume() never allows a second burst across a window edge', async () => {
    const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 1_000 })
    vi.setSystemTime(Math.ceil(Date.now() / 1_000) * 1_000 + 990)
    expect(await count(limiter, 'edge', 10)).toBe(10)
    vi.advanceTimersByTime(20)
    expect(await count(limiter, 'edge', 10)).toBe(0)
    // Until a full window after the burst, one permit per 100 ms comes back, never the whole limit.
    let total = 10
    for (let t = 0; t < 970; t += 10) {
      vi.advanceTimersByTime(10)
      total += await count(limiter, 'edge', 10)
    }
    expect(total).toBe(10 + 9)
  })

  it('consume() reports remaining counting down and retryAfterMs within (0, windowMs] for any cost', async () => {
    const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 2_000 })
    expect((await limiter.consume('k', 4)).remaining).toBe(6)
    expect((await limiter.consume('k', 6)).remaining).toBe(0)
    const rejected = await limiter.consume('k', 10)
    expect(rejected.allowed).toBe(false)
    expect(rejected.retryAfterMs).toBe(2_000)
    vi.advanceTimersByTime(1_000)
    const half = await limiter.consume('k', 6)
    expect(half).toMatchObject({ allowed: false, remaining: 5, retryAfterMs: 200 })
  })

  it('consume() called 1000 times concurrently with limit 100 allows exactly 100', async () => {
    const limiter = new SlidingWindowLimiter({ limit: 100, windowMs: 60_000 })
    const results = await Promise.all(Array.from({ length: 1_000 }, () => limiter.consume('hot')))
    expect(results.filter((r) => r.allowed).length).toBe(100)
    expect(new Set(results.filter((r) => r.allowed).map((r) => r.remaining)).size).toBe(100)
  })

  it('consume() rejects bad keys and costs with INVALID_ARGUMENT', async () => {
    const limiter = new SlidingWindowLimiter({ limit: 5, windowMs: 1_000 })
    for (const [key, cost] of [
      ['k', 6],
      ['k', 0],
      ['k', 1.5],
      ['k', Number.NaN],
      [42, 1],
    ] as const) {
      let caught: unknown
      try {
        await limiter.consume(key as string, cost)
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
  })

  it('consume() keeps at most maxKeys keys, dropping idle keys first and then the least recently used', async () => {
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 1_000, maxKeys: 3 })
    await limiter.consume('a', 2)
    await limiter.consume('b', 2)
    await limiter.consume('c', 2)
    await limiter.consume('a')
    await limiter.consume('d')
    expect(limiter.size).toBe(3)
    expect(limiter.evicted).toBe(1)
    // 'b' was least recently used and was forgotten; 'a' (touched by its rejected call) was kept.
    expect((await limiter.consume('a')).allowed).toBe(false)
    expect((await limiter.consume('b')).remaining).toBe(1)
    vi.advanceTimersByTime(1_000)
    for (const key of ['e', 'f', 'g']) await limiter.consume(key)
    expect(limiter.size).toBe(3)
    expect(limiter.evicted).toBe(2)
  })

  it('reset() and close() forget state', async () => {
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 1_000 })
    await limiter.consume('k')
    await limiter.reset('k')
    expect((await limiter.consume('k')).allowed).toBe(true)
    await limiter.close()
    expect(limiter.size).toBe(0)
    expect((await limiter.consume('k')).allowed).toBe(true)
  })

  it('constructor rejects bad options with INVALID_OPTION naming the option', () => {
    const cases: Array<[string, unknown]> = [
      ['limit', { limit: 0, windowMs: 1_000 }],
      ['limit', { limit: 2.5, windowMs: 1_000 }],
      ['windowMs', { limit: 1, windowMs: 0 }],
      ['windowMs', { limit: 1, windowMs: 1.5 }],
      ['windowMs', { limit: 1, windowMs: 'later' }],
      ['maxKeys', { limit: 1, windowMs: 1_000, maxKeys: 0 }],
      ['clock.now', { limit: 1, windowMs: 1_000, clock: {} }],
      ['limit', { limit: 2 ** 30, windowMs: 2 ** 30 }],
      ['options', undefined],
    ]
    for (const [option, options] of cases) {
      let caught: unknown
      try {
        new SlidingWindowLimiter(options as never)
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_OPTION'), option).toBe(true)
      expect((caught as PerfError).context.option).toBe(option)
    }
    expect(new SlidingWindowLimiter({ limit: 5, windowMs: '1m' }).windowMs).toBe(60_000)
  })
})
