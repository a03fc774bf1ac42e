import { PerfError } from '../errors.js'
import { systemClock, type Clock } from '../util/clock.js'
import { optionalMs, type Duration } from '../util/duration.js'
import { assertFunction, assertInt, assertNumber } from '../util/validate.js'
import { DEFAULT_IGNORED_FRAMES } from './call-site.js'
import { DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds, type ResolvedThresholds } from './health.js'
import type { NPlusOneReport, SlowQuery } from './types.js'

/** Options of {@link createMonitor}. Every field is validated at construction. */
export interface MonitorOptions {
  /** Distinct fingerprints tracked; later ones are folded into one `other` entry. @default 1000 */
  maxFingerprints?: number
  /** Queries taking at least this long go to the slow-query log (ms or `'200ms'`). @default 200 */
  slowQueryMs?: Duration
  /** Entries kept in the slow-query ring buffer; 0 keeps none. @default 100 */
  slowQueryCapacity?: number
  /** Same-fingerprint count inside one scope that makes an N+1 finding (>= 2). @default 5 */
  nPlusOneThreshold?: number
  /** N+1 reports kept for `monitor.nPlusOne()`, oldest dropped first. @default 100 */
  maxNPlusOneReports?: number
  /** Distinct fingerprints counted per scope; later ones are not counted. @default 1000 */
  maxScopeFingerprints?: number
  /** Called once per scope and fingerprint when the threshold is reached (errors are ignored). */
  onNPlusOne?: (report: NPlusOneReport) => void
  /** Called for every slow query (errors are ignored). */
  onSlowQuery?: (entry: SlowQuery) => void
  /** SQL texts whose fingerprint is cached (LRU). @default 1000 */
  fingerprintCacheSize?: number
  /** Longest SQL kept in samples and the slow log, and longest fingerprint kept, in characters. @default 2048 */
  maxSqlLength?: number
  /** Limits for `health()`. */
  healthThresholds?: HealthThresholds
  /** Health judges the current and previous window of this length (ms or `'1m'`). @default 60_000 */
  windowMs?: Duration
  /** Measure event-loop delay (started by the first `health()` call). Turn off in tests. @default true */
  eventLoopDelay?: boolean
  /** Extra stack-frame patterns that are not the call site of an N+1 (your own data-access layer). */
  ignoreStackFrames?: readonly RegExp[]
  /** Time source; `record()` reuses a reading of the system clock for up to 1 ms (an injected clock is read every time). @default systemClock */
  clock?: Clock
}

/** {@link MonitorOptions} after validation and defaults. */
export interface ResolvedMonitorOptions {
  maxFingerprints: number
  slowQueryMs: number
  slowQueryCapacity: number
  nPlusOneThreshold: number
  maxNPlusOneReports: number
  maxScopeFingerprints: number
  onNPlusOne: ((report: NPlusOneReport) => void) | undefined
  onSlowQuery: ((entry: SlowQuery) => void) | undefined
  fingerprintCacheSize: number
  maxSqlLength: number
  thresholds: ResolvedThresholds
  windowMs: number
  eventLoopDelay: boolean
  ignoredFrames: readonly RegExp[]
  clock: Clock
}

const CAP = 1_000_000

/** Validates `options` and applies defaults. @throws PerfError INVALID_OPTION naming the option. */
export function resolveMonitorOptions(options: MonitorOptions): ResolvedMonitorOptions {
  if (typeof options !== 'object' || options === null) {
    throw new PerfError('INVALID_OPTION', '[perf:monitor] createMonitor(options) needs an object', {
      context: { option: 'options' },
    })
  }
  const clock = options.clock ?? systemClock
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new PerfError('INVALID_OPTION', '[perf:monitor] option "clock" must have a now() method', {
      context: { option: 'clock' },
    })
  }
  if (options.eventLoopDelay !== undefined && typeof options.eventLoopDelay !== 'boolean') {
    throw new PerfError(
      'INVALID_OPTION',
      `[perf:monitor] option "eventLoopDelay" must be a boolean, got ${String(options.eventLoopDelay)}`,
      {
        context: { option: 'eventLoopDelay', value: options.eventLoopDelay },
      },
    )
  }
  const extraFrames = options.ignoreStackFrames ?? []
  if (!Array.isArray(extraFrames) || !extraFrames.every((p) => p instanceof RegExp)) {
    throw new PerfError('INVALID_OPTION', '[perf:monitor] option "ignoreStackFrames" must be an array of RegExp', {
      context: { option: 'ignoreStackFrames' },
    })
  }
  return {
    maxFingerprints: assertInt(options.maxFingerprints ?? 1000, 'maxFingerprints', 1, CAP),
    slowQueryMs: optionalMs(options.slowQueryMs, 'slowQueryMs', 200, 'INVALID_OPTION'),
    slowQueryCapacity: assertInt(options.slowQueryCapacity ?? 100, 'slowQueryCapacity', 0, CAP),
    nPlusOneThreshold: assertInt(options.nPlusOneThreshold ?? 5, 'nPlusOneThreshold', 2, CAP),
    maxNPlusOneReports: assertInt(options.maxNPlusOneReports ?? 100, 'maxNPlusOneReports', 0, CAP),
    maxScopeFingerprints: assertInt(options.maxScopeFingerprints ?? 1000, 'maxScopeFingerprints', 1, CAP),
    onNPlusOne: options.onNPlusOne === undefined ? undefined : assertFunction(options.onNPlusOne, 'onNPlusOne'),
    onSlowQuery: options.onSlowQuery === undefined ? undefined : assertFunction(options.onSlowQuery, 'onSlowQuery'),
    fingerprintCacheSize: assertInt(options.fingerprintCacheSize ?? 1000, 'fingerprintCacheSize', 0, CAP),
    maxSqlLength: assertInt(options.maxSqlLength ?? 2048, 'maxSqlLength', 16, CAP),
    thresholds: resolveThresholds(options.healthThresholds ?? {}),
    windowMs: positive(optionalMs(options.windowMs, 'windowMs', 60_000, 'INVALID_OPTION'), 'windowMs'),
    eventLoopDelay: options.eventLoopDelay ?? true,
    ignoredFrames: [...DEFAULT_IGNORED_FRAMES, ...extraFrames],
    clock,
  }
}

function positive(value: number, name: string): number {
  return assertNumber(value, name, Number.MIN_VALUE)
}

function resolveThresholds(t: HealthThresholds): ResolvedThresholds {
  if (typeof t !== 'object' || t === null) {
    throw new PerfError('INVALID_OPTION', '[perf:monitor] option "healthThresholds" must be an object', {
      context: { option: 'healthThresholds' },
    })
  }
  const d = DEFAULT_HEALTH_THRESHOLDS
  return {
    p95Ms: positive(t.p95Ms ?? d.p95Ms, 'healthThresholds.p95Ms'),
    errorRate: assertNumber(t.errorRate ?? d.errorRate, 'healthThresholds.errorRate', 0, 1),
    cacheHitRatio: assertNumber(t.cacheHitRatio ?? d.cacheHitRatio, 'healthThresholds.cacheHitRatio', 0, 1),
    poolUtilization: assertNumber(
      t.poolUtilization ?? d.poolUtilization,
      'healthThresholds.poolUtilization',
      Number.MIN_VALUE,
      1,
    ),
    eventLoopDelayMs: positive(t.eventLoopDelayMs ?? d.eventLoopDelayMs, 'healthThresholds.eventLoopDelayMs'),
  }
}
