import { sleep } from '../../util/abort.js'
import { drain, type RateLimiterSuiteContext } from './context.js'

/** Behaviour over real time: retryAfterMs is honest, the window recovers, no double burst at an edge. */
export function windowTests(ctx: RateLimiterSuiteContext): void {
  const { runner, key, withLimiter, windowMs, timeoutMs } = ctx
  const { it, expect } = runner

  it(
    'consume() reports a retryAfterMs in (0, windowMs] after which a permit is available',
    () =>
      withLimiter({ limit: 3, windowMs }, async (limiter) => {
        const k = key('retry-after')
        await limiter.consume(k, 3)
        const rejected = await limiter.consume(k)
        expect(rejected.allowed).toBe(false)
        expect(rejected.retryAfterMs).toBeGreaterThan(0)
        expect(rejected.retryAfterMs).toBeLessThanOrEqual(windowMs)
        await sleep(rejected.retryAfterMs + 25)
        expect((await limiter.consume(k)).allowed).toBe(true)
      }),
    timeoutMs,
  )

  it(
    'consume() allows the full limit again once a window has passed',
    () =>
      withLimiter({ limit: 5, windowMs }, async (limiter) => {
        const k = key('recover')
        await limiter.consume(k, 5)
        expect((await limiter.consume(k)).allowed).toBe(false)
        await sleep(windowMs + 50)
        expect(await drain(limiter, k, 10)).toBe(5)
      }),
    timeoutMs,
  )

  it(
    'consume() never allows a second full burst across a window edge',
    () =>
      withLimiter({ limit: 40, windowMs }, async (limiter) => {
        // A fixed window hands out `limit` again the moment its boundary passes. Sliding logs and
        // GCRA give back at most limit × elapsed / windowMs (+1 for rounding) before a window ends.
        const limit = 40
        const k = key('edge')
        const start = performance.now()
        let total = await drain(limiter, k, 2 * limit)
        expect(total).toBeGreaterThanOrEqual(limit)
        for (;;) {
          await sleep(windowMs / 20)
          total += await drain(limiter, k, 2 * limit)
          const elapsed = performance.now() - start
          expect(total).toBeLessThanOrEqual(limit + Math.ceil((limit * elapsed) / windowMs) + 1)
          if (elapsed >= windowMs * 0.97) break
        }
      }),
    timeoutMs,
  )
}
