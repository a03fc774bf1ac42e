import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  CircuitBreaker,
  LocalLocker,
  PoolMonitor,
  createCache,
  createMonitor,
  sqlResultKey,
  type Cache,
  type Monitor,
} from '@perf/core'
import { pgDiagnostics } from '@perf/pg'
import { DATABASE_URL as PG_URL, postgresAvailable as checkPostgres } from './postgres.js'
import pg from 'pg'
import { dashboard, type DashboardHandler, type DashboardOptions } from '../src/index.js'

export { DATABASE_URL as PG_URL } from './postgres.js'

/** True when PostgreSQL answers; else skips loudly (fails under PERF_REQUIRE_SERVICES=1). */
export function postgresAvailable(scope: string): Promise<boolean> {
  return checkPostgres(scope, 'dashboard tests against PostgreSQL')
}

/** An app with real PostgreSQL queries feeding a monitor, a cache, a pool monitor, a locker and a breaker, and the dashboard on a port. */
export interface DashboardApp {
  url: string
  pool: pg.Pool
  monitor: Monitor
  cache: Cache
  locker: LocalLocker
  breaker: CircuitBreaker
  handler: DashboardHandler
  /** Runs `sql` on the pool, recorded by the monitor (and cached when `cached`). */
  run(sql: string, options?: { cached?: boolean }): Promise<unknown[]>
  close(): Promise<void>
}

export async function startDashboardApp(options: Partial<DashboardOptions> = {}): Promise<DashboardApp> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 })
  const monitor = createMonitor({ slowQueryMs: 0, nPlusOneThreshold: 3 })
  const cache = createCache({ namespace: 'dash', hotKeys: { capacity: 16, sampleRate: 1 } })
  const probe = {
    name: 'pg',
    stats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      active: pool.totalCount - pool.idleCount,
      waiting: pool.waitingCount,
      max: 4,
      min: 0,
    }),
  }
  monitor.addPoolProbe(probe)
  const poolMonitor = new PoolMonitor(probe, { intervalMs: 200 })
  const locker = new LocalLocker()
  const breaker = new CircuitBreaker({ name: 'payments' })
  const handler = dashboard({
    monitors: { api: monitor },
    caches: cache,
    pools: poolMonitor,
    lockers: { local: locker },
    breakers: breaker,
    pg: pgDiagnostics(pool),
    intervalMs: 200,
    ...options,
  })
  const server: Server = createServer((req, res) => void handler(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const run = async (sql: string, o: { cached?: boolean } = {}): Promise<unknown[]> => {
    const query = async (): Promise<unknown[]> => {
      const started = performance.now()
      let rows: unknown[] = []
      let error: unknown
      try {
        rows = (await pool.query(sql)).rows
      } catch (err) {
        error = err
      }
      monitor.record({ source: 'pg', sql, durationMs: performance.now() - started, rows: rows.length, error })
      if (error !== undefined) throw error
      return rows
    }
    if (o.cached !== true) return query()
    let loaded = false
    const rows = await cache.getOrSet(sqlResultKey(sql, []), () => ((loaded = true), query()), { ttl: '1m' })
    if (!loaded) monitor.record({ source: 'pg', sql, durationMs: 0.01, cache: 'hit' })
    return rows
  }
  return {
    url: `http://127.0.0.1:${port}`,
    pool,
    monitor,
    cache,
    locker,
    breaker,
    handler,
    run,
    async close() {
      handler.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      poolMonitor.close()
      monitor.close()
      await cache.close()
      await locker.close()
      await pool.end()
    },
  }
}
