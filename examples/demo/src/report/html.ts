import type { PhaseResult } from '../run-phase.js'
import type { Verification } from '../verify.js'
import { lineChart } from './charts.js'
import { tableRows } from '../table.js'

/** Everything the report shows. */
export interface ReportInput {
  title: string
  database: string
  rows: number
  generatedAt: Date
  plain: PhaseResult
  wrapped: PhaseResult
  verification: Verification
  bucketMs: number
}

const PLAIN = '#c0392b'
const WRAPPED = '#1f7a4d'
const escape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string)

function latencyChart(plain: PhaseResult, wrapped: PhaseResult): string {
  // Share of requests per bin, so runs with different request counts compare.
  const series = (r: PhaseResult, name: string, color: string) => {
    const total = Math.max(1, r.requests)
    const used = r.latencyBins.map((b, i) => ({ ...b, i })).filter((b) => b.count > 0)
    const lo = Math.max(0, (used[0]?.i ?? 0) - 1)
    const hi = Math.min(r.latencyBins.length - 1, (used[used.length - 1]?.i ?? 0) + 1)
    return {
      name,
      color,
      points: r.latencyBins.slice(lo, hi + 1).map((b) => ({ x: b.upperMs, y: (b.count / total) * 100 })),
    }
  }
  return lineChart([series(plain, plain.label, PLAIN), series(wrapped, wrapped.label, WRAPPED)], {
    id: 'latency',
    title: 'Request latency distribution',
    xLabel: 'latency per request (ms, log scale)',
    yLabel: '% of requests',
    logX: true,
    xTicks: [0.1, 1, 10, 100, 1000].map((value) => ({
      value,
      label: value >= 1000 ? `${value / 1000}s` : `${value}ms`,
    })),
    formatY: (y) => `${y.toFixed(0)}%`,
  })
}

function throughputChart(plain: PhaseResult, wrapped: PhaseResult, bucketMs: number): string {
  const series = (r: PhaseResult, name: string, color: string) => ({
    name,
    color,
    points: r.timeline.map((y, i) => ({ x: ((i + 1) * bucketMs) / 1000, y })),
  })
  const seconds = Math.max(plain.seconds, wrapped.seconds)
  const step = seconds <= 10 ? 1 : 5
  return lineChart([series(plain, plain.label, PLAIN), series(wrapped, wrapped.label, WRAPPED)], {
    id: 'throughput',
    title: 'Throughput over time',
    xLabel: 'seconds into the measured run',
    yLabel: 'requests / s',
    xTicks: Array.from({ length: Math.floor(seconds / step) + 1 }, (_, i) => ({
      value: i * step,
      label: `${i * step}s`,
    })),
    formatY: (y) => y.toFixed(0),
  })
}

function details(r: PhaseResult): string {
  const fps = r.topFingerprints.map(
    (f) =>
      `<li><b>${escape(f.label)}</b> — ${f.calls.toLocaleString('en-US')} calls, ${f.meanMs.toFixed(2)} ms mean, ${(f.totalMs / 1000).toFixed(1)} s total${f.sample ? `<br><code>${escape(f.sample.slice(0, 220))}</code>` : ''}</li>`,
  )
  const patterns = r.nPlusOnePatterns.map((p) => `<li>${escape(p)}</li>`)
  const reasons = r.health.reasons.map((p) => `<li>${escape(p)}</li>`)
  return `<h3>${escape(r.label)}</h3>
<p>Top fingerprints by total time:</p><ol>${fps.join('')}</ol>
<p>N+1 patterns:</p><ul>${patterns.join('') || '<li>none</li>'}</ul>
<p>Health ${r.health.score} (${escape(r.health.status)}):</p><ul>${reasons.join('') || '<li>no problems</li>'}</ul>`
}

/** A self-contained HTML page: inline CSS and SVG only. */
export function renderReport(input: ReportInput): string {
  const { plain, wrapped, verification: v } = input
  const rows = tableRows(plain, wrapped)
    .map(
      (r) =>
        `<tr><th>${escape(r.label)}</th><td>${escape(r.plain)}</td><td>${escape(r.wrapped)}</td><td>${escape(r.change)}</td></tr>`,
    )
    .join('\n')
  const verdict = v.identical === v.samples ? 'identical' : 'DIFFERENT'
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(input.title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:820px;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{padding:.35rem .6rem;border-bottom:1px solid #ddd;text-align:right}
th{text-align:left;font-weight:600}thead th{text-align:right}thead th:first-child{text-align:left}
svg{display:block;margin:1rem 0;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#444}
svg .grid{stroke:#eee}svg .axis{stroke:#999}svg .label{font-size:12px;fill:#222}
code{font-size:12px;color:#555;word-break:break-all}.verdict{font-weight:600;color:${verdict === 'identical' ? WRAPPED : PLAIN}}
</style></head><body>
<h1>${escape(input.title)}</h1>
<p>${escape(input.database)} · ${input.rows.toLocaleString('en-US')} rows · generated ${escape(input.generatedAt.toISOString())}</p>
<table><thead><tr><th></th><th>${escape(plain.label)}</th><th>${escape(wrapped.label)}</th><th>change</th></tr></thead><tbody>
${rows}
</tbody></table>
<p class="verdict">Sampled results ${verdict}: ${v.identical}/${v.samples} requests equal in values and classes (${v.cachedReads.toLocaleString('en-US')} wrapped reads served from cache during the check).</p>
<h2>Latency distribution</h2>
${latencyChart(plain, wrapped)}
<h2>Throughput</h2>
${throughputChart(plain, wrapped, input.bucketMs)}
<h2>Details</h2>
${details(plain)}
${details(wrapped)}
</body></html>
`
}
