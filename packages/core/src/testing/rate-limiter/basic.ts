import { isPerfError } from '../../errors.js'
import { LONG_WINDOW_MS, type RateLimiterSuiteContext } from './context.js'

/** Counting within one window: exact limit, remaining, cost, reset, key independence. */
export function basicTests(ctx: RateLimiterSuiteContext): void {
  const { runner, key, withLimiter } = ctx
  const { it, expect } = runner

  it('consume() allows exactly `limit` permits, counting `remaining` down to 0, then rejects', () =>
    withLimiter({ limit: 5, windowMs: LONG_WINDOW_MS }, async (limiter) => {
      const k = key('exact')
      for (let left = 4; left >= 0; left--) {
        const result = await limiter.consume(k)
        expect(result).toEqual({ allowed: true, limit: 5, remaining: left, retryAfterMs: 0 })
      }
      const rejected = await limiter.consume(k)
      expect(rejected.allowed).toBe(false)
      expect(rejected.limit).toBe(5)
      expect(rejected.remaining).toBe(0)
      expect(rejected.retryAfterMs).toBeGreaterThan(0)
      expect(rejected.retryAfterMs).toBeLessThanOrEqual(LONG_WINDOW_MS)
    }))

  it('consume(key, cost) takes `cost` permits, and a rejected call takes none', () =>
    withLimiter({ limit: 10, windowMs: LONG_WINDOW_MS }, async (limiter) => {
      const k = key('cost')
      expect((await limiter.consume(k, 4)).remaining).toBe(6)
      const tooMuch = await limiter.consume(k, 7)
      expect(tooMuch.allowed).toBe(false)
      expect(tooMuch.remaining).toBe(6)
      expect(tooMuch.retryAfterMs).toBeGreaterThan(0)
      const rest = await limiter.consume(k, 6)
      expect(rest.allowed).toBe(true)
      expect(rest.remaining).toBe(0)
      expect((await limiter.consume(k, 1)).allowed).toBe(false)
    }))

  it('consume() rejects a cost larger than the limit with INVALID_ARGUMENT', () =>
    withLimiter({ limit: 3, windowMs: LONG_WINDOW_MS }, async (limiter) => {
      let caught: unknown
      try {
        await limiter.consume(key('too-big'), 4)
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }))

  it('reset(key) gives the key its full limit back', () =>
    withLimiter({ limit: 3, windowMs: LONG_WINDOW_MS }, async (limiter) => {
      const k = key('reset')
      await limiter.consume(k, 3)
      expect((await limiter.consume(k)).allowed).toBe(false)
      await limiter.reset(k)
      const after = await limiter.consume(k)
      expect(after.allowed).toBe(true)
      expect(after.remaining).toBe(2)
    }))

  it('consume() keeps keys independent', () =>
    withLimiter({ limit: 2, windowMs: LONG_WINDOW_MS }, async (limiter) => {
      const a = key('a')
      const b = key('b')
      await limiter.consume(a, 2)
      expect((await limiter.consume(a)).allowed).toBe(false)
      const other = await limiter.consume(b)
      expect(other.allowed).toBe(true)
      expect(other.remaining).toBe(1)
      await limiter.reset(b)
      expect((await limiter.consume(a)).allowed).toBe(false)
    }))
}
