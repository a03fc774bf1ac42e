import { redact, type FingerprintSummary, type HealthReport, type NPlusOneReport, type SlowQuery } from '@perf/core'
import type { PoolSource, ResolvedDashboardOptions } from './options.js'
import type { SeriesRecorder } from './series.js'

/** Redacts SQL on the way out, whatever the source already did: no literal leaves the process. */
export function redactSql(sql: string | undefined | null): string | undefined {
  if (typeof sql !== 'string') return undefined
  try {
    return redact(sql)
  } catch {
    return '(unreadable)'
  }
}

/** Name and code of an error, never its message (driver messages quote values). */
export function errorLabel(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'Error'
  const { name, code } = error as { name?: unknown; code?: unknown }
  const label = typeof name === 'string' ? name : 'Error'
  return typeof code === 'string' || typeof code === 'number' ? `${label} (${code})` : label
}

/** Reads one source, turning a throwing one into `{ error }` so one bad source never blanks the page. */
function guarded<T>(read: () => T): T | { error: string } {
  try {
    return read()
  } catch (error) {
    return { error: errorLabel(error) }
  }
}

export interface HealthView {
  /** The lowest score over the monitors (100 without monitors). */
  score: number
  status: HealthReport['status']
  /** Whether `score` is at or above `healthThreshold`; `/health` answers 503 when not. */
  ok: boolean
  threshold: number
  monitors: Array<{ name: string } & HealthReport>
}

/** What every view reads. */
export class Views {
  constructor(
    private readonly o: ResolvedDashboardOptions,
    private readonly series: SeriesRecorder,
  ) {}

  health(): HealthView {
    const monitors = this.o.monitors.map(({ name, value }) => ({ name, ...value.health() }))
    const worst = monitors.reduce<HealthReport | undefined>(
      (w, m) => (w === undefined || m.score < w.score ? m : w),
      undefined,
    )
    const score = worst?.score ?? 100
    return {
      score,
      status: worst?.status ?? 'ok',
      ok: score >= this.o.healthThreshold,
      threshold: this.o.healthThreshold,
      monitors,
    }
  }

  fingerprints(): Array<{ monitor: string; fingerprints: FingerprintSummary[] }> {
    return this.o.monitors.map(({ name, value }) => ({
      monitor: name,
      fingerprints: value.fingerprints({ top: this.o.top }).map((f) => ({
        ...f,
        fingerprint: redactSql(f.fingerprint) ?? f.fingerprint,
        sample: redactSql(f.sample),
      })),
    }))
  }

  nPlusOne(): Array<{ monitor: string; findings: NPlusOneReport[] }> {
    return this.o.monitors.map(({ name, value }) => ({
      monitor: name,
      findings: value
        .nPlusOne()
        .slice(-this.o.top)
        .reverse()
        .map((r) => ({ ...r, fingerprint: redactSql(r.fingerprint) ?? '', sample: redactSql(r.sample) })),
    }))
  }

  slow(): Array<{ monitor: string; queries: SlowQuery[] }> {
    return this.o.monitors.map(({ name, value }) => ({
      monitor: name,
      queries: value
        .slowQueries()
        .slice(-this.o.top)
        .reverse()
        .map((q) => ({ ...q, sql: redactSql(q.sql) })),
    }))
  }

  totals(): Array<{
    monitor: string
    totals: ReturnType<ResolvedDashboardOptions['monitors'][number]['value']['totals']>
  }> {
    return this.o.monitors.map(({ name, value }) => ({ monitor: name, totals: value.totals() }))
  }

  caches(): Array<Record<string, unknown>> {
    const key = this.o.redactKey
    return this.o.caches.map(({ name, value }) => ({
      name,
      ...guarded(() => ({
        stats: value.stats(),
        hotKeys:
          typeof value.hotKeys === 'function'
            ? value.hotKeys(this.o.top).map((h) => ({ key: key(h.key), count: h.count, error: h.error }))
            : [],
      })),
    }))
  }

  pools(): Record<string, unknown> {
    return {
      pools: this.o.pools.map(({ name, value }) => ({ name, ...guarded(() => poolView(value)) })),
      leaks: this.o.leaks.map(({ name, value }) => ({
        name,
        tracked: value.tracked,
        // The connection object stays out (it may hold credentials); lastQuery is redacted again.
        leaks: value
          .leaks()
          .slice(-this.o.top)
          .map((r) => ({
            kind: r.kind,
            pool: r.pool,
            label: r.label,
            heldMs: r.heldMs,
            thresholdMs: r.thresholdMs,
            acquiredAt: r.acquiredAt,
            lastQuery: redactSql(r.lastQuery),
            stack: r.stack,
          })),
      })),
    }
  }

  locks(): Record<string, unknown> {
    const key = this.o.redactKey
    return {
      lockers: this.o.lockers.map(({ name, value }) => ({ name, ...guarded(() => ({ stats: value.stats() })) })),
      totals: { ...this.series.lockTotals },
      recent: this.series.lockActivity().map((a) => ({
        ...a,
        resources: a.resources.map(key),
        cycle: a.cycle?.map(key),
      })),
    }
  }

  breakers(): Array<Record<string, unknown>> {
    return this.o.breakers.map(({ name, value }) => ({ ...guarded(() => value.toJSON()), name }))
  }

  /** Everything the page shows but `/pg` (which asks the database). */
  snapshot(): Record<string, unknown> {
    return {
      at: Date.now(),
      title: this.o.title,
      intervalMs: this.o.intervalMs,
      health: this.health(),
      totals: this.totals(),
      series: this.series.points(),
      fingerprints: this.fingerprints(),
      nPlusOne: this.nPlusOne(),
      slow: this.slow(),
      caches: this.caches(),
      pools: this.pools(),
      locks: this.locks(),
      breakers: this.breakers(),
      hasPg: this.o.pg !== undefined,
    }
  }

  /** Blocking tree (statements redacted) and index advice from `@perf/pg`, each part failing alone. */
  async pg(): Promise<Record<string, unknown>> {
    const pg = this.o.pg
    if (pg === undefined) return { available: false }
    const part = async (read: (() => Promise<unknown>) | undefined): Promise<unknown> => {
      if (read === undefined) return undefined
      try {
        return scrubQueries(await read())
      } catch (error) {
        return { error: errorLabel(error) }
      }
    }
    return {
      available: true,
      blockingTree: await part(() => pg.blockingTree()),
      missingForeignKeyIndexes: await part(pg.missingForeignKeyIndexes?.bind(pg)),
      unusedIndexes: await part(pg.unusedIndexes?.bind(pg)),
    }
  }
}

function poolView(pool: PoolSource): Record<string, unknown> {
  if ('snapshot' in pool && typeof pool.snapshot === 'function') {
    const s = pool.snapshot()
    const current = s.current ?? pool.sample()
    return {
      stats: current,
      utilization: current.utilization,
      peakActive: s.peakActive,
      peakWaiting: s.peakWaiting,
      acquireWaitP95Ms: s.acquireWait.p95,
      acquireWaits: s.acquireWait.count,
      alerts: s.alerts,
      history: pool
        .history()
        .map((h) => ({ at: h.at, active: h.active, waiting: h.waiting, utilization: h.utilization })),
    }
  }
  const stats = (pool as { stats(): { active: number; max: number } }).stats()
  return { stats, utilization: stats.max > 0 ? stats.active / stats.max : 0 }
}

/** Redacts every `query` field (pg_stat_activity text) in a diagnostics result, at any depth. */
function scrubQueries(value: unknown, depth = 0): unknown {
  if (depth > 32 || typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map((v) => scrubQueries(v, depth + 1))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = (k === 'query' || k === 'lastQuery') && typeof v === 'string' ? redactSql(v) : scrubQueries(v, depth + 1)
  }
  return out
}
