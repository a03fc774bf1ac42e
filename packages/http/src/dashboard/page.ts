/** The page's stylesheet: no web fonts, no external anything. */
const STYLE = `
:root{--bg:#0f1419;--panel:#171d24;--line:#2a323c;--text:#d8dee6;--dim:#8a96a3;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--a:#58a6ff;--b:#d2a8ff;--c:#ffa657}
*{box-sizing:border-box}body{margin:0;font:13px/1.45 system-ui,sans-serif;background:var(--bg);color:var(--text)}
header{display:flex;gap:24px;align-items:center;padding:12px 20px;border-bottom:1px solid var(--line)}
h1{font-size:16px;margin:0}h2{font-size:13px;margin:0 0 8px;color:var(--dim);text-transform:uppercase;letter-spacing:.05em}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px;padding:12px 20px}
section{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:12px;overflow:auto}
.wide{grid-column:1/-1}#score{font-size:36px;font-weight:700}.ok{color:var(--ok)}.degraded{color:var(--warn)}.critical{color:var(--bad)}
table{width:100%;border-collapse:collapse}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--dim);font-weight:500}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font:12px ui-monospace,monospace;word-break:break-all}
svg{width:100%;height:140px;display:block}.legend span{margin-right:12px}.dim{color:var(--dim)}
.bar{height:8px;background:var(--line);border-radius:4px}.bar i{display:block;height:8px;border-radius:4px;background:var(--a)}
.badge{padding:1px 6px;border-radius:8px;border:1px solid var(--line)}
`

/** The page's script: reads ./snapshot, then follows ./stream (or polls when EventSource fails). */
const SCRIPT = `
const $ = (id) => document.getElementById(id)
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';')
const num = (v, d = 1) => typeof v === 'number' ? (Math.round(v * 10 ** d) / 10 ** d).toLocaleString('en') : '–'
const pct = (v) => typeof v === 'number' ? num(v * 100) + '%' : '–'
const table = (head, rows) => rows.length === 0 ? '<p class="dim">nothing yet</p>' :
  '<table><tr>' + head.map((h) => '<th>' + esc(h) + '</th>').join('') + '</tr>' +
  rows.map((r) => '<tr>' + r.map((c) => typeof c === 'number' ? '<td class="n">' + num(c) + '</td>' : '<td>' + c + '</td>').join('') + '</tr>').join('') + '</table>'
function chart(id, points, lines) {
  const svg = $(id), w = 600, h = 140, pad = 4
  const max = Math.max(1e-9, ...points.flatMap((p) => lines.map((l) => p[l.key])))
  const x = (i) => points.length < 2 ? w : pad + (i * (w - 2 * pad)) / (points.length - 1)
  const y = (v) => h - pad - (v / max) * (h - 2 * pad)
  svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h)
  svg.setAttribute('preserveAspectRatio', 'none')
  svg.innerHTML = '<line x1="0" x2="' + w + '" y1="' + (h - pad) + '" y2="' + (h - pad) + '" stroke="#2a323c"/>' +
    lines.map((l) => '<polyline data-key="' + l.key + '" fill="none" stroke-width="2" vector-effect="non-scaling-stroke" stroke="' + l.color + '" points="' +
      points.map((p, i) => x(i).toFixed(1) + ',' + y(p[l.key]).toFixed(1)).join(' ') + '"/>').join('')
  svg.dataset.points = String(points.length)
  svg.dataset.max = String(max)
}
function render(s) {
  const hl = s.health
  $('score').textContent = hl.score
  $('score').className = hl.status
  $('status').textContent = hl.status + (hl.ok ? '' : ' (below ' + hl.threshold + ')')
  $('reasons').innerHTML = hl.monitors.flatMap((m) => m.reasons.map((r) => '<li>' + esc(m.name) + ': ' + esc(r) + '</li>')).join('') || '<li class="dim">no problems</li>'
  const calls = s.totals.reduce((a, t) => a + t.totals.calls, 0)
  $('calls').textContent = calls.toLocaleString('en')
  $('calls').dataset.value = String(calls)
  const last = s.series[s.series.length - 1]
  $('rate').textContent = last ? num(last.perSecond) + ' q/s, p95 ' + num(last.p95Ms, 2) + ' ms' : '–'
  chart('chart-throughput', s.series, [{ key: 'perSecond', color: '#58a6ff' }])
  chart('chart-latency', s.series, [{ key: 'p50Ms', color: '#58a6ff' }, { key: 'p95Ms', color: '#d2a8ff' }, { key: 'p99Ms', color: '#ffa657' }])
  $('fingerprints').innerHTML = s.fingerprints.map((m) => '<h2>' + esc(m.monitor) + '</h2>' + table(['statement', 'calls', 'total ms', 'mean ms', 'p95 ms', 'errors'],
    m.fingerprints.map((f) => ['<code>' + esc(f.sample ?? f.fingerprint) + '</code>', f.calls, f.totalMs, f.meanMs, f.p95Ms, f.errors]))).join('')
  $('nplusone').innerHTML = s.nPlusOne.map((m) => table(['scope', 'statement', 'count', 'call site', 'fix'],
    m.findings.map((r) => [esc(r.scope), '<code>' + esc(r.sample ?? r.fingerprint) + '</code>', r.count, '<code>' + esc(r.callSite ?? '') + '</code>', esc(r.suggestion ?? '')]))).join('')
  $('slow').innerHTML = s.slow.map((m) => table(['ms', 'statement', 'error'],
    m.queries.map((q) => [q.durationMs, '<code>' + esc(q.sql ?? q.fingerprintId) + '</code>', esc(q.error ?? '')]))).join('')
  $('caches').innerHTML = s.caches.map((c) => '<h2>' + esc(c.name) + '</h2>' + (c.error ? esc(c.error) :
    '<div>hit ratio ' + pct(c.stats.hitRatio) + ' · ' + Object.entries(c.stats.hits).map(([t, n]) => esc(t) + ' ' + num(n, 0)).join(' · ') +
    ' · misses ' + num(c.stats.misses, 0) + ' · entries ' + num(c.stats.entries, 0) + '</div><div class="bar"><i style="width:' + (c.stats.hitRatio * 100).toFixed(1) + '%"></i></div>' +
    table(['hot key', 'reads'], c.hotKeys.map((k) => ['<code>' + esc(k.key) + '</code>', k.count])))).join('') || '<p class="dim">no caches given</p>'
  $('pools').innerHTML = table(['pool', 'active', 'idle', 'waiting', 'max', 'utilization', 'wait p95 ms'],
    s.pools.pools.map((p) => p.error ? [esc(p.name), esc(p.error), '', '', '', '', ''] : [esc(p.name), p.stats.active, p.stats.idle, p.stats.waiting, p.stats.max,
      '<div class="bar"><i style="width:' + (p.utilization * 100).toFixed(1) + '%"></i></div>', p.acquireWaitP95Ms ?? '–'])) +
    table(['leak', 'held ms', 'label', 'last query'], s.pools.leaks.flatMap((d) => d.leaks.map((l) => [esc(l.pool), l.heldMs, esc(l.label ?? ''), '<code>' + esc(l.lastQuery ?? '') + '</code>'])))
  const t = s.locks.totals
  $('locks').innerHTML = '<div>acquired ' + t.acquired + ' · waited ' + t.waited + ' · timeouts ' + t.timeouts + ' · lost ' + t.lost + ' · deadlocks ' + t.deadlocks + '</div>' +
    table(['event', 'resources', 'ms'], s.locks.recent.map((a) => [esc(a.type), '<code>' + esc((a.cycle ?? a.resources).join(' → ')) + '</code>', a.durationMs ?? '']))
  $('breakers').innerHTML = table(['breaker', 'state', 'retry in ms'], s.breakers.map((b) => [esc(b.name), '<span class="badge ' + (b.state === 'closed' ? 'ok' : 'critical') + '">' + esc(b.state) + '</span>', b.retryAfterMs ?? 0]))
  $('pg-section').hidden = !s.hasPg
  $('updated').textContent = new Date(s.at).toLocaleTimeString()
  document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1)
}
async function loadPg() {
  const pg = await (await fetch('./pg')).json()
  if (!pg.available) return
  const tree = pg.blockingTree ?? {}
  const rows = []
  const walk = (n, depth) => { rows.push([esc('  '.repeat(depth) + n.pid), esc(n.state ?? ''), '<code>' + esc(n.query ?? '') + '</code>', n.transactionMs ?? '']); (n.blocking ?? []).forEach((c) => walk(c, depth + 1)) }
  ;(tree.roots ?? []).forEach((r) => walk(r, 0))
  const advice = Array.isArray(pg.missingForeignKeyIndexes) ? pg.missingForeignKeyIndexes : []
  $('pg').innerHTML = '<h2>blocking tree (' + (tree.blockedCount ?? 0) + ' blocked)</h2>' + table(['pid', 'state', 'statement', 'tx ms'], rows) +
    '<h2>index advice</h2>' + table(['table', 'create'], advice.map((a) => [esc(a.table), '<code>' + esc(a.suggestion) + '</code>']))
}
async function poll() { render(await (await fetch('./snapshot')).json()) }
poll().then(() => {
  if (typeof EventSource === 'function') {
    const es = new EventSource('./stream')
    es.addEventListener('snapshot', (e) => render(JSON.parse(e.data)))
    es.onerror = () => { es.close(); setInterval(poll, 2000) }
  } else setInterval(poll, 2000)
  loadPg(); setInterval(loadPg, 10000)
})
`

/** The dashboard page: one HTML document with everything inline. */
export function renderPage(title: string): string {
  const t = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${t}</title><style>${STYLE}</style></head>
<body>
<header><h1>${t}</h1><div><span id="score">–</span> <span id="status" class="dim"></span></div>
<div>queries <b id="calls">0</b></div><div id="rate" class="dim"></div><div class="dim">updated <span id="updated">–</span></div></header>
<main>
<section><h2>health</h2><ul id="reasons"></ul></section>
<section><h2>throughput (queries/s)</h2><svg id="chart-throughput" role="img" aria-label="throughput"></svg></section>
<section><h2>latency (ms)</h2><svg id="chart-latency" role="img" aria-label="latency percentiles"></svg>
<div class="legend"><span style="color:var(--a)">p50</span><span style="color:var(--b)">p95</span><span style="color:var(--c)">p99</span></div></section>
<section class="wide"><h2>top statements by total time</h2><div id="fingerprints"></div></section>
<section class="wide"><h2>N+1</h2><div id="nplusone"></div></section>
<section><h2>slow queries</h2><div id="slow"></div></section>
<section><h2>caches</h2><div id="caches"></div></section>
<section><h2>pools</h2><div id="pools"></div></section>
<section><h2>locks</h2><div id="locks"></div></section>
<section><h2>breakers</h2><div id="breakers"></div></section>
<section id="pg-section" class="wide" hidden><h2>PostgreSQL</h2><div id="pg"></div></section>
</main>
<script>${SCRIPT}</script>
</body></html>
`
}
