import { randomUUID } from 'node:crypto'
import type { RateLimiter } from '../../resilience/types.js'
import type { TestRunner } from '../runner.js'

/** Builds a limiter for one test. */
export type RateLimiterFactory = (options: { limit: number; windowMs: number }) => RateLimiter | Promise<RateLimiter>

/** A window long enough that no permit comes back while a test runs, ms. */
export const LONG_WINDOW_MS = 60_000

/** What every group of the rate-limiter suite receives. Internal to the suite. */
export interface RateLimiterSuiteContext {
  runner: TestRunner
  /** The short, real window used by tests that wait for time to pass, ms. */
  windowMs: number
  /** Per-test timeout handed to `runner.it`, ms. */
  timeoutMs: number
  /** A key no other test (or earlier run against the same server) uses. */
  key(label: string): string
  /** Runs `fn` with a fresh limiter and closes it afterwards, pass or fail. */
  withLimiter<T>(options: { limit: number; windowMs: number }, fn: (limiter: RateLimiter) => Promise<T>): Promise<T>
}

/** Builds the shared context from the suite's inputs. */
export function createSuiteContext(
  runner: TestRunner,
  factory: RateLimiterFactory,
  windowMs: number,
  keyPrefix: string,
): RateLimiterSuiteContext {
  const run = randomUUID().slice(0, 8)
  let counter = 0
  return {
    runner,
    windowMs,
    timeoutMs: Math.max(5_000, windowMs * 15),
    key: (label) => `${keyPrefix}${run}:${label}:${++counter}`,
    async withLimiter(options, fn) {
      const limiter = await factory(options)
      try {
        return await fn(limiter)
      } finally {
        await limiter.close?.()
      }
    },
  }
}

/** Consumes one permit at a time until the first rejection (at most `cap` calls); returns the number allowed. */
export async function drain(limiter: RateLimiter, key: string, cap: number): Promise<number> {
  let allowed = 0
  for (let i = 0; i < cap; i++) {
    const result = await limiter.consume(key)
    if (!result.allowed) break
    allowed += 1
  }
  return allowed
}
