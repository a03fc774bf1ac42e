import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderReport } from '../src/report/html.js'
import { BIN_EDGES, fingerprintLabel, type PhaseResult } from '../src/run-phase.js'
import { formatTable } from '../src/table.js'
import { findChromium, launch, renderCharts } from './chromium.js'

function phase(label: string, scale: number): PhaseResult {
  return {
    label,
    requests: 1000 * scale,
    errors: 0,
    writes: 100,
    seconds: 10,
    throughput: 100 * scale,
    p50: 20 / scale,
    p95: 80 / scale,
    p99: 120 / scale,
    latencyBins: BIN_EDGES.map((upperMs, i) => ({
      upperMs,
      count: Math.max(0, 50 - Math.abs(i - 24 + scale * 4) * 5),
    })),
    timeline: Array.from({ length: 20 }, (_, i) => 100 * scale + (i % 3)),
    statements: 12_000 / scale,
    hitRatio: scale > 1 ? 0.87 : undefined,
    nPlusOneScopes: 300,
    nPlusOnePatterns: ['Review.aggregate ×5+ in GET /categories/:id/products'],
    topFingerprints: [
      {
        label: 'Review.aggregate',
        calls: 900,
        meanMs: 4.2,
        totalMs: 3780,
        sample: 'SELECT AVG("rating") FROM "Review" WHERE "productId" = $1',
      },
    ],
    poolUtilization: 0.9,
    poolPeakWaiting: 12,
    health: { score: 71, status: 'degraded', reasons: ['p95 latency 300 ms > 250 ms'] },
  }
}

const chromiumPath = findChromium()

describe('demo report', () => {
  const plain = phase('plain Prisma', 1)
  const wrapped = phase('perf() wrapped', 3)
  const verification = { samples: 10, identical: 10, cachedReads: 25 }

  it('formatTable() prints every row of the comparison with the change column', () => {
    const text = formatTable(plain, wrapped)
    for (const row of [
      'throughput (req/s)',
      'latency p50 (ms)',
      'latency p95 (ms)',
      'latency p99 (ms)',
      'SQL statements issued',
      'cache hit ratio',
      'N+1 findings',
      'top slow fingerprint #1',
      'pool utilisation',
      'health score',
    ]) {
      expect(text).toContain(row)
    }
    expect(text).toMatch(/throughput \(req\/s\)\s+100\.0\s+300\.0\s+3\.0× more/)
    expect(text).toMatch(/cache hit ratio\s+—\s+87\.0%/)
  })

  it('fingerprintLabel() names plain SQL by table, verb and aggregate', () => {
    expect(
      fingerprintLabel({
        fingerprint: 'SELECT AVG("rating") AS "_avg$rating" FROM "public"."Review" WHERE ("productId" = ?)',
      }),
    ).toBe('Review SELECT AVG')
    expect(fingerprintLabel({ fingerprint: 'INSERT INTO "Order" ("a") VALUES (?)' })).toBe('Order INSERT')
    expect(fingerprintLabel({ model: 'Review', operation: 'aggregate', fingerprint: 'x' })).toBe('Review.aggregate')
  })

  it('renderReport() is self-contained: no scripts, no external references', () => {
    const html = renderReport({
      title: 't',
      database: 'db',
      rows: 1,
      generatedAt: new Date(0),
      plain,
      wrapped,
      verification,
      bucketMs: 500,
    })
    expect(html).not.toMatch(/<script|<link|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
    expect(html.match(/<svg data-chart=/g)).toHaveLength(2)
  })

  describe.skipIf(!chromiumPath)('in headless Chromium', () => {
    let browser: Browser
    let dir: string
    beforeAll(async () => {
      browser = await launch(chromiumPath as string)
      dir = mkdtempSync(join(tmpdir(), 'perf-demo-report-'))
    })
    afterAll(async () => {
      await browser?.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('renders both charts with both series drawn, without network access', async () => {
      const file = join(dir, 'report.html')
      writeFileSync(
        file,
        renderReport({
          title: 't',
          database: 'db',
          rows: 1,
          generatedAt: new Date(0),
          plain,
          wrapped,
          verification,
          bucketMs: 500,
        }),
      )
      const { charts, externalRequests } = await renderCharts(browser, pathToFileURL(file).href)
      expect(externalRequests).toEqual([])
      expect(charts.map((c) => c.id)).toEqual(['latency', 'throughput'])
      for (const chart of charts) {
        expect(chart.width).toBeGreaterThan(300)
        expect(chart.height).toBeGreaterThan(100)
        expect(chart.series.map((s) => s.name)).toEqual(['plain Prisma', 'perf() wrapped'])
        for (const series of chart.series) {
          expect(series.points).toBeGreaterThan(1)
          expect(series.length).toBeGreaterThan(50)
          expect(series.width).toBeGreaterThan(10)
        }
      }
    })
  })
})
