import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PoolMonitor, type Cache, type Monitor, type PoolProbe } from '@perf/core'
import { dashboard } from '@perf/http'
import type { SeedSizes } from './seed.js'
import { nextRequest, random, type ShopApp } from './workload.js'

/** What `--serve` keeps running after the report. */
export interface ServeOptions {
  label: string
  app: ShopApp
  monitor: Monitor
  cache: Cache
  probe: PoolProbe
  sizes: SeedSizes
  /** Port on 127.0.0.1. @default PERF_DASHBOARD_PORT or 4000 (0 picks a free one) */
  port?: number
}

/**
 * `pnpm demo --serve`: keeps the wrapped app serving a gentle workload (4 users, a write a
 * second) with the dashboard at a printed URL, until Ctrl-C. Loopback only (no `authorize`).
 */
export async function serveDashboard(o: ServeOptions): Promise<void> {
  const pool = new PoolMonitor(o.probe, { intervalMs: 1000 })
  const handler = dashboard({
    monitors: { [o.label]: o.monitor },
    caches: o.cache,
    pools: pool,
    basePath: '/perf',
    title: `@perf demo · ${o.label}`,
  })
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '') {
      res.writeHead(302, { location: '/perf/' }).end()
      return
    }
    void handler(req, res)
  })
  const port = o.port ?? Number(process.env.PERF_DASHBOARD_PORT ?? 4000)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const { port: bound } = server.address() as AddressInfo
  console.log(`\ndashboard: http://127.0.0.1:${bound}/perf/  (the wrapped app keeps serving; Ctrl-C to stop)`)

  let running = true
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      running = false
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  const user = async (index: number): Promise<void> => {
    const rnd = random(5000 + index)
    while (running) {
      const request = nextRequest(rnd, o.sizes)
      await o.monitor.scope(() => o.app.serve(request), { name: request.endpoint }).catch(() => undefined)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const writer = async (): Promise<void> => {
    const rnd = random(11)
    while (running) {
      await o.app.write(rnd, o.sizes).catch(() => undefined)
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
  }
  const load = Promise.all([...Array.from({ length: 4 }, (_, i) => user(i)), writer()])
  await stopped
  await load
  handler.close()
  pool.close()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}
