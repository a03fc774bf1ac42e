import { PerfError } from '../errors.js'
import { optionalMs, type Duration } from '../util/duration.js'
import { assertFunction, assertNumber, assertOneOf } from '../util/validate.js'

/** Computes the wait before a retry. Stateless: the same retry number always maps to the same bound. */
export interface Backoff {
  /** The kind of curve, for logs. */
  readonly kind: 'exponential' | 'linear' | 'fixed' | 'fibonacci'
  /**
   * Milliseconds to wait before retry number `retry` (1 = the wait after the first failure).
   * With full jitter the result is uniform in [0, the un-jittered delay].
   */
  delay(retry: number): number
}

/** Options shared by every {@link backoff} curve. */
export interface BackoffOptions {
  /** The first delay (ms or `'250ms'`). @default 100 */
  initialMs?: Duration
  /** Upper bound on any delay, applied before jitter (ms or `'30s'`). @default 30000 */
  maxMs?: Duration
  /**
   * `'full'` waits a uniformly random time in [0, delay] (AWS "full jitter"), spreading out
   * clients that failed together; `'none'` waits exactly the delay.
   * @default 'full' ('none' for fixed)
   */
  jitter?: 'full' | 'none'
  /** Random source in [0, 1), injectable for tests. @default Math.random */
  random?: () => number
}

/** Options of {@link backoff.exponential}. */
export interface ExponentialBackoffOptions extends BackoffOptions {
  /** Growth per retry: delay = initialMs × factor^(retry-1). @default 2 */
  factor?: number
}

/** Options of {@link backoff.linear}. */
export interface LinearBackoffOptions extends BackoffOptions {
  /** Growth per retry: delay = initialMs + stepMs × (retry-1). @default initialMs */
  stepMs?: Duration
}

const JITTERS = ['full', 'none'] as const

function create(
  kind: Backoff['kind'],
  options: BackoffOptions,
  defaultJitter: 'full' | 'none',
  curve: (retry: number, initialMs: number) => number,
): Backoff {
  if (typeof options !== 'object' || options === null) {
    throw new PerfError('INVALID_OPTION', `[perf:batch] backoff.${kind}() options must be an object`, {
      context: { option: 'options' },
    })
  }
  const initialMs = optionalMs(options.initialMs, 'initialMs', 100, 'INVALID_OPTION')
  const maxMs = optionalMs(options.maxMs, 'maxMs', 30_000, 'INVALID_OPTION')
  if (maxMs < initialMs) {
    throw new PerfError(
      'INVALID_OPTION',
      `[perf:batch] option "maxMs" (${maxMs}) must be >= initialMs (${initialMs})`,
      {
        context: { option: 'maxMs', value: maxMs, initialMs },
      },
    )
  }
  const jitter = options.jitter === undefined ? defaultJitter : assertOneOf(options.jitter, 'jitter', JITTERS)
  const random = options.random === undefined ? Math.random : assertFunction(options.random, 'random')
  return {
    kind,
    delay(retry: number): number {
      if (!Number.isInteger(retry) || retry < 1) {
        throw new PerfError(
          'INVALID_ARGUMENT',
          `[perf:batch] backoff.delay(retry) needs an integer >= 1, got ${String(retry)}`,
          {
            context: { argument: 'retry', value: retry },
          },
        )
      }
      // Clamp before jitter so the cap also bounds the random spread (and Infinity never escapes).
      const capped = Math.min(maxMs, curve(retry, initialMs))
      return jitter === 'full' ? Math.round(random() * capped) : capped
    },
  }
}

function fibonacci(n: number): number {
  // 1, 1, 2, 3, 5, 8, ...; stops early once past any sane cap (it only feeds Math.min).
  let previous = 0
  let current = 1
  for (let i = 1; i < n && current < Number.MAX_SAFE_INTEGER; i++) [previous, current] = [current, previous + current]
  return current
}

/**
 * Backoff curves for {@link retry} and {@link batches}. All take `initialMs`, `maxMs`, `jitter`
 * and `random`; delays are capped at `maxMs` before jitter.
 *
 * @example
 * backoff.exponential({ initialMs: 100, factor: 2, maxMs: 5_000 }) // 100, 200, 400, ... (full jitter)
 * backoff.fixed({ initialMs: '1s' })                                 // 1000, 1000, 1000, ...
 * @throws PerfError INVALID_OPTION when an option is malformed
 */
export const backoff = {
  /** delay = initialMs × factor^(retry-1). */
  exponential(options: ExponentialBackoffOptions = {}): Backoff {
    const factor = options.factor === undefined ? 2 : assertNumber(options.factor, 'factor', 1)
    return create('exponential', options, 'full', (retry, initialMs) => initialMs * factor ** (retry - 1))
  },
  /** delay = initialMs + stepMs × (retry-1). */
  linear(options: LinearBackoffOptions = {}): Backoff {
    const stepMs = options.stepMs === undefined ? undefined : optionalMs(options.stepMs, 'stepMs', 0, 'INVALID_OPTION')
    return create('linear', options, 'full', (retry, initialMs) => initialMs + (stepMs ?? initialMs) * (retry - 1))
  },
  /** delay = initialMs every time; no jitter unless asked for. */
  fixed(options: BackoffOptions = {}): Backoff {
    return create('fixed', options, 'none', (_retry, initialMs) => initialMs)
  },
  /** delay = initialMs × F(retry) with F = 1, 1, 2, 3, 5, 8, ... */
  fibonacci(options: BackoffOptions = {}): Backoff {
    return create('fibonacci', options, 'full', (retry, initialMs) => initialMs * fibonacci(retry))
  },
} as const
