import * as hdr from 'hdr-histogram-js'
import { requireCore, type CoreApi, type HistogramLike } from '../core.js'
import { formatPct } from '../harness/format.js'
import { seededRandom } from '../harness/stats.js'
import type { Suite, SuiteContext } from '../harness/suite.js'

const PERCENTILES = [50, 95, 99, 99.9] as const
const MASK = (1 << 16) - 1

/**
 * A skewed latency sample in ms: log-normal (median 5 ms, σ = 1.2) plus 1 % of slow outliers
 * between 200 ms and 2 s, the shape real query latencies have. Seeded, so every run and every
 * library sees the same values.
 */
function latencySample(count: number, seed: number): Float64Array {
  const random = seededRandom(seed)
  const out = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    if (random() < 0.01) {
      out[i] = 200 + random() * 1800
      continue
    }
    const u = 1 - random()
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
    out[i] = 5 * Math.exp(1.2 * normal)
  }
  return out
}

/** hdr-histogram-js records integers: values in µs, as HdrHistogram users record latencies. */
function toMicros(ms: Float64Array): Float64Array {
  return ms.map((v) => Math.max(1, Math.round(v * 1000)))
}

function hdrHistogram(digits: 2 | 3): hdr.Histogram {
  return hdr.build({ numberOfSignificantValueDigits: digits, useWebAssembly: false })
}

/** Exact percentile by each library's own rank rule, so a definition difference is not counted as error. */
function exactLower(sorted: Float64Array, p: number): number {
  return sorted[Math.floor((p / 100) * (sorted.length - 1))] as number
}
function exactHdr(sorted: Float64Array, p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number
}

async function speedCases(ctx: SuiteContext, core: Pick<CoreApi, 'Histogram'>): Promise<void> {
  const ms = latencySample(MASK + 1, 7)
  const us = toMicros(ms)
  const ours = new core.Histogram()
  const h2 = hdrHistogram(2)
  const h3 = hdrHistogram(3)
  let c1 = 0
  let c2 = 0
  let c3 = 0
  await ctx.compare(
    'Histogram.record vs hdr-histogram-js recordValue',
    [
      {
        name: 'hdr-histogram-js (3 digits)',
        run(n) {
          for (let i = 0; i < n; i++) h3.recordValue(us[c1++ & MASK] as number)
        },
      },
      {
        name: 'hdr-histogram-js (2 digits)',
        run(n) {
          for (let i = 0; i < n; i++) h2.recordValue(us[c2++ & MASK] as number)
        },
      },
      {
        name: '@perf Histogram (1 %)',
        run(n) {
          for (let i = 0; i < n; i++) ours.record(ms[c3++ & MASK] as number)
        },
      },
    ],
    {
      baseline: 'hdr-histogram-js (3 digits)',
      note: 'Values from the skewed sample below. hdr-histogram-js: pure JS (`useWebAssembly: false`), default 32-bit buckets with auto-resize, values recorded as integer µs; @perf Histogram records ms as floats.',
    },
  )
  let sink = 0
  await ctx.compare(
    'percentile queries (p50, p95, p99, p99.9) on a filled histogram',
    [
      {
        name: 'hdr-histogram-js (3 digits)',
        opsPerCall: PERCENTILES.length,
        run(n) {
          for (let i = 0; i < n; i++) for (const p of PERCENTILES) sink += h3.getValueAtPercentile(p)
        },
      },
      {
        name: 'hdr-histogram-js (2 digits)',
        opsPerCall: PERCENTILES.length,
        run(n) {
          for (let i = 0; i < n; i++) for (const p of PERCENTILES) sink += h2.getValueAtPercentile(p)
        },
      },
      {
        name: '@perf Histogram (1 %)',
        opsPerCall: PERCENTILES.length,
        run(n) {
          for (let i = 0; i < n; i++) for (const p of PERCENTILES) sink += ours.percentile(p)
        },
      },
    ],
    {
      baseline: 'hdr-histogram-js (3 digits)',
      note: 'One operation is one percentile query; the histograms hold the values recorded above.',
    },
  )
  if (!(sink > 0)) throw new Error('[bench] percentiles summed to nothing')
}

async function accuracy(ctx: SuiteContext, core: Pick<CoreApi, 'Histogram'>): Promise<number> {
  const count = ctx.size(1_000_000, 100_000)
  const ms = latencySample(count, 11)
  const us = toMicros(ms)
  const ours: HistogramLike = new core.Histogram()
  const h2 = hdrHistogram(2)
  const h3 = hdrHistogram(3)
  for (let i = 0; i < count; i++) {
    ours.record(ms[i] as number)
    h2.recordValue(us[i] as number)
    h3.recordValue(us[i] as number)
  }
  const sortedMs = ms.slice().sort()
  const sortedUs = us.slice().sort()
  const rel = (got: number, exact: number) => Math.abs(got - exact) / exact
  let worst = 0
  const rows = PERCENTILES.map((p) => {
    const exactOurs = exactLower(sortedMs, p)
    const exactH = exactHdr(sortedUs, p)
    const errOurs = rel(ours.percentile(p), exactOurs)
    worst = Math.max(worst, errOurs)
    return [
      `p${p}`,
      `${exactOurs.toFixed(3)} ms`,
      `${ours.percentile(p).toFixed(3)} ms`,
      formatPct(errOurs, 2),
      `${(h2.getValueAtPercentile(p) / 1000).toFixed(3)} ms`,
      formatPct(rel(h2.getValueAtPercentile(p), exactH), 2),
      `${(h3.getValueAtPercentile(p) / 1000).toFixed(3)} ms`,
      formatPct(rel(h3.getValueAtPercentile(p), exactH), 2),
    ]
  })
  ctx.table({
    title: `Accuracy — ${count.toLocaleString('en-US')} skewed latencies (log-normal, median 5 ms, σ 1.2, plus 1 % outliers at 0.2–2 s)`,
    headers: [
      'percentile',
      'exact',
      '@perf',
      '@perf error',
      'hdr (2 digits)',
      'hdr 2 error',
      'hdr (3 digits)',
      'hdr 3 error',
    ],
    rows,
    note: "Relative error against the exact percentile of the same values, each by its library's own rank rule (@perf: lower nearest rank ⌊p·(n−1)⌋; HdrHistogram: ⌈p·n⌉, reported as the top of its bucket). The exact column shows the @perf rule; the two rules differ by at most one rank.",
  })
  return worst
}

/** Issue 3: Histogram speed and accuracy vs hdr-histogram-js. */
const suite: Suite = {
  name: 'histogram',
  title: 'Histogram vs hdr-histogram-js: speed and accuracy (issue 3)',
  libraries: ['@perf/core', 'hdr-histogram-js'],
  async run(ctx) {
    const core = await requireCore(ctx, ['Histogram'])
    if (!core) return
    await speedCases(ctx, core)
    const worst = await accuracy(ctx, core)
    ctx.target('Histogram worst relative error at p50/p95/p99/p99.9', 'exact', worst, '<=', 0.01, (v) =>
      formatPct(v, 2),
    )
  },
}

export default suite
