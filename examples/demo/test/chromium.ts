import { execFileSync } from 'node:child_process'
import { serviceMissing } from '@perf/core/testing'
import { chromium, type Browser } from 'playwright-core'

function which(name: string): string | undefined {
  try {
    return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * The system Chromium, installed with apt-get when missing and we are root (CI images). Returns
 * undefined (the caller skips loudly) when it cannot be had, unless PERF_REQUIRE_SERVICES=1.
 */
export function findChromium(): string | undefined {
  const found = process.env.CHROMIUM_PATH ?? which('chromium') ?? which('chromium-browser')
  if (found) return found
  let reason = 'apt-get install -y chromium, or set CHROMIUM_PATH'
  if (process.getuid?.() === 0 && which('apt-get')) {
    try {
      console.warn('[demo tests] chromium not found: installing it with apt-get (needs network)')
      execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 })
      execFileSync('apt-get', ['install', '-y', 'chromium'], {
        stdio: 'ignore',
        timeout: 600_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      })
    } catch (error) {
      reason = `apt-get install failed: ${String(error)}`
    }
    const installed = which('chromium')
    if (installed) return installed
  }
  serviceMissing('chromium', reason, { scope: '[demo tests]', skipping: 'browser checks' })
  return undefined
}

/** Headless Chromium with networking off. */
export function launch(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
}

/** What a chart looks like once rendered. */
export interface RenderedChart {
  id: string
  width: number
  height: number
  series: { name: string; points: number; length: number; width: number }[]
}

/**
 * Opens `url` offline (every request other than the page itself is refused and counted) and
 * measures each `svg[data-chart]`: its box and, per series path, its declared point count and its
 * rendered geometry (a path with data has a positive length and width).
 */
export async function renderCharts(
  browser: Browser,
  url: string,
): Promise<{ charts: RenderedChart[]; externalRequests: string[] }> {
  const page = await browser.newPage()
  const externalRequests: string[] = []
  await page.route('**/*', (route) => {
    if (route.request().url() === url) return route.continue()
    externalRequests.push(route.request().url())
    return route.abort()
  })
  await page.goto(url)
  const charts = await page.$$eval('svg[data-chart]', (svgs) =>
    svgs.map((svg) => {
      const box = svg.getBoundingClientRect()
      return {
        id: svg.getAttribute('data-chart') ?? '',
        width: box.width,
        height: box.height,
        series: [...svg.querySelectorAll('path[data-series]')].map((p) => {
          const path = p as SVGPathElement
          return {
            name: path.getAttribute('data-series') ?? '',
            points: Number(path.getAttribute('data-points')),
            length: path.getTotalLength(),
            width: path.getBBox().width,
          }
        }),
      }
    }),
  )
  await page.close()
  return { charts, externalRequests }
}
