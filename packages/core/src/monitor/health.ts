import type { PoolProbe } from '../pool/types.js'
import type { WindowFigures } from './health-window.js'
import type { HealthReport, PoolHealth } from './types.js'

/** Limits beyond which `monitor.health()` lowers the score. */
export interface HealthThresholds {
  /** p95 query latency in ms. @default 250 */
  p95Ms?: number
  /** Share of failed queries, 0–1. @default 0.01 */
  errorRate?: number
  /** Lowest acceptable cache hit ratio, 0–1 (judged only when the cache was read). @default 0.5 */
  cacheHitRatio?: number
  /** Pool utilization (active / max), 0–1, from which a pool counts as saturated. @default 0.9 */
  poolUtilization?: number
  /** p99 event-loop delay in ms. @default 100 */
  eventLoopDelayMs?: number
}

/** {@link HealthThresholds} with every default applied. */
export type ResolvedThresholds = Required<HealthThresholds>

/** Default {@link HealthThresholds}. */
export const DEFAULT_HEALTH_THRESHOLDS: ResolvedThresholds = {
  p95Ms: 250,
  errorRate: 0.01,
  cacheHitRatio: 0.5,
  poolUtilization: 0.9,
  eventLoopDelayMs: 100,
}

/** Everything the score is computed from. */
export interface HealthInputs {
  window: WindowFigures
  eventLoopDelayP99Ms: number | null
  probes: readonly PoolProbe[]
}

const clamp = (value: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, value))
const ms = (value: number): string => `${Math.round(value * 10) / 10} ms`
const pct = (ratio: number): string => `${Math.round(ratio * 1000) / 10}%`

/**
 * Scores health from 100 down. Each problem costs a penalty that grows with how far its
 * threshold is exceeded (latency, errors and pools up to 40 each, cache and event loop up to
 * 20 and 30), so one bad signal degrades and two or more go critical.
 */
export function computeHealth(inputs: HealthInputs, limits: ResolvedThresholds): HealthReport {
  const reasons: string[] = []
  let penalty = 0
  const w = inputs.window
  const errorRate = w.calls === 0 ? 0 : w.errors / w.calls
  const cacheHitRatio = w.cacheReads === 0 ? null : w.cacheHits / w.cacheReads

  if (w.calls > 0 && w.p95Ms > limits.p95Ms) {
    penalty += clamp(10 + 30 * (w.p95Ms / limits.p95Ms - 1), 10, 40)
    reasons.push(`p95 latency ${ms(w.p95Ms)} > ${ms(limits.p95Ms)}`)
  }
  if (errorRate > limits.errorRate) {
    penalty += limits.errorRate === 0 ? 40 : clamp(10 + 10 * (errorRate / limits.errorRate - 1), 10, 40)
    reasons.push(`error rate ${pct(errorRate)} > ${pct(limits.errorRate)} (${w.errors} of ${w.calls} queries)`)
  }
  if (cacheHitRatio !== null && cacheHitRatio < limits.cacheHitRatio) {
    penalty += clamp(10 + 10 * ((limits.cacheHitRatio - cacheHitRatio) / limits.cacheHitRatio), 10, 20)
    reasons.push(`cache hit ratio ${pct(cacheHitRatio)} < ${pct(limits.cacheHitRatio)} (${w.cacheReads} reads)`)
  }
  const pools = readPools(inputs.probes, limits.poolUtilization, reasons)
  penalty += pools.penalty
  const eld = inputs.eventLoopDelayP99Ms
  if (eld !== null && eld > limits.eventLoopDelayMs) {
    penalty += clamp(10 + 20 * (eld / limits.eventLoopDelayMs - 1), 10, 30)
    reasons.push(`event-loop delay p99 ${ms(eld)} > ${ms(limits.eventLoopDelayMs)}`)
  }

  const score = Math.round(clamp(100 - penalty, 0, 100))
  return {
    score,
    status: score >= 80 ? 'ok' : score >= 50 ? 'degraded' : 'critical',
    reasons,
    metrics: {
      calls: w.calls,
      errorRate,
      p95Ms: w.p95Ms,
      cacheReads: w.cacheReads,
      cacheHitRatio,
      eventLoopDelayP99Ms: eld,
      pools: pools.list,
    },
  }
}

/** Reads every probe; saturation, waiting requests and failing probes cost up to 40 together. */
function readPools(
  probes: readonly PoolProbe[],
  maxUtilization: number,
  reasons: string[],
): { list: PoolHealth[]; penalty: number } {
  const list: PoolHealth[] = []
  let penalty = 0
  for (const probe of probes) {
    let s
    try {
      s = probe.stats()
    } catch (err) {
      penalty += 10
      reasons.push(`pool "${probe.name}" probe failed: ${err instanceof Error ? err.name : typeof err}`)
      continue
    }
    const utilization = s.max > 0 ? clamp(s.active / s.max, 0, 1) : 0
    list.push({
      name: probe.name,
      total: s.total,
      idle: s.idle,
      active: s.active,
      waiting: s.waiting,
      max: s.max,
      min: s.min,
      utilization,
    })
    if (utilization >= maxUtilization) {
      penalty += 15
      reasons.push(
        `pool "${probe.name}" utilization ${pct(utilization)} >= ${pct(maxUtilization)} (${s.active} of ${s.max} connections)`,
      )
    }
    if (s.waiting > 0) {
      penalty += clamp(10 + s.waiting, 10, 25)
      reasons.push(`pool "${probe.name}" has ${s.waiting} waiting request${s.waiting === 1 ? '' : 's'}`)
    }
  }
  return { list, penalty: Math.min(40, penalty) }
}
