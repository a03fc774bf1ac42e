import diagnosticsChannel from 'node:diagnostics_channel'
import { CHANNELS, Histogram, type LockEvent, type QueryEvent } from '@perf/core'

/** One point of `/series`: what the monitors recorded during one interval. */
export interface SeriesPoint {
  /** End of the interval (ms since the epoch). */
  at: number
  /** Queries recorded in the interval. */
  calls: number
  /** Queries per second over the interval. */
  perSecond: number
  errors: number
  /** Latency percentiles of the interval's queries, ms (0 without queries). */
  p50Ms: number
  p95Ms: number
  p99Ms: number
  /** Cache reads (hit, stale, grace, miss) reported with the interval's queries, and how many were served from cache. */
  cacheReads: number
  cacheHits: number
}

/** A lock wait, timeout, loss or deadlock seen on `perf:lock`. */
export interface LockActivity {
  at: number
  type: 'wait' | 'timeout' | 'lost' | 'deadlock'
  locker: string
  resources: string[]
  /** How long it waited (wait, timeout) or was held (lost), ms. */
  durationMs?: number
  /** The deadlock cycle, owners and resources alternating. */
  cycle?: string[]
}

/** Counts of lock activity since the dashboard started. */
export interface LockTotals {
  acquired: number
  waited: number
  timeouts: number
  lost: number
  deadlocks: number
}

const MAX_LOCK_ACTIVITY = 50

/**
 * Samples what the `perf:query` and `perf:lock` diagnostics channels carry into fixed intervals
 * (an unref'd timer): throughput, errors and latency percentiles per interval, and recent lock
 * trouble. Bounded: `historySize` points and 50 lock events.
 */
export class SeriesRecorder {
  readonly #points: SeriesPoint[] = []
  readonly #latency = new Histogram()
  readonly #lockActivity: LockActivity[] = []
  readonly lockTotals: LockTotals = { acquired: 0, waited: 0, timeouts: 0, lost: 0, deadlocks: 0 }
  #calls = 0
  #errors = 0
  #cacheReads = 0
  #cacheHits = 0
  #last: number
  #timer: ReturnType<typeof setInterval> | undefined
  readonly #listeners = new Set<(point: SeriesPoint) => void>()

  constructor(
    readonly intervalMs: number,
    readonly historySize: number,
    readonly now: () => number = Date.now,
  ) {
    this.#last = now()
    diagnosticsChannel.subscribe(CHANNELS.query, this.#onQuery)
    diagnosticsChannel.subscribe(CHANNELS.lock, this.#onLock)
    this.#timer = setInterval(() => this.tick(), intervalMs)
    this.#timer.unref()
  }

  /** Points, oldest first. */
  points(): SeriesPoint[] {
    return this.#points.slice()
  }

  /** Recent lock waits, timeouts, losses and deadlocks, newest first. */
  lockActivity(): LockActivity[] {
    return this.#lockActivity.slice().reverse()
  }

  /** Called with every new point; returns the unsubscribe function. */
  onPoint(listener: (point: SeriesPoint) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Closes the current interval (the timer calls it; tests may too). */
  tick(): SeriesPoint {
    const at = this.now()
    const seconds = Math.max(at - this.#last, 1) / 1000
    const h = this.#latency
    const point: SeriesPoint = {
      at,
      calls: this.#calls,
      perSecond: round(this.#calls / seconds),
      errors: this.#errors,
      p50Ms: round(h.percentile(50)),
      p95Ms: round(h.percentile(95)),
      p99Ms: round(h.percentile(99)),
      cacheReads: this.#cacheReads,
      cacheHits: this.#cacheHits,
    }
    h.reset()
    this.#calls = this.#errors = this.#cacheReads = this.#cacheHits = 0
    this.#last = at
    this.#points.push(point)
    if (this.#points.length > this.historySize) this.#points.shift()
    for (const listener of this.#listeners) listener(point)
    return point
  }

  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#listeners.clear()
    diagnosticsChannel.unsubscribe(CHANNELS.query, this.#onQuery)
    diagnosticsChannel.unsubscribe(CHANNELS.lock, this.#onLock)
  }

  readonly #onQuery = (message: unknown): void => {
    const event = message as QueryEvent
    const ms = event.durationMs
    if (typeof ms !== 'number' || !(ms >= 0)) return
    this.#calls++
    if (event.error !== undefined && event.error !== null) this.#errors++
    this.#latency.record(ms)
    const cache = event.cache
    if (cache === 'hit' || cache === 'stale' || cache === 'grace') {
      this.#cacheReads++
      this.#cacheHits++
    } else if (cache === 'miss') this.#cacheReads++
  }

  readonly #onLock = (message: unknown): void => {
    const event = message as LockEvent
    const t = this.lockTotals
    let activity: LockActivity | undefined
    const base = { at: this.now(), locker: String(event.locker), resources: [...(event.resources ?? [])] }
    switch (event.type) {
      case 'acquire':
        t.acquired++
        // A grant after a measurable wait is contention worth showing.
        if (event.durationMs >= 1) {
          t.waited++
          activity = { ...base, type: 'wait', durationMs: round(event.durationMs) }
        }
        break
      case 'timeout':
        t.timeouts++
        activity = { ...base, type: 'timeout', durationMs: round(event.durationMs) }
        break
      case 'lost':
        t.lost++
        activity = { ...base, type: 'lost', durationMs: round(event.durationMs) }
        break
      case 'deadlock':
        t.deadlocks++
        activity = { ...base, type: 'deadlock', cycle: [...event.cycle] }
        break
      default:
        return
    }
    if (activity === undefined) return
    this.#lockActivity.push(activity)
    if (this.#lockActivity.length > MAX_LOCK_ACTIVITY) this.#lockActivity.shift()
  }
}

export function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
