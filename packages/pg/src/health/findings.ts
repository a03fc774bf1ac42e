import type { HealthReport } from '@perf/core'
import type { PgSnapshot } from '../diagnostics/pg-diagnostics.js'

/** How much a finding matters: `critical` and `warning` lower the score, `info` does not. */
export type Severity = 'info' | 'warning' | 'critical'

/** One thing the database says is wrong, with its numbers. */
export interface PgFinding {
  severity: Severity
  /** Stable identifier of the kind of finding. */
  kind:
    | 'blocked-sessions'
    | 'idle-in-transaction'
    | 'long-running'
    | 'cache-hit-ratio'
    | 'connection-headroom'
    | 'dead-rows'
    | 'missing-fk-index'
    | 'duplicate-index'
    | 'unused-index'
    | 'statements-unavailable'
    | 'index-advice'
  /** One line, with the numbers. */
  message: string
  /** Points taken off the score. */
  penalty: number
}

/** Limits of {@link pgFindings}. Durations in ms, ratios 0–1. */
export interface PgHealthThresholds {
  /** A session idle in its transaction this long is a warning (×10: critical). @default 60000 */
  idleInTransactionMs?: number
  /** A statement running this long is a warning (×10: critical). @default 30000 */
  longRunningMs?: number
  /** A session blocked this long makes blocking critical. @default 30000 */
  blockedMs?: number
  /** Table cache hit ratio below this is a warning. @default 0.99 */
  cacheHitRatio?: number
  /** ...and below this, critical. @default 0.9 */
  criticalCacheHitRatio?: number
  /**
   * Table block accesses (hits + reads) needed before the cache hit ratio is judged: a new or
   * just-restarted database reads everything from disk once, which says nothing about fit.
   * @default 10000 (80 MB of 8 kB blocks)
   */
  minCacheBlocks?: number
  /** Connections used / available to ordinary roles from which it is a warning. @default 0.8 */
  connectionsUsed?: number
  /** ...and from which critical. @default 0.95 */
  criticalConnectionsUsed?: number
  /** Dead-row ratio of a table (with at least `minRows` rows) that is a warning. @default 0.2 */
  deadRatio?: number
  /** Tables smaller than this are left out of the dead-row and foreign-key findings. @default 10000 */
  minRows?: number
}

const DEFAULTS: Required<PgHealthThresholds> = {
  idleInTransactionMs: 60_000,
  longRunningMs: 30_000,
  blockedMs: 30_000,
  cacheHitRatio: 0.99,
  criticalCacheHitRatio: 0.9,
  minCacheBlocks: 10_000,
  connectionsUsed: 0.8,
  criticalConnectionsUsed: 0.95,
  deadRatio: 0.2,
  minRows: 10_000,
}

const PENALTY: Record<Severity, number> = { critical: 30, warning: 10, info: 0 }
const secs = (ms: number | null): string => `${Math.round((ms ?? 0) / 100) / 10} s`
const pct = (ratio: number): string => `${Math.round(ratio * 1000) / 10}%`
const short = (sql: string | null): string => {
  const one = (sql ?? '').replace(/\s+/g, ' ').trim()
  return one.length > 80 ? `${one.slice(0, 79)}…` : one
}
const mb = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`

function finding(severity: Severity, kind: PgFinding['kind'], message: string, penalty = PENALTY[severity]): PgFinding {
  return { severity, kind, message, penalty }
}

/** The findings a snapshot supports, most severe first. Sections that failed produce none (but a missing pg_stat_statements is reported). */
export function pgFindings(snapshot: PgSnapshot, thresholds: PgHealthThresholds = {}): PgFinding[] {
  const t = { ...DEFAULTS, ...thresholds }
  const out: PgFinding[] = []
  const tree = snapshot.blockingTree
  if (tree && tree.blockedCount > 0) {
    const waits: number[] = []
    const walk = (nodes: typeof tree.roots): void => {
      for (const n of nodes) {
        for (const c of n.blocking) waits.push(c.queryMs ?? 0)
        walk(n.blocking)
      }
    }
    walk(tree.roots)
    const longest = Math.max(0, ...waits)
    const root = tree.roots[0]
    const severity: Severity = longest >= t.blockedMs || tree.blockedCount >= 5 ? 'critical' : 'warning'
    out.push(
      finding(
        severity,
        'blocked-sessions',
        `${tree.blockedCount} session(s) blocked, longest for ${secs(longest)}; root pid ${root?.pid} (${root?.state}, ${secs(root?.transactionMs ?? null)} in transaction): ${short(root?.query ?? null)}`,
      ),
    )
  }
  for (const s of snapshot.idleInTransaction ?? []) {
    if ((s.stateMs ?? 0) < t.idleInTransactionMs) continue
    const severity: Severity = (s.stateMs ?? 0) >= t.idleInTransactionMs * 10 ? 'critical' : 'warning'
    out.push(
      finding(
        severity,
        'idle-in-transaction',
        `pid ${s.pid} (${s.application || s.user}) idle in transaction for ${secs(s.stateMs)}, after: ${short(s.query)}`,
      ),
    )
  }
  for (const s of snapshot.longRunning ?? []) {
    if ((s.queryMs ?? 0) < t.longRunningMs) continue
    const severity: Severity = (s.queryMs ?? 0) >= t.longRunningMs * 10 ? 'critical' : 'warning'
    out.push(
      finding(
        severity,
        'long-running',
        `pid ${s.pid} (${s.application || s.user}) running for ${secs(s.queryMs)}: ${short(s.query)}`,
      ),
    )
  }
  const ratio = snapshot.cacheHitRatio?.table
  const blocks = snapshot.cacheHitRatio?.tableBlocks ?? Infinity
  if (ratio !== null && ratio !== undefined && ratio < t.cacheHitRatio && blocks >= t.minCacheBlocks) {
    const severity: Severity = ratio < t.criticalCacheHitRatio ? 'critical' : 'warning'
    out.push(
      finding(
        severity,
        'cache-hit-ratio',
        `table cache hit ratio ${pct(ratio)} < ${pct(t.cacheHitRatio)}: the working set may not fit in shared_buffers`,
      ),
    )
  }
  const h = snapshot.connectionHeadroom
  if (h && h.usedRatio >= t.connectionsUsed) {
    const severity: Severity = h.usedRatio >= t.criticalConnectionsUsed ? 'critical' : 'warning'
    out.push(
      finding(
        severity,
        'connection-headroom',
        `${h.used} of ${h.max - h.reserved} connections in use (${pct(h.usedRatio)}), ${h.available} left; top: ${h.groups[0]?.application || h.groups[0]?.user} with ${h.groups[0]?.total}`,
      ),
    )
  }
  for (const s of snapshot.tableStats ?? []) {
    if (s.liveRows + s.deadRows < t.minRows || s.deadRatio === null || s.deadRatio < t.deadRatio) continue
    out.push(
      finding(
        'warning',
        'dead-rows',
        `${s.schema}.${s.table}: ${pct(s.deadRatio)} dead rows (${s.deadRows}); autovacuum is not keeping up`,
      ),
    )
  }
  for (const m of snapshot.missingForeignKeyIndexes ?? []) {
    if (m.estimatedRows < t.minRows) continue
    out.push(
      finding(
        'warning',
        'missing-fk-index',
        `${m.schema}.${m.table} (${Math.round(m.estimatedRows)} rows): foreign key ${m.constraint} has no index; ${m.suggestion}`,
        5,
      ),
    )
  }
  for (const d of snapshot.duplicateIndexes ?? []) {
    out.push(
      finding(
        'info',
        'duplicate-index',
        `${d.schema}.${d.index} (${mb(d.sizeBytes)}) is covered by ${d.coveredBy}; DROP INDEX CONCURRENTLY it`,
      ),
    )
  }
  const unused = snapshot.unusedIndexes ?? []
  if (unused.length > 0) {
    const bytes = unused.reduce((n, u) => n + u.sizeBytes, 0)
    out.push(
      finding(
        'info',
        'unused-index',
        `${unused.length} index(es) never scanned since statistics were reset (${mb(bytes)}): ${unused
          .slice(0, 5)
          .map((u) => `${u.schema}.${u.index}`)
          .join(', ')}`,
      ),
    )
  }
  const statements = snapshot.errors.topStatements
  if (statements)
    out.push(finding('info', 'statements-unavailable', `top statements unavailable: ${statements.message}`))
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
  return out.sort((a, b) => rank[a.severity] - rank[b.severity])
}

/** A database health score in the shape of `monitor.health()`'s, with the findings behind it. */
export interface PgHealthReport {
  score: number
  status: HealthReport['status']
  reasons: string[]
  findings: PgFinding[]
}

/** Scores findings from 100 down (critical 30, warning 10, a missing FK index 5, info 0). */
export function scoreFindings(findings: readonly PgFinding[]): PgHealthReport {
  const penalty = findings.reduce((n, f) => n + f.penalty, 0)
  const score = Math.max(0, Math.min(100, Math.round(100 - penalty)))
  return {
    score,
    status: score >= 80 ? 'ok' : score >= 50 ? 'degraded' : 'critical',
    reasons: findings.filter((f) => f.penalty > 0).map((f) => f.message),
    findings: [...findings],
  }
}

/**
 * One health report for the application and its database: the app's score (from
 * `monitor.health()`) loses what the database lost, and the database's reasons follow the app's,
 * prefixed `database:`.
 *
 * @example
 * const report = combineHealth(monitor.health(), await pgDiagnostics(pool).health())
 */
export function combineHealth(app: HealthReport, db: PgHealthReport): HealthReport {
  const score = Math.max(0, app.score - (100 - db.score))
  return {
    ...app,
    score,
    status: score >= 80 ? 'ok' : score >= 50 ? 'degraded' : 'critical',
    reasons: [...app.reasons, ...db.reasons.map((r) => `database: ${r}`)],
  }
}
