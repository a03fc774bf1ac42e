import { PerfError } from '../errors.js'
import { basicTests } from './rate-limiter/basic.js'
import { concurrencyTests } from './rate-limiter/concurrency.js'
import { createSuiteContext, type RateLimiterFactory } from './rate-limiter/context.js'
import { windowTests } from './rate-limiter/window.js'
import type { TestRunner } from './runner.js'

export type { RateLimiterFactory } from './rate-limiter/context.js'

/** Options of {@link rateLimiterSuite}. */
export interface RateLimiterSuiteOptions {
  /** The real window used by tests that wait for time to pass, ms (100–5000). @default 300 */
  windowMs?: number
  /** Prefix of every key the suite uses; a random run id follows it. @default 'perf-suite:' */
  keyPrefix?: string
}

/**
 * Registers the RateLimiter conformance tests with `runner`. The factory is called once per test
 * with `{ limit, windowMs }`; each test uses fresh, unique keys and closes its limiter. Windows are
 * real (not faked), so the suite also runs against a limiter whose clock is a server's.
 *
 * @example
 * rateLimiterSuite('SlidingWindowLimiter', (o) => new SlidingWindowLimiter(o), { describe, it, expect })
 * @throws PerfError INVALID_ARGUMENT when the runner, factory or options are malformed
 */
export function rateLimiterSuite(
  name: string,
  factory: RateLimiterFactory,
  runner: TestRunner,
  options?: RateLimiterSuiteOptions,
): void
export function rateLimiterSuite(
  runner: TestRunner,
  factory: RateLimiterFactory,
  options?: RateLimiterSuiteOptions,
): void
export function rateLimiterSuite(
  first: string | TestRunner,
  factory: RateLimiterFactory,
  third?: TestRunner | RateLimiterSuiteOptions,
  fourth?: RateLimiterSuiteOptions,
): void {
  const named = typeof first === 'string'
  const runner = (named ? third : first) as TestRunner
  const options = ((named ? fourth : third) ?? {}) as RateLimiterSuiteOptions
  if (
    typeof runner?.describe !== 'function' ||
    typeof runner.it !== 'function' ||
    typeof runner.expect !== 'function'
  ) {
    throw invalid('runner', 'an object with describe, it and expect')
  }
  if (typeof factory !== 'function') throw invalid('factory', 'a function')
  const windowMs = options.windowMs ?? 300
  if (!Number.isInteger(windowMs) || windowMs < 100 || windowMs > 5_000)
    throw invalid('options.windowMs', 'an integer from 100 to 5000')
  const keyPrefix = options.keyPrefix ?? 'perf-suite:'
  if (typeof keyPrefix !== 'string') throw invalid('options.keyPrefix', 'a string')

  const ctx = createSuiteContext(runner, factory, windowMs, keyPrefix)
  runner.describe(named ? `rateLimiterSuite: ${first}` : 'rateLimiterSuite', () => {
    runner.describe('basic', () => basicTests(ctx))
    runner.describe('window', () => windowTests(ctx))
    runner.describe('concurrency', () => concurrencyTests(ctx))
  })
}

function invalid(argument: string, rule: string): PerfError {
  return new PerfError('INVALID_ARGUMENT', `[perf:testing] rateLimiterSuite(): ${argument} must be ${rule}`, {
    context: { argument },
  })
}
