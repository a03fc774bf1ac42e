import { PerfError } from '../errors.js'
import { throwIfAborted } from '../util/abort.js'
import { CHANNELS, publish } from '../util/diagnostics.js'
import { AdaptiveBatchSize } from './adaptive-batch-size.js'
import {
  readBatchesOptions,
  type BatchContext,
  type BatchFailure,
  type BatchesConfig,
  type BatchesOptions,
  type BatchesResult,
} from './batches-options.js'
import { retry } from './retry.js'

type AnyIterator<T> = Iterator<T> | AsyncIterator<T>

/** Resolved by a pending pull when the run is aborted, so a stalled source cannot hang the run. */
const ABORTED = Symbol('aborted')

function isThenable<V>(value: V | PromiseLike<V>): value is PromiseLike<V> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/** One run of {@link batches}: pulls batches on demand and keeps at most `concurrency` in flight. */
class BatchRun<T> {
  readonly #fn: (items: T[], context: BatchContext) => unknown
  readonly #config: BatchesConfig
  readonly #iterator: AnyIterator<T>
  readonly #controller = new AbortController()
  readonly #started: number
  readonly #failures: BatchFailure<T>[] = []
  /** Pulls are chained: iterators must not see concurrent next() calls. */
  #pullChain: Promise<unknown> = Promise.resolve()
  #pendingNext = false
  #exhausted = false
  #stopped = false
  #fatal: unknown = undefined
  #hasFatal = false
  #nextIndex = 0
  #settled = 0
  #done = 0
  #failedItems = 0

  constructor(
    source: Iterable<T> | AsyncIterable<T>,
    fn: (items: T[], context: BatchContext) => unknown,
    config: BatchesConfig,
  ) {
    this.#fn = fn
    this.#config = config
    const asyncFactory = (source as AsyncIterable<T>)[Symbol.asyncIterator]
    this.#iterator =
      typeof asyncFactory === 'function' ? asyncFactory.call(source) : (source as Iterable<T>)[Symbol.iterator]()
    this.#started = config.clock.now()
  }

  async run(): Promise<BatchesResult<T>> {
    const { signal } = this.#config
    const onAbort = (): void => this.#stop(signal?.reason)
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    try {
      const workers: Promise<void>[] = []
      for (let i = 0; i < this.#config.concurrency; i++) workers.push(this.#worker())
      await Promise.all(workers)
    } finally {
      signal?.removeEventListener('abort', onAbort)
      if (!this.#exhausted) await this.#closeSource()
    }
    throwIfAborted(signal, 'batches()')
    if (this.#hasFatal) throw this.#fatal
    return { processed: this.#done, failed: this.#failures, batches: this.#nextIndex }
  }

  async #worker(): Promise<void> {
    while (!this.#stopped) {
      const batch = await this.#pull()
      if (batch === undefined) return
      await this.#process(batch.items, batch.index)
    }
  }

  #pull(): Promise<{ items: T[]; index: number } | undefined> {
    const next = this.#pullChain.then(() => this.#readBatch())
    this.#pullChain = next.catch(() => undefined)
    return next
  }

  async #readBatch(): Promise<{ items: T[]; index: number } | undefined> {
    const { size } = this.#config
    const want = size instanceof AdaptiveBatchSize ? size.size : size
    const items: T[] = []
    try {
      while (!this.#stopped && !this.#exhausted && items.length < want) {
        const pending = this.#iterator.next()
        // Sync sources are read without a microtask per item.
        const result = isThenable(pending) ? await this.#settleNext(pending) : pending
        if (result === ABORTED) break
        if (result.done === true) this.#exhausted = true
        else items.push(result.value)
      }
    } catch (error) {
      // The source itself failed: nothing sensible to do with a partial batch.
      this.#exhausted = true
      this.#fail(error)
      return undefined
    }
    if (this.#stopped || items.length === 0) return undefined
    return { items, index: this.#nextIndex++ }
  }

  async #settleNext(pending: PromiseLike<IteratorResult<T>>): Promise<IteratorResult<T> | typeof ABORTED> {
    this.#pendingNext = true
    const signal = this.#controller.signal
    let onAbort: (() => void) | undefined
    const aborted = new Promise<typeof ABORTED>((resolve) => {
      onAbort = () => resolve(ABORTED)
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([pending, aborted])
    } finally {
      signal.removeEventListener('abort', onAbort as () => void)
      this.#pendingNext = false
    }
  }

  async #process(items: T[], batchIndex: number): Promise<void> {
    const { clock } = this.#config
    const adaptive = this.#config.size instanceof AdaptiveBatchSize ? this.#config.size : undefined
    let attemptStarted = clock.now()
    const attempt = (n: number): unknown => {
      attemptStarted = clock.now()
      return this.#fn(items, { batchIndex, signal: this.#controller.signal, attempt: n })
    }
    let failure: { error: unknown } | undefined
    try {
      await this.#runWithRetry(attempt, adaptive)
    } catch (error) {
      failure = { error }
    }
    if (failure === undefined) {
      // Only the successful attempt counts: backoff waits say nothing about the right size.
      const durationMs = Math.max(0, clock.now() - attemptStarted)
      this.#done += items.length
      adaptive?.record({ items: items.length, durationMs })
      publish(CHANNELS.batch, { type: 'batch', batchIndex, size: items.length, durationMs, ok: true })
    } else {
      // An abort is not a failed batch: the run rejects with the abort reason instead.
      if (this.#config.signal?.aborted) return
      this.#failedItems += items.length
      adaptive?.recordError()
      publish(CHANNELS.batch, { type: 'batch', batchIndex, size: items.length, ok: false, error: failure.error })
      this.#recordFailure(items, batchIndex, failure.error)
    }
    this.#settled++
    this.#report()
  }

  async #runWithRetry(attempt: (n: number) => unknown, adaptive: AdaptiveBatchSize | undefined): Promise<void> {
    const policy = this.#config.retry
    if (policy === undefined) {
      await attempt(1)
      return
    }
    const signal = this.#controller.signal
    await retry(({ attempt: n }) => attempt(n), {
      ...policy,
      signal: policy.signal === undefined ? signal : AbortSignal.any([policy.signal, signal]),
      clock: policy.clock ?? this.#config.clock,
      onRetry: (event) => {
        // A failed attempt hints at overload: later batches get smaller too.
        adaptive?.recordError()
        policy.onRetry?.(event)
      },
    })
  }

  #recordFailure(items: T[], batchIndex: number, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error)
    if (!this.#config.continueOnError) {
      this.#fail(
        new PerfError('BATCH_FAILED', `[perf:batch] batch ${batchIndex} (${items.length} items) failed: ${reason}`, {
          cause: error,
          context: { batchIndex, items },
        }),
      )
      return
    }
    this.#failures.push({ items, error, batchIndex })
    const max = this.#config.maxFailedBatches
    if (this.#failures.length > max) {
      this.#fail(
        new PerfError(
          'BATCH_FAILED',
          `[perf:batch] more than maxFailedBatches=${max} batches failed; last was batch ${batchIndex}: ${reason}`,
          {
            cause: error,
            context: { batchIndex, items, failed: this.#failures },
          },
        ),
      )
    }
  }

  #report(): void {
    const { onProgress, total, clock } = this.#config
    if (onProgress === undefined) return
    const elapsedMs = clock.now() - this.#started
    const settledItems = this.#done + this.#failedItems
    const ratePerSec = elapsedMs > 0 ? (settledItems * 1000) / elapsedMs : 0
    const remaining = total === undefined ? undefined : Math.max(0, total - settledItems)
    const etaMs =
      remaining === undefined
        ? undefined
        : remaining === 0
          ? 0
          : ratePerSec > 0
            ? Math.round((remaining * 1000) / ratePerSec)
            : undefined
    try {
      onProgress({ done: this.#done, failed: this.#failedItems, total, batches: this.#settled, ratePerSec, etaMs })
    } catch (error) {
      this.#fail(error)
    }
  }

  /** First fatal error wins; stops pulling, lets in-flight batches finish. */
  #fail(error: unknown): void {
    if (!this.#hasFatal) {
      this.#hasFatal = true
      this.#fatal = error
    }
    this.#stopped = true
  }

  #stop(reason: unknown): void {
    this.#stopped = true
    this.#controller.abort(reason)
  }

  async #closeSource(): Promise<void> {
    if (typeof this.#iterator.return !== 'function') return
    try {
      const closing: unknown = this.#iterator.return()
      // An async generator stuck in a pending next() would make return() wait for it: don't.
      if (!this.#pendingNext) await closing
      else void Promise.resolve(closing).catch(() => undefined)
    } catch {
      // Closing is best effort; the run's own outcome matters more than a failing finally block.
    }
  }
}

/**
 * Processes a sync or async iterable in batches with bounded concurrency and memory: the source
 * is pulled only when a worker is free, so at most `concurrency × size` items are held at once.
 *
 * @example
 * const { processed, failed } = await batches(readCsvRows(file), (rows) => db.user.createMany({ data: rows }), {
 *   size: new AdaptiveBatchSize({ targetBatchMs: 500, max: 5_000 }),
 *   concurrency: 4,
 *   retry: { maxAttempts: 3, backoff: backoff.exponential({ initialMs: 200 }) },
 *   continueOnError: true,
 *   onProgress: ({ done, total, etaMs }) => console.log(done, total, etaMs),
 * })
 * @throws PerfError BATCH_FAILED (context: batchIndex, items; cause: the batch's error) when a
 *   batch fails and `continueOnError` is off; the signal's reason (or ABORTED) when aborted; the
 *   source's own error if iterating it throws; INVALID_ARGUMENT / INVALID_OPTION for bad input
 */
export async function batches<T>(
  source: Iterable<T> | AsyncIterable<T>,
  fn: (items: T[], context: BatchContext) => unknown,
  options: BatchesOptions,
): Promise<BatchesResult<T>> {
  const config = readBatchesOptions(source, fn, options)
  return new BatchRun(source, fn, config).run()
}
