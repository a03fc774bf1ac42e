import { PerfError } from '../errors.js'
import { Histogram, type HistogramSummary } from '../monitor/histogram.js'
import { RingBuffer } from '../monitor/ring-buffer.js'
import { systemClock, type Clock } from '../util/clock.js'
import { CHANNELS, publish } from '../util/diagnostics.js'
import { optionalMs, type Duration } from '../util/duration.js'
import { assertFunction, assertInt, assertNumber } from '../util/validate.js'
import {
  AlertTracker,
  resolveThresholds,
  type PoolAlert,
  type PoolAlertKind,
  type PoolAlertThresholds,
} from './pool-alerts.js'
import type { PoolProbe, PoolStats } from './types.js'

/** Options of {@link PoolMonitor}. */
export interface PoolMonitorOptions {
  /** Time between samples, ms or a duration string (>= 10 ms). @default 1000 */
  intervalMs?: Duration
  /** Samples kept for {@link PoolMonitor.history}. @default 60 */
  historySize?: number
  /** Alert thresholds, or `false` for none. @default { utilization: 0.9, waiting: 1, acquireWaitP95Ms: 100 } */
  alerts?: PoolAlertThresholds | false
  /** Called when an alert starts firing and again when it resolves. */
  onAlert?: (alert: PoolAlert) => void
  /** Called when a timed sample fails (the probe threw). @default ignore (still published on `perf:pool`) */
  onError?: (err: unknown) => void
  /** Start sampling on construction. @default true */
  autoStart?: boolean
  /** Time source. @default systemClock */
  clock?: Clock
}

/** One reading of the pool. */
export interface PoolSample extends PoolStats {
  /** Clock time, ms. */
  at: number
  /** `active / max`, in [0, 1] (0 when `max` is unknown). */
  utilization: number
}

/** What {@link PoolMonitor.snapshot} returns. */
export interface PoolSnapshot {
  pool: string
  /** Latest sample, if any. */
  current: PoolSample | undefined
  /** Highest `active` and `waiting` seen since construction or `reset()`. */
  peakActive: number
  peakWaiting: number
  /** Samples taken since construction or `reset()`. */
  samples: number
  /** Acquire waits recorded since construction or `reset()`, ms. */
  acquireWait: HistogramSummary
  /** Alerts firing now. */
  alerts: PoolAlertKind[]
}

/**
 * Watches a connection pool through its {@link PoolProbe}: samples it every `intervalMs` (timer
 * unref'd) or on demand, keeps a bounded history, tracks peaks and an acquire-wait histogram fed by
 * the adapter, and raises alerts on threshold transitions. Samples and alerts are published on
 * diagnostics channel `perf:pool`.
 *
 * @example
 * const monitor = new PoolMonitor(pgPoolProbe(pool), { onAlert: (a) => log.warn(a) })
 * @throws PerfError INVALID_OPTION naming the option
 */
export class PoolMonitor {
  private readonly probe: PoolProbe
  private readonly intervalMs: number
  private readonly clock: Clock
  private readonly history_: RingBuffer<PoolSample>
  private readonly alerts: AlertTracker
  private readonly onAlert: ((alert: PoolAlert) => void) | undefined
  private readonly onError: ((err: unknown) => void) | undefined
  private readonly waits = new Histogram()
  private readonly intervalWaits = new Histogram()
  private timer: ReturnType<typeof setInterval> | undefined
  private latest: PoolSample | undefined
  private sampleCount = 0
  private peakActive = 0
  private peakWaiting = 0

  constructor(probe: PoolProbe, options: PoolMonitorOptions = {}) {
    if (
      typeof probe !== 'object' ||
      probe === null ||
      typeof probe.stats !== 'function' ||
      typeof probe.name !== 'string'
    ) {
      throw new PerfError(
        'INVALID_OPTION',
        '[perf:pool] PoolMonitor needs a probe with a string "name" and a "stats()" method',
        { context: { option: 'probe' } },
      )
    }
    this.probe = probe
    this.intervalMs = optionalMs(options.intervalMs, 'intervalMs', 1_000, 'INVALID_OPTION')
    assertNumber(this.intervalMs, 'intervalMs', 10)
    this.history_ = new RingBuffer(assertInt(options.historySize ?? 60, 'historySize', 1, 100_000))
    this.alerts = new AlertTracker(probe.name, resolveThresholds(options.alerts))
    this.onAlert = options.onAlert === undefined ? undefined : assertFunction(options.onAlert, 'onAlert')
    this.onError = options.onError === undefined ? undefined : assertFunction(options.onError, 'onError')
    this.clock = options.clock ?? systemClock
    assertFunction(this.clock?.now, 'clock.now')
    if ((options.autoStart ?? true) === true) this.start()
  }

  /** Starts timed sampling (idempotent). */
  start(): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => this.tick(), this.intervalMs)
    this.timer.unref?.()
  }

  /** Stops timed sampling; `start()` resumes it. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Stops sampling and releases the timer. */
  close(): void {
    this.stop()
  }

  /** Whether timed sampling is running. */
  get running(): boolean {
    return this.timer !== undefined
  }

  /**
   * Records how long one connection request waited, ms. Adapters call it on every acquire.
   * @throws PerfError INVALID_ARGUMENT when `ms` is negative or not finite
   */
  recordAcquireWait(ms: number): void {
    if (!(ms >= 0) || ms === Number.POSITIVE_INFINITY) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:pool] recordAcquireWait(ms) needs a finite, non-negative number, got ${String(ms)}`,
        { context: { argument: 'ms' } },
      )
    }
    this.waits.record(ms)
    this.intervalWaits.record(ms)
  }

  /**
   * Reads the probe now, records the sample and evaluates alerts.
   * @throws whatever the probe's `stats()` throws
   */
  sample(): PoolSample {
    const stats = this.probe.stats()
    const at = this.clock.now()
    const max = count(stats.max)
    const active = count(stats.active)
    const sample: PoolSample = {
      at,
      total: count(stats.total),
      idle: count(stats.idle),
      active,
      waiting: count(stats.waiting),
      max,
      min: count(stats.min),
      utilization: max > 0 ? Math.min(1, active / max) : 0,
    }
    const waitP95 = this.intervalWaits.count === 0 ? 0 : this.intervalWaits.percentile(95)
    this.intervalWaits.reset()
    this.latest = sample
    this.sampleCount += 1
    this.history_.push(sample)
    if (sample.active > this.peakActive) this.peakActive = sample.active
    if (sample.waiting > this.peakWaiting) this.peakWaiting = sample.waiting
    publish(CHANNELS.pool, { type: 'pool.sample', pool: this.probe.name, ...sample, acquireWaitP95Ms: waitP95 })
    this.check('utilization', sample.utilization, at)
    this.check('waiting', sample.waiting, at)
    this.check('acquireWaitP95Ms', waitP95, at)
    return sample
  }

  /** Samples kept, oldest first (at most `historySize`). */
  history(): PoolSample[] {
    return this.history_.toArray()
  }

  /** The current state: latest sample, peaks, acquire-wait summary and firing alerts. */
  snapshot(): PoolSnapshot {
    return {
      pool: this.probe.name,
      current: this.latest,
      peakActive: this.peakActive,
      peakWaiting: this.peakWaiting,
      samples: this.sampleCount,
      acquireWait: this.waits.toJSON(),
      alerts: this.alerts.active(),
    }
  }

  /** Forgets history, peaks, waits and firing alerts (without reporting them resolved). */
  reset(): void {
    this.history_.clear()
    this.waits.reset()
    this.intervalWaits.reset()
    this.alerts.clear()
    this.latest = undefined
    this.sampleCount = 0
    this.peakActive = 0
    this.peakWaiting = 0
  }

  private tick(): void {
    try {
      this.sample()
    } catch (err) {
      publish(CHANNELS.pool, { type: 'pool.error', pool: this.probe.name, error: err })
      try {
        this.onError?.(err)
      } catch {
        // An error handler that throws must not kill the sampling timer.
      }
    }
  }

  private check(kind: PoolAlertKind, value: number, at: number): void {
    const alert = this.alerts.evaluate(kind, value, at)
    if (alert === undefined) return
    publish(CHANNELS.pool, { type: 'pool.alert', ...alert })
    try {
      this.onAlert?.(alert)
    } catch {
      // A throwing alert handler must not stop the remaining checks or the timer.
    }
  }
}

/** Probes report what their driver exposes; a missing or bogus number reads as 0. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0
}
