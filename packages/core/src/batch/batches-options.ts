import { PerfError } from '../errors.js'
import { systemClock, type Clock } from '../util/clock.js'
import { assertFunction, assertInt } from '../util/validate.js'
import { AdaptiveBatchSize } from './adaptive-batch-size.js'
import { resolvePolicy, type RetryPolicy } from './retry.js'

/** Progress of a {@link batches} run, reported after every batch settles. */
export interface BatchProgress {
  /** Items in batches that succeeded. */
  done: number
  /** Items in batches that failed (after their retries). */
  failed: number
  /** Items expected in all, when known (`options.total`, or the source's `length`/`size`). */
  total: number | undefined
  /** Batches settled so far. */
  batches: number
  /** Items settled (done + failed) per second since the start. */
  ratePerSec: number
  /** Estimated milliseconds left, when `total` is known and a rate has been measured. */
  etaMs: number | undefined
}

/** What `fn` receives with each batch. */
export interface BatchContext {
  /** 0-based position of the batch in the source. */
  batchIndex: number
  /** Fires when the run is aborted; pass it to the I/O you start. */
  signal: AbortSignal
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number
}

/** A batch that failed after its retries, with the items it held. */
export interface BatchFailure<T> {
  items: T[]
  error: unknown
  batchIndex: number
}

/** Outcome of a {@link batches} run. */
export interface BatchesResult<T> {
  /** Items in batches that succeeded. */
  processed: number
  /** Failed batches (only with `continueOnError`; otherwise the run rejects). */
  failed: BatchFailure<T>[]
  /** Batches run. */
  batches: number
}

/** Options of {@link batches}. */
export interface BatchesOptions {
  /** Items per batch: a fixed number, or an {@link AdaptiveBatchSize} that steers it. */
  size: number | AdaptiveBatchSize
  /** Batches in flight at once. @default 1 */
  concurrency?: number
  /** Stops pulling from the source; the run rejects with the reason once in-flight batches settle. */
  signal?: AbortSignal
  /** Called after every batch settles. */
  onProgress?: (progress: BatchProgress) => void
  /** Items expected in all, for progress and ETA. @default source.length or source.size when present */
  total?: number
  /** Retry each failing batch under this policy (its `signal` is combined with the run's). @default no retry */
  retry?: RetryPolicy
  /** Collect failed batches in the result instead of rejecting at the first one. @default false */
  continueOnError?: boolean
  /** With `continueOnError`: reject with BATCH_FAILED once more batches than this have failed, so failures cannot pile up without bound. @default 1000 */
  maxFailedBatches?: number
  /** Time source for durations, rate and ETA. @default systemClock */
  clock?: Clock
}

/** Validated {@link BatchesOptions}; internal. */
export interface BatchesConfig {
  size: number | AdaptiveBatchSize
  concurrency: number
  signal: AbortSignal | undefined
  onProgress: ((progress: BatchProgress) => void) | undefined
  total: number | undefined
  retry: RetryPolicy | undefined
  continueOnError: boolean
  maxFailedBatches: number
  clock: Clock
}

function invalid(option: string, rule: string, value: unknown): PerfError {
  return new PerfError('INVALID_OPTION', `[perf:batch] batches() option "${option}" must be ${rule}`, {
    context: { option, value },
  })
}

function sourceTotal(source: object): number | undefined {
  const { length, size } = source as { length?: unknown; size?: unknown }
  if (typeof length === 'number' && Number.isInteger(length) && length >= 0) return length
  if (typeof size === 'number' && Number.isInteger(size) && size >= 0) return size
  return undefined
}

/**
 * Validates the arguments of {@link batches}.
 *
 * @throws PerfError INVALID_ARGUMENT for a non-iterable source or non-function fn; INVALID_OPTION naming a malformed option
 */
export function readBatchesOptions(source: unknown, fn: unknown, options: BatchesOptions): BatchesConfig {
  const iterable =
    typeof source === 'object' &&
    source !== null &&
    (typeof (source as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' ||
      typeof (source as Iterable<unknown>)[Symbol.iterator] === 'function')
  if (!iterable) {
    throw new PerfError('INVALID_ARGUMENT', '[perf:batch] batches(source) needs an iterable or async iterable source', {
      context: { argument: 'source' },
    })
  }
  if (typeof fn !== 'function') {
    throw new PerfError('INVALID_ARGUMENT', '[perf:batch] batches(source, fn) needs fn to be a function', {
      context: { argument: 'fn' },
    })
  }
  if (typeof options !== 'object' || options === null)
    throw invalid('options', 'an object with at least "size"', options)
  const size = options.size instanceof AdaptiveBatchSize ? options.size : assertInt(options.size, 'size', 1)
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    throw invalid('signal', 'an AbortSignal', options.signal)
  if (options.continueOnError !== undefined && typeof options.continueOnError !== 'boolean')
    throw invalid('continueOnError', 'a boolean', options.continueOnError)
  const clock = options.clock ?? systemClock
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function')
    throw invalid('clock', 'an object with a now() method', clock)
  // Validate the retry policy now rather than at the first failure, hours into a run.
  if (options.retry !== undefined) resolvePolicy(options.retry)
  return {
    size,
    concurrency: assertInt(options.concurrency ?? 1, 'concurrency', 1),
    signal: options.signal,
    onProgress: options.onProgress === undefined ? undefined : assertFunction(options.onProgress, 'onProgress'),
    total: options.total === undefined ? sourceTotal(source as object) : assertInt(options.total, 'total', 0),
    retry: options.retry,
    continueOnError: options.continueOnError ?? false,
    maxFailedBatches:
      options.maxFailedBatches === undefined ? 1000 : assertInt(options.maxFailedBatches, 'maxFailedBatches', 0),
    clock,
  }
}
