/**
 * Inline SVG charts for the HTML report: no scripts, no fonts, no network. Each chart is an
 * `<svg data-chart="...">` whose series are `<path data-series="..." data-points="n">`, so a test
 * can check in a browser that they rendered with data.
 */

/** One line of a chart. */
export interface Series {
  name: string
  color: string
  points: { x: number; y: number }[]
}

interface ChartOptions {
  id: string
  title: string
  xLabel: string
  yLabel: string
  /** Log-scale x axis (latency). */
  logX?: boolean
  xTicks: { value: number; label: string }[]
  formatY: (y: number) => string
}

const WIDTH = 760
const HEIGHT = 320
const PAD = { left: 64, right: 20, top: 36, bottom: 48 }

const escape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string)

/** Renders line/area series on shared axes. */
export function lineChart(series: readonly Series[], options: ChartOptions): string {
  const tx = (x: number) => (options.logX ? Math.log10(x) : x)
  const xs = series.flatMap((s) => s.points.map((p) => tx(p.x)))
  const ys = series.flatMap((s) => s.points.map((p) => p.y))
  const ticks = options.xTicks.map((t) => tx(t.value))
  const minX = Math.min(...xs, ...ticks)
  const maxX = Math.max(...xs, ...ticks, minX + 1e-9)
  const maxY = Math.max(...ys, 1) * 1.1
  const w = WIDTH - PAD.left - PAD.right
  const h = HEIGHT - PAD.top - PAD.bottom
  const sx = (x: number) => PAD.left + ((tx(x) - minX) / (maxX - minX)) * w
  const sy = (y: number) => PAD.top + h - (y / maxY) * h
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = PAD.top + h - f * h
    return `<line x1="${PAD.left}" x2="${PAD.left + w}" y1="${y}" y2="${y}" class="grid"/><text x="${PAD.left - 8}" y="${y + 4}" text-anchor="end">${escape(options.formatY(f * maxY))}</text>`
  })
  const xTicks = options.xTicks.map((t) => {
    const x = sx(t.value)
    return `<line x1="${x}" x2="${x}" y1="${PAD.top + h}" y2="${PAD.top + h + 5}" class="axis"/><text x="${x}" y="${PAD.top + h + 18}" text-anchor="middle">${escape(t.label)}</text>`
  })
  const paths = series.map((s) => {
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')
    const first = s.points[0]
    const last = s.points[s.points.length - 1]
    const area = first && last ? `${d} L${sx(last.x).toFixed(1)},${sy(0)} L${sx(first.x).toFixed(1)},${sy(0)} Z` : ''
    return `<path d="${area}" fill="${s.color}" fill-opacity="0.15" stroke="none"/><path d="${d}" data-series="${escape(s.name)}" data-points="${s.points.length}" fill="none" stroke="${s.color}" stroke-width="2"/>`
  })
  const legend = series.map(
    (s, i) =>
      `<rect x="${PAD.left + 10 + i * 170}" y="10" width="14" height="14" fill="${s.color}"/><text x="${PAD.left + 30 + i * 170}" y="22">${escape(s.name)}</text>`,
  )
  return `<svg data-chart="${options.id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escape(options.title)}" xmlns="http://www.w3.org/2000/svg">
<title>${escape(options.title)}</title>
${grid.join('\n')}
<line x1="${PAD.left}" x2="${PAD.left + w}" y1="${PAD.top + h}" y2="${PAD.top + h}" class="axis"/>
${xTicks.join('\n')}
${paths.join('\n')}
${legend.join('\n')}
<text x="${PAD.left + w / 2}" y="${HEIGHT - 8}" text-anchor="middle" class="label">${escape(options.xLabel)}</text>
<text x="14" y="${PAD.top + h / 2}" text-anchor="middle" transform="rotate(-90 14 ${PAD.top + h / 2})" class="label">${escape(options.yLabel)}</text>
</svg>`
}
