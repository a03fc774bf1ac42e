import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { INestApplication } from '@nestjs/common'
import type { Monitor } from '@perf/core'
import { requireService, tcpReachable } from '@perf/core/testing'
import pg from 'pg'

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'

/** Whether PostgreSQL listens; skips loudly without it, fails under PERF_REQUIRE_SERVICES=1. */
export function postgresAvailable(): Promise<boolean> {
  const at = new URL(DATABASE_URL)
  return requireService(`PostgreSQL at ${at.host}`, () => tcpReachable(at.hostname, Number(at.port || 5432)), {
    scope: '[perf:nestjs tests]',
    skipping: 'NestJS integration tests',
    attempts: 1,
  })
}

/** A data-access service over a fresh schema (3 teams of 4 users) that records each statement like an adapter. */
export class Db {
  readonly #pool: pg.Pool
  readonly #schema: string
  readonly #monitor: Monitor

  private constructor(pool: pg.Pool, schema: string, monitor: Monitor) {
    this.#pool = pool
    this.#schema = schema
    this.#monitor = monitor
  }

  static async create(monitor: Monitor): Promise<Db> {
    const schema = `perf_nest_${randomBytes(5).toString('hex')}`
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6, options: `-c search_path=${schema}` })
    await pool.query(`CREATE SCHEMA ${schema}`)
    await pool.query(`CREATE TABLE ${schema}.teams (id int PRIMARY KEY, name text NOT NULL)`)
    await pool.query(`CREATE TABLE ${schema}.users (id int PRIMARY KEY, team_id int NOT NULL, name text NOT NULL)`)
    await pool.query(`INSERT INTO ${schema}.teams SELECT t, 'team ' || t FROM generate_series(1, 3) t`)
    await pool.query(
      `INSERT INTO ${schema}.users SELECT u, 1 + (u - 1) / 4, 'user ' || u FROM generate_series(1, 12) u`,
    )
    return new Db(pool, schema, monitor)
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]> {
    const started = performance.now()
    const result = await this.#pool.query<R>(sql, values)
    this.#monitor.record({ source: 'pg', sql, durationMs: performance.now() - started, rows: result.rowCount ?? 0 })
    return result.rows
  }

  async drop(): Promise<void> {
    await this.#pool.query(`DROP SCHEMA ${this.#schema} CASCADE`).catch(() => undefined)
    await this.#pool.end()
  }
}

/** Starts `app` on a free port and returns its base URL. */
export async function start(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1')
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

/** `db;dur=1.2;desc="3 statements", cache;desc="1 hit, 0 misses"` → { db: '3 statements', cache: '1 hit, 0 misses' }. */
export function timingDescs(header: string | null): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of (header ?? '').matchAll(/([a-z-]+)(?:;dur=[\d.]+)?(?:;desc="([^"]*)")?/g))
    if (m[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2]
  return out
}
