import { Histogram, PoolMonitor, type Monitor, type NPlusOneReport } from '@perf/core'
import type { PgPoolInstrumentation } from '@perf/prisma'
import type { SeedSizes } from './seed.js'
import { nextRequest, random, type ShopApp } from './workload.js'

/** How one phase runs. */
export interface PhaseConfig {
  /** Measured seconds (after the warm-up). */
  seconds: number
  warmupSeconds: number
  /** Concurrent virtual users, each a closed loop of requests. */
  users: number
  /** Pause of each user between two requests, ms (a person reading the page). */
  thinkMs: number
  /** Background writes per second. */
  writesPerSecond: number
  sizes: SeedSizes
  /** Chart resolution of the throughput timeline, ms. */
  bucketMs: number
}

/** What the phase measured. */
export interface PhaseResult {
  label: string
  requests: number
  errors: number
  writes: number
  seconds: number
  throughput: number
  p50: number
  p95: number
  p99: number
  /** Latency distribution for the chart: log-spaced bins (upper bound ms, count). */
  latencyBins: { upperMs: number; count: number }[]
  /** Completed requests per timeline bucket. */
  timeline: number[]
  statements: number
  hitRatio: number | undefined
  nPlusOneScopes: number
  nPlusOnePatterns: string[]
  topFingerprints: { label: string; calls: number; meanMs: number; totalMs: number; sample?: string }[]
  poolUtilization: number
  poolPeakWaiting: number
  health: { score: number; status: string; reasons: string[] }
}

/** Log-spaced latency bins from 0.01 ms to ~10 s: fine enough for a chart, independent of the data. */
export const BIN_EDGES = Array.from({ length: 49 }, (_, i) => 0.01 * 10 ** (i / 8))

function binOf(ms: number): number {
  const index = Math.ceil(Math.log10(Math.max(ms, 0.01) / 0.01) * 8)
  return Math.min(BIN_EDGES.length - 1, Math.max(0, index))
}

/** A short label for a fingerprint: `Model.operation` when known, else `Table VERB [AGG]` from the SQL. */
export function fingerprintLabel(f: { model?: string; operation?: string; fingerprint: string }): string {
  if (f.model && f.operation) return `${f.model}.${f.operation}`
  const sql = f.fingerprint.replace(/"([^"]+)"/g, '$1')
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '?'
  const table = /\b(?:FROM|INTO|UPDATE)\s+(?:\w+\.)?(\w+)/i.exec(sql)?.[1] ?? ''
  const aggregate = /\b(AVG|COUNT|SUM|MIN|MAX)\s*\(/i.exec(sql)?.[1]?.toUpperCase()
  return `${table} ${verb}${aggregate ? ` ${aggregate}` : ''}`.trim()
}

/**
 * Runs the workload against `app` for `config.seconds` (after a warm-up): `users` closed-loop
 * virtual users, each request inside `monitor.scope()` (N+1 detection), and a write stream.
 */
export async function runPhase(
  label: string,
  app: ShopApp,
  monitor: Monitor,
  pg: PgPoolInstrumentation,
  config: PhaseConfig,
  onProgress?: (fraction: number) => void,
): Promise<PhaseResult> {
  const patterns = new Set<string>()
  let nPlusOneScopes = 0
  const histogram = new Histogram()
  const bins = BIN_EDGES.map(() => 0)
  const totalMs = (config.warmupSeconds + config.seconds) * 1000
  const timeline = Array.from({ length: Math.ceil((config.seconds * 1000) / config.bucketMs) }, () => 0)
  const started = performance.now()
  const measureFrom = started + config.warmupSeconds * 1000
  const deadline = started + totalMs
  let requests = 0
  let errors = 0
  let writes = 0
  let statementsAtStart = 0
  let measuring = false
  let health = monitor.health()
  let healthAt = 0
  const pool = new PoolMonitor(pg.probe, { intervalMs: 100, autoStart: false, historySize: 1000, alerts: false })
  const sampler = setInterval(() => {
    const now = performance.now()
    if (!measuring && now >= measureFrom) {
      // The warm-up is over: forget what it taught the monitor, keep what it put in the cache.
      measuring = true
      monitor.reset()
      pool.reset()
      statementsAtStart = pg.stats().statements
    }
    if (measuring) {
      pool.sample()
      // Health is judged under load, not after the users stop: the last reading before the end counts.
      if (now - healthAt >= 1000) {
        health = monitor.health()
        healthAt = now
      }
    }
    onProgress?.(Math.min(1, (now - started) / totalMs))
  }, 100)

  const user = async (index: number) => {
    const rnd = random(1000 + index)
    while (performance.now() < deadline) {
      const request = nextRequest(rnd, config.sizes)
      const t0 = performance.now()
      let onReport: ((r: { nPlusOne: NPlusOneReport[] }) => void) | undefined
      if (measuring) {
        onReport = (r) => {
          if (r.nPlusOne.length === 0) return
          nPlusOneScopes++
          for (const finding of r.nPlusOne)
            patterns.add(`${fingerprintLabel(finding)} ×${finding.threshold}+ in ${finding.scope}`)
        }
      }
      try {
        await monitor.scope(() => app.serve(request), { name: request.endpoint, onReport })
      } catch {
        errors++
      }
      const t1 = performance.now()
      if (config.thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, config.thinkMs))
      if (t0 < measureFrom) continue
      const ms = t1 - t0
      requests++
      histogram.record(ms)
      bins[binOf(ms)] = (bins[binOf(ms)] ?? 0) + 1
      const bucket = Math.floor((t1 - measureFrom) / config.bucketMs)
      if (bucket < timeline.length) timeline[bucket] = (timeline[bucket] ?? 0) + 1
    }
  }

  const writer = async () => {
    const rnd = random(7)
    const interval = 1000 / config.writesPerSecond
    let next = performance.now()
    while (performance.now() < deadline) {
      next += interval
      try {
        await app.write(rnd, config.sizes)
        if (performance.now() >= measureFrom) writes++
      } catch {
        errors++
      }
      const wait = next - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }

  await Promise.all([...Array.from({ length: config.users }, (_, i) => user(i)), writer()])
  clearInterval(sampler)
  onProgress?.(1)
  const history = pool.history()
  const fingerprints = monitor.fingerprints({ top: 3 })
  pool.close()
  return {
    label,
    requests,
    errors,
    writes,
    seconds: config.seconds,
    throughput: requests / config.seconds,
    p50: histogram.percentile(50),
    p95: histogram.percentile(95),
    p99: histogram.percentile(99),
    latencyBins: BIN_EDGES.map((upperMs, i) => ({ upperMs, count: bins[i] ?? 0 })),
    timeline: timeline.map((n) => n / (config.bucketMs / 1000)),
    statements: pg.stats().statements - statementsAtStart,
    hitRatio: monitor.totals().cache.hitRatio ?? undefined,
    nPlusOneScopes,
    nPlusOnePatterns: [...patterns],
    topFingerprints: fingerprints.map((f) => ({
      label: fingerprintLabel(f),
      calls: f.calls,
      meanMs: f.meanMs,
      totalMs: f.totalMs,
      sample: f.sample,
    })),
    poolUtilization: history.length === 0 ? 0 : history.reduce((sum, s) => sum + s.utilization, 0) / history.length,
    poolPeakWaiting: history.reduce((max, s) => Math.max(max, s.waiting), 0),
    health: { score: health.score, status: health.status, reasons: health.reasons },
  }
}
