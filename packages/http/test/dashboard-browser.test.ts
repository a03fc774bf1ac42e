/// <reference lib="dom" />
// The page-side callbacks (page.evaluate) run in the browser.
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { serviceMissing } from '@perf/core/testing'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postgresAvailable, startDashboardApp, type DashboardApp } from './dashboard-app.js'

const scope = '[perf:http browser test]'

function chromiumPath(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() ||
      undefined
    )
  } catch {
    return undefined
  }
}

const executablePath = chromiumPath()
if (executablePath === undefined)
  serviceMissing('Chromium (apt-get install -y chromium)', 'no chromium on PATH', {
    scope,
    skipping: 'the dashboard browser test',
  })
const hasPg = executablePath !== undefined && (await postgresAvailable(scope))

const SCREENSHOT = new URL('./artifacts/dashboard.png', import.meta.url)

describe.skipIf(!hasPg)('dashboard page in headless Chromium', () => {
  let app: DashboardApp
  let browser: Browser

  beforeAll(async () => {
    app = await startDashboardApp({ intervalMs: 250, title: 'orders-api · @perf' })
    browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
  })

  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('renders the charts from real PostgreSQL queries and updates them live as more queries run', async () => {
    // First traffic: a few statements (one with an N+1 in a request scope), some cached.
    for (let i = 0; i < 12; i++) await app.run(`SELECT ${i} AS n, 'tenant-secret' AS t, pg_sleep(0.002)`)
    await app.monitor.scope(
      async () => {
        for (let i = 0; i < 6; i++) await app.run(`SELECT relname FROM pg_class WHERE oid = ${1259 + i}`)
      },
      { name: 'GET /orders/:id' },
    )
    for (let i = 0; i < 8; i++) await app.run('SELECT count(*) FROM pg_class', { cached: true })

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const hosts = new Set<string>()
    page.on('request', (request) => hosts.add(new URL(request.url()).host))
    await page.goto(app.url + '/')
    await page.waitForFunction(() => Number(document.getElementById('chart-throughput')?.dataset.points) >= 2)
    const before = await page.evaluate(() => ({
      calls: Number(document.getElementById('calls')?.dataset.value),
      points: Number(document.getElementById('chart-throughput')?.dataset.points),
      polylines: document.querySelectorAll('#chart-latency polyline').length,
      firstLine: document.querySelector('#chart-throughput polyline')?.getAttribute('points') ?? '',
      statements: document.querySelectorAll('#fingerprints tr').length - 1,
      nPlusOne: document.getElementById('nplusone')?.textContent ?? '',
      score: document.getElementById('score')?.textContent,
    }))
    expect(before.calls).toBe(26)
    expect(before.polylines).toBe(3) // p50, p95, p99
    expect(before.firstLine.split(' ').length).toBe(before.points)
    expect(before.statements).toBe(3)
    expect(before.nPlusOne).toContain('GET /orders/:id')
    expect(Number(before.score)).toBeGreaterThanOrEqual(0)

    // More traffic: the page must show it without a reload (server-sent events).
    for (let i = 0; i < 30; i++) await app.run(`SELECT ${i} AS n, pg_sleep(0.001)`)
    await page.waitForFunction(() => Number(document.getElementById('calls')?.dataset.value) === 56)
    await page.waitForFunction(
      (n) => Number(document.getElementById('chart-throughput')?.dataset.points) > n,
      before.points,
    )
    const after = await page.evaluate(() => ({
      updates: Number(document.body.dataset.updates),
      max: Number(document.getElementById('chart-throughput')?.dataset.max),
      html: document.documentElement.outerHTML,
    }))
    expect(after.updates).toBeGreaterThan(1)
    expect(after.max).toBeGreaterThan(0)
    expect(after.html).not.toContain('tenant-secret')
    expect([...hosts]).toEqual([new URL(app.url).host]) // no CDN, no other host
    mkdirSync(new URL('./artifacts/', import.meta.url), { recursive: true })
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true })
    await page.close()
  })
})
