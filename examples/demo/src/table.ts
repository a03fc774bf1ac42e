import type { PhaseResult } from './run-phase.js'

/** One row of the side-by-side table. */
export interface TableRow {
  label: string
  plain: string
  wrapped: string
  change: string
}

const n = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const ms = (x: number) => (x < 10 ? n(x, 2) : n(x, 1))
const pct = (x: number | undefined) => (x === undefined ? '—' : `${n(x * 100, 1)}%`)
const ratio = (a: number, b: number) =>
  a > 0 && b > 0 ? (b >= a ? `${n(b / a, 1)}× more` : `${n(a / b, 1)}× less`) : ''
const faster = (a: number, b: number) =>
  a > 0 && b > 0 ? (b <= a ? `${n(a / b, 1)}× faster` : `${n(b / a, 1)}× slower`) : ''
const share = (count: number, of: number) => `${n(count)} (${n((count / Math.max(1, of)) * 100, 0)}%)`
const delta = (a: number, b: number) => (a > 0 ? `${b <= a ? '−' : '+'}${n((Math.abs(a - b) / a) * 100, 1)}%` : '')

/** The rows of the comparison, shared by the terminal table and the HTML report. */
export function tableRows(plain: PhaseResult, wrapped: PhaseResult): TableRow[] {
  const fp = (r: PhaseResult, i: number) => {
    const f = r.topFingerprints[i]
    return f ? `${f.label} ${ms(f.meanMs)}ms×${n(f.calls)}` : '—'
  }
  return [
    {
      label: 'throughput (req/s)',
      plain: n(plain.throughput, 1),
      wrapped: n(wrapped.throughput, 1),
      change: ratio(plain.throughput, wrapped.throughput),
    },
    {
      label: 'latency p50 (ms)',
      plain: ms(plain.p50),
      wrapped: ms(wrapped.p50),
      change: faster(plain.p50, wrapped.p50),
    },
    {
      label: 'latency p95 (ms)',
      plain: ms(plain.p95),
      wrapped: ms(wrapped.p95),
      change: faster(plain.p95, wrapped.p95),
    },
    {
      label: 'latency p99 (ms)',
      plain: ms(plain.p99),
      wrapped: ms(wrapped.p99),
      change: faster(plain.p99, wrapped.p99),
    },
    { label: 'requests served', plain: n(plain.requests), wrapped: n(wrapped.requests), change: '' },
    {
      label: 'SQL statements issued',
      plain: n(plain.statements),
      wrapped: n(wrapped.statements),
      change: delta(plain.statements, wrapped.statements),
    },
    {
      label: 'SQL statements per request',
      plain: n(plain.statements / Math.max(1, plain.requests), 2),
      wrapped: n(wrapped.statements / Math.max(1, wrapped.requests), 2),
      change: delta(plain.statements / Math.max(1, plain.requests), wrapped.statements / Math.max(1, wrapped.requests)),
    },
    { label: 'cache hit ratio', plain: pct(plain.hitRatio), wrapped: pct(wrapped.hitRatio), change: '' },
    {
      label: 'N+1 findings (requests)',
      plain: share(plain.nPlusOneScopes, plain.requests),
      wrapped: share(wrapped.nPlusOneScopes, wrapped.requests),
      change: '',
    },
    { label: 'top slow fingerprint #1', plain: fp(plain, 0), wrapped: fp(wrapped, 0), change: '' },
    { label: 'top slow fingerprint #2', plain: fp(plain, 1), wrapped: fp(wrapped, 1), change: '' },
    { label: 'top slow fingerprint #3', plain: fp(plain, 2), wrapped: fp(wrapped, 2), change: '' },
    {
      label: 'pool utilisation (avg)',
      plain: pct(plain.poolUtilization),
      wrapped: pct(wrapped.poolUtilization),
      change: '',
    },
    { label: 'pool peak waiting', plain: n(plain.poolPeakWaiting), wrapped: n(wrapped.poolPeakWaiting), change: '' },
    {
      label: 'health score',
      plain: `${plain.health.score} ${plain.health.status}`,
      wrapped: `${wrapped.health.score} ${wrapped.health.status}`,
      change: '',
    },
    { label: 'background writes', plain: n(plain.writes), wrapped: n(wrapped.writes), change: '' },
  ]
}

/** The table as aligned text for the terminal. */
export function formatTable(plain: PhaseResult, wrapped: PhaseResult): string {
  const rows = tableRows(plain, wrapped)
  const header = { label: '', plain: plain.label, wrapped: wrapped.label, change: 'change' }
  const all = [header, ...rows]
  const w = {
    label: Math.max(...all.map((r) => r.label.length)),
    plain: Math.max(...all.map((r) => r.plain.length)),
    wrapped: Math.max(...all.map((r) => r.wrapped.length)),
    change: Math.max(...all.map((r) => r.change.length)),
  }
  const line = (r: TableRow) =>
    `  ${r.label.padEnd(w.label)}  ${r.plain.padStart(w.plain)}  ${r.wrapped.padStart(w.wrapped)}  ${r.change.padStart(w.change)}`.trimEnd()
  const rule = `  ${'─'.repeat(w.label + w.plain + w.wrapped + w.change + 6)}`
  return [line(header), rule, ...rows.map(line)].join('\n')
}
