import { PerfError } from '../errors.js'
import { sleep, throwIfAborted } from '../util/abort.js'
import { systemClock, type Clock } from '../util/clock.js'
import { optionalMs, type Duration } from '../util/duration.js'
import { assertFunction, assertInt } from '../util/validate.js'
import { backoff as backoffs, type Backoff } from './backoff.js'

/** What {@link RetryPolicy.onRetry} is told before each wait. */
export interface RetryEvent {
  /** The error of the attempt that just failed. */
  error: unknown
  /** The attempt that just failed (1-based). */
  attempt: number
  /** How long retry() will wait before the next attempt, in ms. */
  delayMs: number
  /** Milliseconds since the first attempt started. */
  elapsedMs: number
}

/** What `fn` receives on each attempt. */
export interface RetryContext {
  /** 1 for the first call, 2 for the first retry, ... */
  attempt: number
  /** The policy's signal, so `fn` can stop its own work when the caller gives up. */
  signal: AbortSignal | undefined
}

/** When and how often {@link retry} tries again. */
export interface RetryPolicy {
  /** Total attempts, the first one included; `Infinity` with `maxElapsedMs` retries until time runs out. @default 3 */
  maxAttempts?: number
  /** Stop retrying once this much time (ms or `'30s'`) has passed, or would have passed after the next wait. @default no limit */
  maxElapsedMs?: Duration
  /** The wait between attempts. @default backoff.exponential() (100 ms doubling, full jitter, 30 s cap) */
  backoff?: Backoff
  /** Which errors are worth retrying; others are rethrown as they are. @default every error */
  retryable?: (error: unknown, attempt: number) => boolean
  /** Cancels waiting and further attempts; retry() then rejects with the signal's reason. */
  signal?: AbortSignal
  /** Called before each wait, e.g. to log. */
  onRetry?: (event: RetryEvent) => void
  /** Time source for `maxElapsedMs`. @default systemClock */
  clock?: Clock
}

interface ResolvedPolicy {
  maxAttempts: number
  maxElapsedMs: number
  backoff: Backoff
  retryable: ((error: unknown, attempt: number) => boolean) | undefined
  signal: AbortSignal | undefined
  onRetry: ((event: RetryEvent) => void) | undefined
  clock: Clock
}

/**
 * Validates a {@link RetryPolicy} and fills in defaults; internal, shared with {@link batches}.
 *
 * @throws PerfError INVALID_OPTION naming the malformed option
 */
export function resolvePolicy(policy: RetryPolicy): ResolvedPolicy {
  if (typeof policy !== 'object' || policy === null) {
    throw new PerfError('INVALID_OPTION', '[perf:batch] option "retry" must be a retry policy object', {
      context: { option: 'retry', value: policy },
    })
  }
  const maxAttempts = policy.maxAttempts === Infinity ? Infinity : assertInt(policy.maxAttempts ?? 3, 'maxAttempts', 1)
  const maxElapsedMs = optionalMs(policy.maxElapsedMs, 'maxElapsedMs', Infinity, 'INVALID_OPTION')
  if (maxAttempts === Infinity && maxElapsedMs === Infinity) {
    throw new PerfError(
      'INVALID_OPTION',
      '[perf:batch] option "maxAttempts" may be Infinity only together with a finite maxElapsedMs',
      {
        context: { option: 'maxAttempts', value: maxAttempts },
      },
    )
  }
  const backoff = policy.backoff ?? backoffs.exponential()
  if (typeof backoff !== 'object' || backoff === null || typeof backoff.delay !== 'function') {
    throw new PerfError(
      'INVALID_OPTION',
      '[perf:batch] option "backoff" must be a Backoff (see backoff.exponential())',
      {
        context: { option: 'backoff', value: backoff },
      },
    )
  }
  if (policy.signal !== undefined && !(policy.signal instanceof AbortSignal)) {
    throw new PerfError('INVALID_OPTION', '[perf:batch] option "signal" must be an AbortSignal', {
      context: { option: 'signal' },
    })
  }
  const clock = policy.clock ?? systemClock
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new PerfError('INVALID_OPTION', '[perf:batch] option "clock" must have a now() method', {
      context: { option: 'clock' },
    })
  }
  return {
    maxAttempts,
    maxElapsedMs,
    backoff,
    retryable: policy.retryable === undefined ? undefined : assertFunction(policy.retryable, 'retryable'),
    signal: policy.signal,
    onRetry: policy.onRetry === undefined ? undefined : assertFunction(policy.onRetry, 'onRetry'),
    clock,
  }
}

/**
 * Calls `fn` until it succeeds, waiting between attempts as the policy's backoff says.
 *
 * @example
 * const rows = await retry(() => db.query(sql), {
 *   maxAttempts: 5,
 *   backoff: backoff.exponential({ initialMs: 50, maxMs: 2_000 }),
 *   retryable: (err) => (err as { code?: string }).code === '40001', // serialization failure
 * })
 * @throws PerfError RETRY_EXHAUSTED (cause: the last error; context: attempts, elapsedMs) when
 *   attempts or time run out; the error itself when `retryable` says no; the signal's reason
 *   (or an ABORTED PerfError) when the signal fires; INVALID_OPTION for a malformed policy
 */
export async function retry<T>(
  fn: (context: RetryContext) => T | PromiseLike<T>,
  policy: RetryPolicy = {},
): Promise<T> {
  assertFunction(fn, 'fn')
  const p = resolvePolicy(policy)
  const started = p.clock.now()
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(p.signal, 'retry()')
    try {
      return await fn({ attempt, signal: p.signal })
    } catch (error) {
      // An abort that surfaces through fn is the caller cancelling, not a failure to retry.
      throwIfAborted(p.signal, 'retry()')
      if (p.retryable !== undefined && !p.retryable(error, attempt)) throw error
      const elapsedMs = p.clock.now() - started
      if (attempt >= p.maxAttempts) throw exhausted(error, attempt, elapsedMs, p, 'maxAttempts')
      const delayMs = p.backoff.delay(attempt)
      if (elapsedMs + delayMs > p.maxElapsedMs) throw exhausted(error, attempt, elapsedMs, p, 'maxElapsedMs')
      p.onRetry?.({ error, attempt, delayMs, elapsedMs })
      // A ref'd timer: someone awaits this retry, and an unref'd one would let a script exit mid-backoff.
      await sleep(delayMs, p.signal, { what: 'retry()', keepAlive: true })
    }
  }
}

function exhausted(
  error: unknown,
  attempts: number,
  elapsedMs: number,
  p: ResolvedPolicy,
  limit: 'maxAttempts' | 'maxElapsedMs',
): PerfError {
  const bound = limit === 'maxAttempts' ? `maxAttempts=${p.maxAttempts}` : `maxElapsedMs=${p.maxElapsedMs}`
  const reason = error instanceof Error ? error.message : String(error)
  return new PerfError(
    'RETRY_EXHAUSTED',
    `[perf:batch] retry() gave up after ${attempts} attempt(s) in ${elapsedMs} ms (${bound}): ${reason}`,
    {
      cause: error,
      context: { attempts, elapsedMs, limit },
    },
  )
}
