import { PerfError } from '../errors.js'
import { assertNumber } from '../util/validate.js'

/** Options of a {@link Histogram}. */
export interface HistogramOptions {
  /** Largest relative error of a reported percentile, in (0, 0.5). @default 0.01 */
  relativeError?: number
  /** Smallest distinguishable value; positive values below it count as zero. @default 0.001 (ms) */
  minValue?: number
  /** Largest value kept apart; larger values are recorded as `maxValue`. @default 3_600_000 (one hour in ms) */
  maxValue?: number
}

/** Percentile summary returned by {@link Histogram.toJSON}. */
export interface HistogramSummary {
  count: number
  sum: number
  min: number
  max: number
  p50: number
  p90: number
  p95: number
  p99: number
  p999: number
}

/**
 * A log-bucketed, mergeable histogram (DDSketch-style): every percentile it reports is within
 * `relativeError` of the exact one, in constant memory (one preallocated `Float64Array`
 * covering [minValue, maxValue]; about 1100 buckets, 9 KB, at the defaults).
 *
 * @throws PerfError INVALID_OPTION when an option is out of range.
 * @example
 * const h = new Histogram()
 * h.record(12.5)
 * h.percentile(99) // ≈ 12.5 (±1%)
 */
export class Histogram {
  readonly #relativeError: number
  readonly #minValue: number
  readonly #maxValue: number
  readonly #gamma: number
  readonly #invLnGamma: number
  /** Index (in log_gamma space) of the first bucket; array slot = index - offset. */
  readonly #offset: number
  readonly #buckets: Float64Array
  #zero = 0
  #count = 0
  #sum = 0
  #min = Number.POSITIVE_INFINITY
  #max = Number.NEGATIVE_INFINITY
  /** Lowest and highest non-empty slots, so percentile scans skip the empty tails. */
  #lo: number
  #hi = -1

  constructor(options: HistogramOptions = {}) {
    this.#relativeError = assertNumber(options.relativeError ?? 0.01, 'relativeError', 1e-6, 0.49)
    this.#minValue = assertNumber(options.minValue ?? 0.001, 'minValue', Number.MIN_VALUE)
    this.#maxValue = assertNumber(options.maxValue ?? 3_600_000, 'maxValue', this.#minValue)
    const alpha = this.#relativeError
    this.#gamma = (1 + alpha) / (1 - alpha)
    this.#invLnGamma = 1 / Math.log(this.#gamma)
    this.#offset = Math.ceil(Math.log(this.#minValue) * this.#invLnGamma)
    const last = Math.ceil(Math.log(this.#maxValue) * this.#invLnGamma)
    this.#buckets = new Float64Array(last - this.#offset + 1)
    this.#lo = this.#buckets.length
  }

  /**
   * Adds `value` (`count` times). Values <= 0 (and below `minValue`) go to the zero bucket;
   * values above `maxValue` are recorded as `maxValue`. Allocates nothing.
   * @throws PerfError INVALID_ARGUMENT when `value` is NaN or `count` is not a positive finite number.
   */
  record(value: number, count = 1): void {
    if (value !== value || !(count > 0) || count === Number.POSITIVE_INFINITY) this.#badRecord(value, count)
    if (value > this.#maxValue) value = this.#maxValue
    this.#count += count
    this.#sum += value * count
    if (value < this.#min) this.#min = value
    if (value > this.#max) this.#max = value
    if (value < this.#minValue) {
      this.#zero += count
      return
    }
    let slot = Math.ceil(Math.log(value) * this.#invLnGamma) - this.#offset
    // Floating-point rounding at the range edges can land one slot outside the array.
    if (slot < 0) slot = 0
    else if (slot >= this.#buckets.length) slot = this.#buckets.length - 1
    this.#buckets[slot]! += count
    if (slot < this.#lo) this.#lo = slot
    if (slot > this.#hi) this.#hi = slot
  }

  /**
   * The `p`-th percentile (nearest-rank on the lower side), within `relativeError` of the exact
   * value and clamped to [min, max]; 0 when empty.
   * @throws PerfError INVALID_ARGUMENT when `p` is outside [0, 100].
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) {
      throw new PerfError('INVALID_ARGUMENT', `[perf:monitor] Histogram.percentile(p) needs p in [0, 100], got ${p}`, {
        context: { p },
      })
    }
    if (this.#count === 0) return 0
    const rank = (p / 100) * (this.#count - 1)
    let seen = this.#zero
    if (seen > rank) return this.#clamp(0)
    for (let slot = this.#lo; slot <= this.#hi; slot++) {
      seen += this.#buckets[slot]!
      if (seen > rank) return this.#clamp(this.#valueOf(slot))
    }
    return this.#max
  }

  /**
   * Adds every value recorded in `other` to this histogram.
   * @throws PerfError INVALID_ARGUMENT when `other` was built with different options.
   */
  merge(other: Histogram): this {
    if (
      !(other instanceof Histogram) ||
      other.#relativeError !== this.#relativeError ||
      other.#minValue !== this.#minValue ||
      other.#maxValue !== this.#maxValue
    ) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        '[perf:monitor] Histogram.merge() needs a Histogram with the same relativeError, minValue and maxValue',
        {
          context: { relativeError: this.#relativeError, minValue: this.#minValue, maxValue: this.#maxValue },
        },
      )
    }
    if (other.#count === 0) return this
    for (let slot = other.#lo; slot <= other.#hi; slot++) this.#buckets[slot]! += other.#buckets[slot]!
    this.#zero += other.#zero
    this.#count += other.#count
    this.#sum += other.#sum
    if (other.#min < this.#min) this.#min = other.#min
    if (other.#max > this.#max) this.#max = other.#max
    if (other.#lo < this.#lo) this.#lo = other.#lo
    if (other.#hi > this.#hi) this.#hi = other.#hi
    return this
  }

  /** Number of recorded values. */
  get count(): number {
    return this.#count
  }

  /** Sum of recorded values (after clamping to `maxValue`). */
  get sum(): number {
    return this.#sum
  }

  /** Smallest recorded value; 0 when empty. */
  get min(): number {
    return this.#count === 0 ? 0 : this.#min
  }

  /** Largest recorded value (after clamping to `maxValue`); 0 when empty. */
  get max(): number {
    return this.#count === 0 ? 0 : this.#max
  }

  /** Arithmetic mean; 0 when empty. */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count
  }

  /**
   * For each upper bound (ascending; `Infinity` allowed), how many values are <= it, judged by
   * each bucket's reported value — the cumulative `le` buckets of a Prometheus histogram.
   * @throws PerfError INVALID_ARGUMENT when the bounds are not ascending numbers.
   */
  cumulativeCounts(upperBounds: readonly number[]): number[] {
    const out = new Array<number>(upperBounds.length)
    let slot = this.#lo
    let seen = 0
    let zeroAdded = false
    let previous = Number.NEGATIVE_INFINITY
    for (let i = 0; i < upperBounds.length; i++) {
      const bound = upperBounds[i]!
      if (!(bound >= previous)) {
        throw new PerfError(
          'INVALID_ARGUMENT',
          `[perf:monitor] Histogram.cumulativeCounts() needs ascending bounds, got ${bound} after ${previous}`,
          {
            context: { upperBounds },
          },
        )
      }
      previous = bound
      if (!zeroAdded && bound >= 0) {
        seen += this.#zero
        zeroAdded = true
      }
      while (slot <= this.#hi && this.#valueOf(slot) <= bound) seen += this.#buckets[slot++]!
      out[i] = bound === Number.POSITIVE_INFINITY ? this.#count : seen
    }
    return out
  }

  /** Forgets every recorded value. */
  reset(): void {
    if (this.#hi >= this.#lo) this.#buckets.fill(0, this.#lo, this.#hi + 1)
    this.#zero = 0
    this.#count = 0
    this.#sum = 0
    this.#min = Number.POSITIVE_INFINITY
    this.#max = Number.NEGATIVE_INFINITY
    this.#lo = this.#buckets.length
    this.#hi = -1
  }

  /** Count, sum, min, max and the usual percentiles, JSON-ready. */
  toJSON(): HistogramSummary {
    return {
      count: this.#count,
      sum: this.#sum,
      min: this.min,
      max: this.max,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
    }
  }

  /** The bucket's midpoint in relative terms: within alpha of every value the bucket holds. */
  #valueOf(slot: number): number {
    return (2 * this.#gamma ** (slot + this.#offset)) / (this.#gamma + 1)
  }

  #clamp(value: number): number {
    return value < this.#min ? this.#min : value > this.#max ? this.#max : value
  }

  #badRecord(value: number, count: number): never {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:monitor] Histogram.record() needs a number and a positive finite count, got value=${value} count=${count}`,
      {
        context: { value, count },
      },
    )
  }
}
