import { LONG_WINDOW_MS, type RateLimiterSuiteContext } from './context.js'
import type { RateLimitResult } from '../../resilience/types.js'

/** Atomicity: concurrent callers never share a permit. */
export function concurrencyTests(ctx: RateLimiterSuiteContext): void {
  const { runner, key, withLimiter } = ctx
  const { it, expect } = runner

  it('consume() called 500 times concurrently allows exactly `limit`, each with a distinct remaining', () =>
    withLimiter({ limit: 50, windowMs: LONG_WINDOW_MS }, async (limiter) => {
      const k = key('concurrent')
      const results = await Promise.all(Array.from({ length: 500 }, () => limiter.consume(k)))
      const allowed = results.filter((r) => r.allowed)
      expect(allowed.length).toBe(50)
      expect(allowed.map((r) => r.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
      expect(results.filter((r) => !r.allowed && r.remaining === 0 && r.retryAfterMs > 0).length).toBe(450)
    }))

  it('consume() called concurrently on several keys allows exactly `limit` per key', () =>
    withLimiter({ limit: 10, windowMs: LONG_WINDOW_MS }, async (limiter) => {
      const keys = Array.from({ length: 5 }, (_, i) => key(`multi-${i}`))
      const calls: Array<Promise<[string, RateLimitResult]>> = []
      for (let i = 0; i < 40; i++) for (const k of keys) calls.push(limiter.consume(k).then((r) => [k, r]))
      const results = await Promise.all(calls)
      for (const k of keys) expect(results.filter(([rk, r]) => rk === k && r.allowed).length).toBe(10)
    }))
}
