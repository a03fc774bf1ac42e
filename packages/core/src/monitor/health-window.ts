import { Histogram } from './histogram.js'

/** Counts for one window of the health computation. */
class Bucket {
  calls = 0
  errors = 0
  cacheReads = 0
  cacheHits = 0
  readonly latency = new Histogram()

  clear(): void {
    this.calls = 0
    this.errors = 0
    this.cacheReads = 0
    this.cacheHits = 0
    this.latency.reset()
  }
}

/** The figures of the last one to two windows. */
export interface WindowFigures {
  calls: number
  errors: number
  cacheReads: number
  cacheHits: number
  p95Ms: number
}

/**
 * Recent latency, errors and cache reads for `monitor.health()`: a current and a previous
 * window of `windowMs` each, rotated lazily on record (no timer), so health reflects the last
 * one to two windows rather than the whole process lifetime.
 */
export class HealthWindow {
  #current = new Bucket()
  #previous = new Bucket()
  readonly #merged = new Histogram()
  #startedAt: number

  constructor(
    readonly windowMs: number,
    now: number,
  ) {
    this.#startedAt = now
  }

  /** Rotates if the current window is over; returns true when it did. */
  advance(now: number): boolean {
    const elapsed = now - this.#startedAt
    if (elapsed < this.windowMs) return false
    const old = this.#previous
    this.#previous = this.#current
    this.#current = old
    this.#current.clear()
    // Idle for two windows or more: the previous window is stale too.
    if (elapsed >= 2 * this.windowMs) this.#previous.clear()
    this.#startedAt = now
    return true
  }

  /** Counts one query in the current window. */
  record(durationMs: number, failed: boolean): void {
    const b = this.#current
    b.calls++
    if (failed) b.errors++
    b.latency.record(durationMs)
  }

  /** Counts one cache read (hit, stale or grace count as hits). */
  recordCache(hit: boolean): void {
    this.#current.cacheReads++
    if (hit) this.#current.cacheHits++
  }

  /** The current and previous windows combined. */
  figures(): WindowFigures {
    const a = this.#current
    const b = this.#previous
    this.#merged.reset()
    this.#merged.merge(a.latency).merge(b.latency)
    return {
      calls: a.calls + b.calls,
      errors: a.errors + b.errors,
      cacheReads: a.cacheReads + b.cacheReads,
      cacheHits: a.cacheHits + b.cacheHits,
      p95Ms: this.#merged.percentile(95),
    }
  }

  /** Empties both windows and starts a new one at `now`. */
  clear(now: number): void {
    this.#current.clear()
    this.#previous.clear()
    this.#startedAt = now
  }
}
