import {
  LeakDetector,
  PerfError,
  PoolMonitor,
  recommendPoolSize,
  type Duration,
  type LeakReport,
  type Monitor,
  type PoolAlert,
  type PoolAlertThresholds,
  type PoolProbe,
  type PoolSizeInput,
  type PoolSizeRecommendation,
} from '@perf/core'
import type { DataSource } from 'typeorm'
import { typeormPoolProbe } from './pool-probe.js'
import { RunnerTracking, type DriverLike } from './runner-tracking.js'

/** Options of {@link watchPool}. */
export interface WatchPoolOptions {
  /** Adds the pool to this monitor's `health()` and Prometheus output. @default undefined */
  monitor?: Monitor
  /**
   * A QueryRunner holding a connection this long is reported as a leak (ms or `'30s'`), with the
   * stack that acquired it.
   * @default 30_000
   */
  leakMs?: Duration
  /** Called once per leaked QueryRunner. @default undefined: reported on `perf:pool` only */
  onLeak?: (report: LeakReport) => void
  /** Called when a reported QueryRunner is finally released. @default undefined */
  onLateRelease?: (report: LeakReport) => void
  /** Pool name in metrics and reports. @default 'typeorm' */
  name?: string
  /** Time between pool samples (peaks, alerts), ms or a duration string. @default 1000 */
  intervalMs?: Duration
  /** Alert thresholds of the PoolMonitor, or `false` for none. @default core's defaults */
  alerts?: PoolAlertThresholds | false
  /** Called when a pool alert starts firing and when it resolves. @default undefined */
  onAlert?: (alert: PoolAlert) => void
  /** Inputs of the sizing advice (cores, instances, server limit); the observed peak is added. @default {} */
  sizing?: Omit<PoolSizeInput, 'observedPeakConcurrency'>
}

/** What {@link watchPool} returns. */
export interface PoolWatch {
  /** The pool's probe (added to `monitor` when one was given). */
  readonly probe: PoolProbe
  /** Samples the probe; records every QueryRunner's wait for a connection. */
  readonly poolMonitor: PoolMonitor
  /** Tracks QueryRunners from connection to release. */
  readonly leakDetector: LeakDetector
  /** QueryRunners holding a connection past `leakMs` now, oldest first. */
  leaks(): LeakReport[]
  /** A pool size for this DataSource with its reasoning, from `sizing` and the peak seen so far. */
  advice(input?: Omit<PoolSizeInput, 'observedPeakConcurrency'>): PoolSizeRecommendation
  /** Stops sampling and tracking, removes the probe and the QueryRunner hooks. Idempotent. */
  close(): void
}

const KNOWN = new Set([
  'monitor',
  'leakMs',
  'onLeak',
  'onLateRelease',
  'name',
  'intervalMs',
  'alerts',
  'onAlert',
  'sizing',
])

/**
 * Watches the connection pool of a TypeORM DataSource: adds its probe to `monitor.health()`,
 * samples it (peaks, utilization/waiting/acquire-wait alerts), times every QueryRunner's wait
 * for a connection, and reports a QueryRunner that holds its connection longer than `leakMs`
 * with the stack that acquired it — the `createQueryRunner()` + `connect()` without a
 * `release()` in a `finally`. `advice()` turns the observed peak into a pool size.
 *
 * Works on postgres (pg) and mysql/mariadb (mysql2), TypeORM 0.3 and 1.x. Call it after
 * `dataSource.initialize()`; QueryRunners created before are not tracked.
 *
 * @throws PerfError INVALID_ARGUMENT when the DataSource has no pg or mysql2 pool or is watched
 * already; INVALID_OPTION for a malformed option
 * @example
 * const watch = watchPool(dataSource, { monitor, leakMs: '10s', onLeak: (r) => log.error(r.stack, 'leaked QueryRunner') })
 * // later
 * const { size, reasoning } = watch.advice({ cores: 8, instances: 4, serverMaxConnections: 100 })
 */
export function watchPool(dataSource: DataSource, options: WatchPoolOptions = {}): PoolWatch {
  if (typeof options !== 'object' || options === null)
    throw new PerfError('INVALID_OPTION', '[perf:typeorm] watchPool(): options must be an object', {
      context: { option: 'options' },
    })
  for (const key of Object.keys(options))
    if (!KNOWN.has(key))
      throw new PerfError('INVALID_OPTION', `[perf:typeorm] watchPool(): unknown option "${key}"`, {
        context: { option: key },
      })
  const name = options.name ?? 'typeorm'
  const probe = typeormPoolProbe(dataSource, { name })
  if (options.monitor !== undefined && typeof options.monitor?.addPoolProbe !== 'function')
    throw new PerfError(
      'INVALID_OPTION',
      '[perf:typeorm] watchPool(): monitor must be a Monitor from createMonitor()',
      {
        context: { option: 'monitor' },
      },
    )
  const leakDetector = new LeakDetector({
    thresholdMs: options.leakMs ?? 30_000,
    onLeak: options.onLeak,
    onLateRelease: options.onLateRelease,
    pool: name,
  })
  let poolMonitor: PoolMonitor
  try {
    poolMonitor = new PoolMonitor(probe, {
      intervalMs: options.intervalMs,
      alerts: options.alerts,
      onAlert: options.onAlert,
    })
  } catch (err) {
    leakDetector.close()
    throw err
  }
  const driver = (dataSource as unknown as { driver: DriverLike }).driver
  let tracking: RunnerTracking
  try {
    tracking = new RunnerTracking(driver, leakDetector, poolMonitor)
  } catch (err) {
    leakDetector.close()
    poolMonitor.close()
    throw err
  }
  const removeProbe = options.monitor?.addPoolProbe(probe)
  const sizing = options.sizing ?? {}
  let closed = false
  return {
    probe,
    poolMonitor,
    leakDetector,
    leaks: () => leakDetector.leaks(),
    advice(input) {
      const { peakActive, peakWaiting } = poolMonitor.snapshot()
      // The current state counts too: a peak between two samples would otherwise be missed.
      const now = probe.stats()
      const peak = Math.max(peakActive + peakWaiting, now.active + now.waiting)
      return recommendPoolSize({ ...sizing, ...input, ...(peak > 0 ? { observedPeakConcurrency: peak } : {}) })
    },
    close() {
      if (closed) return
      closed = true
      tracking.close()
      removeProbe?.()
      poolMonitor.close()
      leakDetector.close()
    },
  }
}
