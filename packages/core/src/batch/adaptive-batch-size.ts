import { PerfError } from '../errors.js'
import { toMs, type Duration } from '../util/duration.js'
import { assertFunction, assertInt, assertNumber } from '../util/validate.js'

/** Options of {@link AdaptiveBatchSize}. */
export interface AdaptiveBatchSizeOptions {
  /** The batch duration to steer toward (ms or `'500ms'`). */
  targetBatchMs: Duration
  /** Smallest size ever returned. @default 1 */
  min?: number
  /** Largest size ever returned. @default 10000 */
  max?: number
  /** Starting size, clamped into [min, max]. @default min(max, max(min, 100)) */
  initial?: number
  /**
   * No change while a batch lands within ±tolerance of the target (0.2 = ±20 %), so noise does
   * not make the size oscillate. @default 0.2
   */
  tolerance?: number
  /** Most a size may grow in one step (2 = at most double). @default 2 */
  maxGrowth?: number
  /** Halve the size whenever heap use exceeds this many bytes. @default no ceiling */
  heapCeilingBytes?: number
  /** Reads heap use in bytes; injectable for tests. @default () => process.memoryUsage().heapUsed */
  heapUsed?: () => number
}

/** Why the size last changed (or did not). */
export type AdaptiveReason = 'initial' | 'grow' | 'shrink' | 'steady' | 'heap' | 'error'

/** One completed batch, as reported to {@link AdaptiveBatchSize.record}. */
export interface BatchSample {
  /** Items the batch held (may be below `size` for the last batch). */
  items: number
  /** How long the batch took, in ms. */
  durationMs: number
}

/**
 * Steers a batch size toward a target batch duration: proportional growth (at most ×maxGrowth
 * per step) and shrinking (at most ÷2 per step), clamped to [min, max]; halves on errors and
 * when heap use passes a ceiling (multiplicative decrease, as in AIMD).
 *
 * @example
 * const size = new AdaptiveBatchSize({ targetBatchMs: 500, min: 10, max: 5_000, heapCeilingBytes: 512 * 2 ** 20 })
 * await batches(rows, insertMany, { size })
 * @throws PerfError INVALID_OPTION when an option is malformed
 */
export class AdaptiveBatchSize {
  readonly #targetMs: number
  readonly #min: number
  readonly #max: number
  readonly #tolerance: number
  readonly #maxGrowth: number
  readonly #heapCeiling: number
  readonly #heapUsed: () => number
  readonly #initial: number
  #size: number
  #reason: AdaptiveReason = 'initial'

  constructor(options: AdaptiveBatchSizeOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new PerfError(
        'INVALID_OPTION',
        '[perf:batch] AdaptiveBatchSize needs an options object with targetBatchMs',
        {
          context: { option: 'options' },
        },
      )
    }
    this.#targetMs = toMs(options.targetBatchMs, 'targetBatchMs', 'INVALID_OPTION')
    if (this.#targetMs <= 0) {
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:batch] option "targetBatchMs" must be > 0, got ${String(options.targetBatchMs)}`,
        {
          context: { option: 'targetBatchMs', value: options.targetBatchMs },
        },
      )
    }
    this.#min = assertInt(options.min ?? 1, 'min', 1)
    this.#max = assertInt(options.max ?? Math.max(this.#min, 10_000), 'max', this.#min)
    this.#tolerance = assertNumber(options.tolerance ?? 0.2, 'tolerance', 0, 0.9)
    this.#maxGrowth = assertNumber(options.maxGrowth ?? 2, 'maxGrowth', 1)
    this.#heapCeiling =
      options.heapCeilingBytes === undefined ? Infinity : assertInt(options.heapCeilingBytes, 'heapCeilingBytes', 1)
    this.#heapUsed =
      options.heapUsed === undefined
        ? () => process.memoryUsage().heapUsed
        : assertFunction(options.heapUsed, 'heapUsed')
    const initial = options.initial === undefined ? 100 : assertInt(options.initial, 'initial', 1)
    this.#initial = this.#clamp(initial)
    this.#size = this.#initial
  }

  /** The size to use for the next batch. */
  get size(): number {
    return this.#size
  }

  /** Why the size last changed. */
  get reason(): AdaptiveReason {
    return this.#reason
  }

  /**
   * Reports a successful batch and returns the next size.
   *
   * @throws PerfError INVALID_ARGUMENT when `items` or `durationMs` is not a valid count/duration
   */
  record(sample: BatchSample): number {
    const { items, durationMs } = sample
    if (
      !Number.isInteger(items) ||
      items < 1 ||
      typeof durationMs !== 'number' ||
      !(durationMs >= 0) ||
      !Number.isFinite(durationMs)
    ) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:batch] AdaptiveBatchSize.record() needs items >= 1 and durationMs >= 0, got ${items} items in ${durationMs} ms`,
        {
          context: { argument: 'sample', items, durationMs },
        },
      )
    }
    if (this.#overHeapCeiling()) return this.#halve('heap')
    const ratio = durationMs / this.#targetMs
    if (Math.abs(ratio - 1) <= this.#tolerance) {
      this.#reason = 'steady'
      return this.#size
    }
    // Items that would have filled the target at the observed per-item cost; a 0 ms batch says
    // "much faster than target", so it grows by the step limit.
    const ideal = durationMs === 0 ? Infinity : (items * this.#targetMs) / durationMs
    const stepped = Math.min(this.#size * this.#maxGrowth, Math.max(this.#size / 2, ideal))
    const next = this.#clamp(Math.round(stepped))
    this.#reason = next > this.#size ? 'grow' : next < this.#size ? 'shrink' : 'steady'
    this.#size = next
    return next
  }

  /** Reports a failed batch (or attempt) and returns the next, halved, size. */
  recordError(): number {
    return this.#halve('error')
  }

  /** Back to the initial size. */
  reset(): void {
    this.#size = this.#initial
    this.#reason = 'initial'
  }

  #overHeapCeiling(): boolean {
    return this.#heapCeiling !== Infinity && this.#heapUsed() > this.#heapCeiling
  }

  #halve(reason: AdaptiveReason): number {
    this.#size = this.#clamp(Math.floor(this.#size / 2))
    this.#reason = reason
    return this.#size
  }

  #clamp(size: number): number {
    return Math.min(this.#max, Math.max(this.#min, size))
  }
}
