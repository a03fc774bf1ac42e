import type pg from 'pg'
import { pgDiagnostics, type PgSnapshot } from '../diagnostics/pg-diagnostics.js'
import type { IndexAdvice } from '../explain/advise-indexes.js'
import {
  pgFindings,
  scoreFindings,
  type PgFinding,
  type PgHealthThresholds,
  type Severity,
} from '../health/findings.js'

/** Everything the report shows, JSON-serialisable (what `--json` prints). */
export interface PgReport {
  at: string
  database: string
  serverVersion: number | null
  score: number
  status: 'ok' | 'degraded' | 'critical'
  findings: PgFinding[]
  indexAdvice: Array<IndexAdvice & { query: string }>
  snapshot: PgSnapshot
}

/** Options of {@link gatherReport}. */
export interface GatherOptions {
  /** Top statements whose plans are checked for index advice. @default 5 */
  adviseTop?: number
  thresholds?: PgHealthThresholds
}

const ADVISABLE = /^\s*(SELECT|UPDATE|DELETE|WITH)\b/i

/** Takes a snapshot, scores it, and runs index advice on the costliest statements. */
export async function gatherReport(pool: pg.Pool, options: GatherOptions = {}): Promise<PgReport> {
  const diag = pgDiagnostics(pool, { maxQueryLength: 4000 })
  const snapshot = await diag.snapshot()
  const findings = pgFindings(snapshot, options.thresholds)
  const indexAdvice: PgReport['indexAdvice'] = []
  const seen = new Set<string>()
  for (const s of (snapshot.topStatements ?? [])
    .filter((t) => ADVISABLE.test(t.query))
    .slice(0, options.adviseTop ?? 5)) {
    try {
      const { advice } = await diag.adviseIndexes(s.query)
      for (const a of advice) {
        if (seen.has(a.statement)) continue
        seen.add(a.statement)
        indexAdvice.push({ ...a, query: s.query })
      }
    } catch {
      // A statement that cannot be planned generically (DDL inside, temp tables gone) gets no advice.
    }
  }
  for (const a of indexAdvice) {
    const query = a.query.replace(/\s+/g, ' ').slice(0, 80)
    findings.push({
      severity: 'warning',
      kind: 'index-advice',
      message: `${a.statement} (estimated ×${a.estimatedSpeedup.toFixed(1)} for: ${query})`,
      penalty: 5,
    })
  }
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
  findings.sort((a, b) => rank[a.severity] - rank[b.severity])
  const { rows } = await pool.query<{ db: string }>('SELECT current_database() AS db')
  const scored = scoreFindings(findings)
  return {
    at: snapshot.at.toISOString(),
    database: rows[0]?.db ?? '',
    serverVersion: snapshot.serverVersion,
    score: scored.score,
    status: scored.status,
    findings: scored.findings,
    indexAdvice,
    snapshot,
  }
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 }

/** Whether an advised index leads with a foreign key's columns (one index then serves both). */
export function coveredByAdvice(report: PgReport, fk: { schema: string; table: string; columns: string[] }): boolean {
  return report.indexAdvice.some(
    (a) => a.schema === fk.schema && a.table === fk.table && fk.columns.every((c, i) => a.columns[i] === c),
  )
}

/** Whether any finding is at or above `level`. */
export function failsAt(findings: readonly PgFinding[], level: Severity): boolean {
  return findings.some((f) => RANK[f.severity] >= RANK[level])
}
