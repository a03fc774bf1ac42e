import { randomBytes } from 'node:crypto'
import { postgresPing, requireService } from '@perf/core/testing'
import mysql from 'mysql2/promise'
import pg from 'pg'
import * as typeorm1 from 'typeorm'
import * as typeorm03 from 'typeorm03'

/** The PostgreSQL and MariaDB the integration tests use (trust auth / root without a password here). */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
export const MARIADB = {
  host: process.env.MARIADB_HOST ?? '127.0.0.1',
  port: Number(process.env.MARIADB_PORT ?? 3306),
  user: process.env.MARIADB_USER ?? 'root',
  password: process.env.MARIADB_PASSWORD ?? '',
}

/** Both TypeORM lines the adapter supports; suites run once per entry. */
export const TYPEORM_VERSIONS = [
  { label: 'typeorm 1.x', typeorm: typeorm1 as unknown as typeof typeorm1 },
  { label: 'typeorm 0.3', typeorm: typeorm03 as unknown as typeof typeorm1 },
] as const

/** Whether PostgreSQL answers; skips loudly without it, fails under PERF_REQUIRE_SERVICES=1. */
export function postgresAvailable(): Promise<boolean> {
  return requireService(`PostgreSQL at ${DATABASE_URL}`, () => postgresPing(DATABASE_URL), {
    scope: '[perf:typeorm tests]',
    skipping: 'PostgreSQL integration tests',
    attempts: 1,
  })
}

/** Whether MariaDB/MySQL answers; skips loudly without it, fails under PERF_REQUIRE_SERVICES=1. */
export function mariadbAvailable(): Promise<boolean> {
  return requireService(
    `MariaDB at ${MARIADB.host}:${MARIADB.port}`,
    async () => {
      const conn = await mysql.createConnection({ ...MARIADB, connectTimeout: 2000 })
      try {
        await conn.query('SELECT 1')
        return true
      } finally {
        await conn.end().catch(() => undefined)
      }
    },
    { scope: '[perf:typeorm tests]', skipping: 'MariaDB integration tests', attempts: 1 },
  )
}

/** A fresh PostgreSQL schema; `options` go into a TypeORM `postgres` DataSource. */
export async function createPgSchema(): Promise<{
  schema: string
  options: { type: 'postgres'; url: string; schema: string; extra: { options: string } }
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>
  drop(): Promise<void>
}> {
  const schema = `perf_typeorm_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA "${schema}"`)
  await admin.query(`SET search_path TO "${schema}"`)
  return {
    schema,
    options: { type: 'postgres', url: DATABASE_URL, schema, extra: { options: `-c search_path="${schema}"` } },
    sql: (text, values) => admin.query(text, values),
    async drop() {
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined)
      await admin.end().catch(() => undefined)
    },
  }
}

/** A fresh MariaDB database; `options` go into a TypeORM `mysql`/`mariadb` DataSource. */
export async function createMariaDatabase(): Promise<{
  database: string
  options: { type: 'mariadb'; host: string; port: number; username: string; password: string; database: string }
  sql(text: string, values?: unknown[]): Promise<unknown>
  drop(): Promise<void>
}> {
  const database = `perf_typeorm_${randomBytes(5).toString('hex')}`
  const admin = await mysql.createConnection({ ...MARIADB, multipleStatements: true })
  await admin.query(`CREATE DATABASE \`${database}\``)
  await admin.query(`USE \`${database}\``)
  return {
    database,
    options: {
      type: 'mariadb',
      host: MARIADB.host,
      port: MARIADB.port,
      username: MARIADB.user,
      password: MARIADB.password,
      database,
    },
    sql: async (text, values) => (await admin.query(text, values))[0],
    async drop() {
      await admin.query(`DROP DATABASE \`${database}\``).catch(() => undefined)
      await admin.end().catch(() => undefined)
    },
  }
}
