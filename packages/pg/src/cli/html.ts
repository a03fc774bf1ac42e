import type { PgReport } from './gather.js'

const esc = (s: unknown): string =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )

function bars(items: Array<{ label: string; value: number; text: string }>): string {
  const max = Math.max(1, ...items.map((i) => i.value))
  const h = 22
  const rows = items.map((item, i) => {
    const w = Math.max(1, Math.round((item.value / max) * 360))
    return `<g transform="translate(0,${i * h})"><rect x="0" y="3" width="${w}" height="${h - 6}" fill="#4f7cff"/><text x="${w + 6}" y="${h - 7}">${esc(item.text)}</text><text x="470" y="${h - 7}" class="q">${esc(item.label)}</text></g>`
  })
  return `<svg width="100%" height="${items.length * h}" viewBox="0 0 1200 ${items.length * h}" role="img">${rows.join('')}</svg>`
}

/** The report as one self-contained HTML page (inline CSS and SVG charts, no network). */
export function renderHtml(report: PgReport): string {
  const s = report.snapshot
  const top = (s.topStatements ?? []).slice(0, 15)
  const color = { ok: '#1a7f37', degraded: '#9a6700', critical: '#cf222e' }[report.status]
  const h = s.connectionHeadroom
  const findings = report.findings
    .map((f) => `<li class="${f.severity}"><b>${esc(f.severity)}</b> ${esc(f.message)}</li>`)
    .join('')
  const advice = [
    ...report.indexAdvice.map(
      (a) => `<li><code>${esc(a.statement)}</code><br><small>${esc(a.reasoning.join(' · '))}</small></li>`,
    ),
    ...(s.missingForeignKeyIndexes ?? []).map(
      (m) => `<li><code>${esc(m.suggestion)}</code> <small>foreign key ${esc(m.constraint)}</small></li>`,
    ),
    ...(s.duplicateIndexes ?? []).map(
      (d) =>
        `<li><code>DROP INDEX CONCURRENTLY ${esc(`${d.schema}.${d.index}`)}</code> <small>covered by ${esc(d.coveredBy)}</small></li>`,
    ),
  ].join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>@perf/pg report: ${esc(report.database)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
.score{font-size:2.4rem;font-weight:700;color:${color}}
li.critical b{color:#cf222e}li.warning b{color:#9a6700}li.info b{color:#57606a}
svg text{font:12px system-ui,sans-serif}svg text.q{font-family:ui-monospace,monospace;fill:#57606a}
code{font-family:ui-monospace,monospace;background:#f6f8fa;padding:0 .2em}
table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left;border-bottom:1px solid #eaeef2}
.meter{background:#eaeef2;height:14px;width:400px}.meter div{background:${color};height:14px}
</style></head><body>
<h1>@perf/pg report: ${esc(report.database)}</h1>
<p>PostgreSQL ${esc(s.serverVersion)} · ${esc(report.at)}</p>
<p class="score">${report.score}/100 <small>${esc(report.status)}</small></p>
<h2>Findings</h2><ul>${findings || '<li>none</li>'}</ul>
<h2>Top statements by total time</h2>
${top.length ? bars(top.map((t) => ({ label: t.query.replace(/\s+/g, ' ').slice(0, 110), value: t.totalMs, text: `${t.totalMs.toFixed(0)} ms · ${t.calls} calls · mean ${t.meanMs.toFixed(1)} ms` }))) : `<p>${esc(s.errors.topStatements?.message ?? 'none recorded yet')}</p>`}
<h2>Blocking</h2>
${s.blockingTree && s.blockingTree.roots.length ? `<pre>${esc(JSON.stringify(s.blockingTree.roots, null, 2))}</pre>` : '<p>no session is waiting on another</p>'}
<h2>Index advice <small>(heuristics from plans and statistics)</small></h2><ul>${advice || '<li>none</li>'}</ul>
<h2>Connections</h2>
${
  h
    ? `<p>${h.used} used of ${h.max} (${h.reserved} reserved), ${h.available} available</p><div class="meter"><div style="width:${Math.min(100, Math.round(h.usedRatio * 100))}%"></div></div>
<table><tr><th>total</th><th>active</th><th>idle</th><th>idle in tx</th><th>database</th><th>user</th><th>application</th></tr>${h.groups
        .map(
          (g) =>
            `<tr><td>${g.total}</td><td>${g.active}</td><td>${g.idle}</td><td>${g.idleInTransaction}</td><td>${esc(g.database)}</td><td>${esc(g.user)}</td><td>${esc(g.application)}</td></tr>`,
        )
        .join('')}</table>`
    : '<p>unavailable</p>'
}
<h2>Tables</h2>
<table><tr><th>table</th><th>size</th><th>seq scans</th><th>index scans</th><th>dead rows</th><th>last autovacuum</th></tr>${(
    s.tableStats ?? []
  )
    .slice(0, 20)
    .map(
      (t) =>
        `<tr><td>${esc(`${t.schema}.${t.table}`)}</td><td>${Math.round(t.sizeBytes / 1024)} kB</td><td>${t.seqScans}</td><td>${t.indexScans}</td><td>${t.deadRows}</td><td>${esc(t.lastAutovacuum?.toISOString?.() ?? t.lastAutovacuum ?? '-')}</td></tr>`,
    )
    .join('')}</table>
</body></html>
`
}
