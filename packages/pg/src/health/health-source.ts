import type { Duration, HealthSource } from '@perf/core'
import { pgDiagnostics, snapshotOf, type SnapshotSection } from '../diagnostics/pg-diagnostics.js'
import type { PgQueryable } from '../queryable.js'
import { pgFindings, scoreFindings, type PgHealthThresholds } from './findings.js'

/** Options of {@link pgHealthSource}. */
export interface PgHealthSourceOptions {
  /** Prefix of its reasons in `monitor.health()`. @default 'postgres' */
  name?: string
  /** Time between checks (ms or `'30s'`); each check runs five short read-only statements. @default 30000 */
  intervalMs?: Duration
  /** Limits of the findings (idle in transaction, blocked, cache hit ratio, headroom). */
  thresholds?: PgHealthThresholds
}

/** What the periodic check reads: the findings that change minute to minute, nothing heavy. */
const LIVE_SECTIONS: readonly SnapshotSection[] = [
  'blockingTree',
  'longRunning',
  'idleInTransaction',
  'cacheHitRatio',
  'connectionHeadroom',
]

/**
 * The database's live health as a source for `monitor.addHealthSource()`: blocked sessions,
 * sessions idle in transaction, long-running statements, the buffer cache hit ratio and
 * connection headroom, scored like `pgDiagnostics().health()` (critical 30 points, warning 10),
 * so one `monitor.health()` score covers the application and its database. Index and table
 * findings, which change slowly, stay in `pgDiagnostics().health()` and the CLI report.
 *
 * @example
 * const monitor = createMonitor()
 * monitor.addHealthSource(pgHealthSource(pool, { intervalMs: '15s' }))
 * app.get('/health', async (_req, res) => res.json(await monitor.refreshHealth()))
 * @throws PerfError CLIENT_INVALID when `db` is not a pg Pool or Client
 */
export function pgHealthSource(db: PgQueryable, options: PgHealthSourceOptions = {}): HealthSource {
  const diagnostics = pgDiagnostics(db)
  return {
    name: options.name ?? 'postgres',
    intervalMs: options.intervalMs ?? 30_000,
    async check() {
      const snapshot = await snapshotOf(db, diagnostics, LIVE_SECTIONS)
      const failed = Object.entries(snapshot.errors)
      // Every section failing means the database did not answer: that is the check failing.
      if (failed.length > LIVE_SECTIONS.length) {
        throw new Error(`[perf:pg] database health check failed: ${failed[0]![1].message}`)
      }
      const report = scoreFindings(pgFindings(snapshot, options.thresholds))
      return { score: report.score, reasons: report.reasons }
    },
  }
}
