import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { findChromium, launch, renderCharts } from './chromium.js'
import { expectComparison } from './expect-comparison.js'
import { runDemo } from './run-demo.js'

const dir = mkdtempSync(join(tmpdir(), 'perf-demo-smoke-'))

describe('pnpm demo --smoke', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const report = join(dir, 'report.html')
  let run: Promise<{ code: number | null; output: string }> | undefined
  const result = () => (run ??= runDemo(['--smoke', '--report', report]))

  it('seeds, runs both phases, prints the side-by-side table and an identical-results verdict', async () => {
    const { code, output } = await result()
    // Prisma stays the default ORM.
    expect(output).toContain('plain Prisma vs prisma.$extends(perf())')
    expectComparison(output, 'plain Prisma', 'perf() wrapped')
    expect(output).toMatch(/✔ Sampled results identical: (\d+)\/\1 requests/)
    expect(output).toContain(`report: ${report}`)
    expect(code).toBe(0)
    expect(existsSync(report)).toBe(true)
  })

  const chromiumPath = findChromium()
  it.skipIf(!chromiumPath)('writes a report whose charts render with data in headless Chromium', async () => {
    await result()
    const browser = await launch(chromiumPath as string)
    try {
      const { charts, externalRequests } = await renderCharts(browser, pathToFileURL(report).href)
      expect(externalRequests).toEqual([])
      expect(charts.map((c) => c.id)).toEqual(['latency', 'throughput'])
      for (const chart of charts) {
        for (const series of chart.series) {
          expect(series.points).toBeGreaterThan(1)
          expect(series.length).toBeGreaterThan(0)
        }
      }
    } finally {
      await browser.close()
    }
  })
})
