import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { Monitor, ScopeReport } from '@perf/core'
import pg from 'pg'
import { DATABASE_URL, postgresAvailable as checkPostgres } from './postgres.js'

/** Whether PostgreSQL answers; skips loudly without it, fails under PERF_REQUIRE_SERVICES=1. */
export function postgresAvailable(): Promise<boolean> {
  return checkPostgres('[perf:http tests]', 'request-scope integration tests', 1)
}

/** A schema with 3 teams of 4 users each; `query()` runs SQL and records it the way an adapter would. */
export interface Shop {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]>
  drop(): Promise<void>
}

export async function createShop(monitor: Monitor): Promise<Shop> {
  const schema = `perf_http_${randomBytes(5).toString('hex')}`
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6, options: `-c search_path=${schema}` })
  const admin = await pool.connect()
  try {
    await admin.query(`CREATE SCHEMA ${schema}`)
    await admin.query(`SET search_path TO ${schema}`)
    await admin.query('CREATE TABLE teams (id int PRIMARY KEY, name text NOT NULL)')
    await admin.query('CREATE TABLE users (id int PRIMARY KEY, team_id int NOT NULL, name text NOT NULL)')
    await admin.query(`INSERT INTO teams SELECT t, 'team ' || t FROM generate_series(1, 3) t`)
    await admin.query(`INSERT INTO users SELECT u, 1 + (u - 1) / 4, 'user ' || u FROM generate_series(1, 12) u`)
  } finally {
    admin.release()
  }
  return {
    async query<R extends pg.QueryResultRow>(sql: string, values?: unknown[]) {
      const started = performance.now()
      const result = await pool.query<R>(sql, values)
      monitor.record({ source: 'pg', sql, durationMs: performance.now() - started, rows: result.rowCount ?? 0 })
      return result.rows
    },
    async drop() {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => undefined)
      await pool.end()
    },
  }
}

/** Listens on a free port; returns the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Collects scope reports and waits for the one of a request (reports arrive once a response is done). */
export class Reports {
  readonly all: ScopeReport[] = []
  #waiters: Array<{ match: (r: ScopeReport) => boolean; resolve: (r: ScopeReport) => void }> = []

  readonly add = (report: ScopeReport): void => {
    this.all.push(report)
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(report)) return true
      w.resolve(report)
      return false
    })
  }

  /** The first report (already in or still to come) whose name is `name`. */
  named(name: string): Promise<ScopeReport> {
    const found = this.all.find((r) => r.name === name)
    if (found !== undefined) return Promise.resolve(found)
    return new Promise((resolve) => this.#waiters.push({ match: (r) => r.name === name, resolve }))
  }
}

/** Parses `db;dur=1.20;desc="3 statements", cache;desc="1 hit, 0 misses"` into { db: { dur, desc }, … }. */
export function parseServerTiming(header: string | null): Record<string, { dur?: number; desc?: string }> {
  const out: Record<string, { dur?: number; desc?: string }> = {}
  for (const entry of (header ?? '').split(/,\s*(?=[a-z-]+(?:;|$))/i)) {
    const [name, ...params] = entry.trim().split(';')
    if (!name) continue
    const metric: { dur?: number; desc?: string } = {}
    for (const p of params) {
      const [k, v = ''] = p.split('=')
      if (k === 'dur') metric.dur = Number(v)
      if (k === 'desc') metric.desc = v.replace(/^"|"$/g, '')
    }
    out[name] = metric
  }
  return out
}
