import { coveredByAdvice, type PgReport } from './gather.js'

const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? '-' : v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(1)} ms`
const one = (sql: string | null, max = 70): string => {
  const s = (sql ?? '').replace(/\s+/g, ' ').trim()
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}
const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`)

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
}

/** The report as plain text for a terminal. */
export function renderText(report: PgReport): string {
  const s = report.snapshot
  const out: string[] = []
  const icon = { critical: '✖', warning: '▲', info: '·' } as const
  out.push(`@perf/pg report: ${report.database} (PostgreSQL ${s.serverVersion ?? '?'}) at ${report.at}`)
  out.push(`health ${report.score}/100 (${report.status})`, '')
  out.push('Findings')
  if (report.findings.length === 0) out.push('  none')
  for (const f of report.findings) out.push(`  ${icon[f.severity]} ${f.severity.padEnd(8)} ${f.message}`)
  out.push('', 'Top statements (by total time)')
  if (s.topStatements === null) out.push(`  unavailable: ${s.errors.topStatements?.message ?? 'unknown'}`)
  else if (s.topStatements.length === 0) out.push('  none recorded yet')
  else
    out.push(
      ...table(
        ['total', 'mean', 'calls', '% time', 'hit', 'query'],
        s.topStatements
          .slice(0, 10)
          .map((t) => [
            ms(t.totalMs),
            ms(t.meanMs),
            String(t.calls),
            `${t.percentOfTotal.toFixed(1)}%`,
            pct(t.cacheHitRatio),
            one(t.query),
          ]),
      ).map((l) => `  ${l}`),
    )
  out.push('', 'Blocking')
  const tree = s.blockingTree
  if (!tree || tree.roots.length === 0) out.push('  no session is waiting on another')
  else {
    const walk = (nodes: typeof tree.roots, depth: number): void => {
      for (const n of nodes) {
        const wait = n.waitingFor
          ? ` waits for ${n.waitingFor.mode} on ${n.waitingFor.relation ?? n.waitingFor.locktype}`
          : ''
        out.push(`  ${'  '.repeat(depth)}pid ${n.pid} ${n.state ?? ''} ${ms(n.queryMs)}${wait}: ${one(n.query, 60)}`)
        walk(n.blocking, depth + 1)
      }
    }
    walk(tree.roots, 0)
  }
  out.push('', 'Index advice (heuristics from plans and statistics)')
  const advice = [
    ...report.indexAdvice.map((a) => `${a.statement}  -- ×${a.estimatedSpeedup.toFixed(1)} est.`),
    ...(s.missingForeignKeyIndexes ?? []).map(
      (m) =>
        `${m.suggestion}  -- foreign key ${m.constraint}${coveredByAdvice(report, m) ? ' (or the index advised above, which leads with the same columns)' : ''}`,
    ),
    ...(s.duplicateIndexes ?? []).map(
      (d) => `DROP INDEX CONCURRENTLY ${d.schema}.${d.index};  -- covered by ${d.coveredBy}`,
    ),
  ]
  if (advice.length === 0) out.push('  none')
  for (const a of advice.slice(0, 15)) out.push(`  ${a}`)
  if (advice.length > 15) out.push(`  … and ${advice.length - 15} more (--json or --html list them all)`)
  const h = s.connectionHeadroom
  out.push('', 'Connections')
  if (!h) out.push('  unavailable')
  else {
    out.push(
      `  ${h.used} used of ${h.max} (${h.reserved} reserved), ${h.available} available (${pct(h.usedRatio)} used)`,
    )
    out.push(
      ...table(
        ['total', 'active', 'idle', 'idle in tx', 'database', 'user', 'application'],
        h.groups
          .slice(0, 10)
          .map((g) => [
            String(g.total),
            String(g.active),
            String(g.idle),
            String(g.idleInTransaction),
            g.database ?? '',
            g.user ?? '',
            g.application,
          ]),
      ).map((l) => `  ${l}`),
    )
  }
  const ratio = s.cacheHitRatio
  if (ratio) out.push('', `Cache hit ratio: tables ${pct(ratio.table)}, indexes ${pct(ratio.index)}`)
  return `${out.join('\n')}\n`
}
