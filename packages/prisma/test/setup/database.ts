import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { postgresPing, requireService } from '@perf/core/testing'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { PrismaClient } from '../generated/client.js'

/** The PostgreSQL the integration tests use. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'

/**
 * Whether PostgreSQL answers. Without it the suites skip loudly; with PERF_REQUIRE_SERVICES=1 a
 * missing database is an error (CI).
 */
export function postgresAvailable(): Promise<boolean> {
  return requireService(`PostgreSQL at ${DATABASE_URL}`, () => postgresPing(DATABASE_URL), {
    scope: '[perf:prisma tests]',
    skipping: 'integration tests',
    attempts: 1,
  })
}

/** A fresh schema with the test tables, and clients bound to it. */
export interface TestDatabase {
  schema: string
  /** A pool whose connections use the test schema (`Pool` may be a pg.Pool subclass). */
  createPool(max?: number, Pool?: typeof pg.Pool): pg.Pool
  /** A plain Prisma client on a new pool (`pool` is returned for instrumentation). */
  createClient(pool?: pg.Pool): { prisma: PrismaClient; pool: pg.Pool }
  /** Runs SQL on an admin connection in the test schema. */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>
  /** Disconnects every client and pool created here and drops the schema. */
  drop(): Promise<void>
}

/** Creates `perf_test_<random>` with test/setup/schema.sql. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const schema = `perf_test_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA "${schema}"`)
  await admin.query(`SET search_path TO "${schema}"`)
  await admin.query(readFileSync(new URL('./schema.sql', import.meta.url), 'utf8'))
  const pools: pg.Pool[] = []
  const clients: PrismaClient[] = []
  const createPool = (max = 10, Pool = pg.Pool) => {
    const pool = new Pool({ connectionString: DATABASE_URL, max, options: `-c search_path="${schema}"` })
    pools.push(pool)
    return pool
  }
  return {
    schema,
    createPool,
    createClient(pool = createPool()) {
      const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) })
      clients.push(prisma)
      return { prisma, pool }
    },
    sql: (text, values) => admin.query(text, values),
    async drop() {
      for (const client of clients) await client.$disconnect().catch(() => undefined)
      // A test that failed while holding a connection must not hang the suite: end() waits for it.
      for (const pool of pools)
        await Promise.race([pool.end().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())])
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.end()
    },
  }
}
