import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import pg from 'pg'

/** The PostgreSQL the suite uses: database `test`, a fresh schema per run. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'

/** Columns of the benchmark table, in the order Prisma selects them. */
export const COLUMNS = '"id", "email", "name", "active", "score", "role", "createdAt"'

/**
 * A schema `perf_bench_<random>` holding one seeded `Account` table (the model of
 * ./schema.prisma), the pools opened on it, and {@link BenchDatabase.drop} to remove it all.
 */
export class BenchDatabase {
  readonly schema = `perf_bench_${randomBytes(4).toString('hex')}`
  readonly #pools: pg.Pool[] = []
  #admin: pg.Client | undefined

  /** Creates the schema and table and inserts `rows` rows with ids 1..rows. */
  async create(rows: number): Promise<void> {
    const admin = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 })
    await admin.connect()
    this.#admin = admin
    await admin.query(`CREATE SCHEMA "${this.schema}"`)
    await admin.query(`CREATE TABLE "${this.schema}"."Account" (
      "id" INTEGER PRIMARY KEY,
      "email" TEXT NOT NULL UNIQUE,
      "name" TEXT NOT NULL,
      "active" BOOLEAN NOT NULL,
      "score" INTEGER NOT NULL,
      "role" TEXT NOT NULL,
      "createdAt" TIMESTAMPTZ(3) NOT NULL
    )`)
    await admin.query(
      `INSERT INTO "${this.schema}"."Account" (${COLUMNS})
       SELECT i, 'user' || i || '@mail.example.com', 'User ' || i, i % 3 <> 0, i % 1000, 'member',
              TIMESTAMPTZ '2025-01-01 00:00:00+00' + i * INTERVAL '1 minute'
       FROM generate_series(1, $1) AS i`,
      [rows],
    )
    await admin.query(`ANALYZE "${this.schema}"."Account"`)
  }

  /** The server's version line, for the report. */
  async version(): Promise<string> {
    const result = await this.#admin?.query<{ server_version: string }>('SHOW server_version')
    return result?.rows[0]?.server_version ?? 'unknown'
  }

  /** A pool whose connections use the benchmark schema. */
  pool(max = 10): pg.Pool {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max, options: `-c search_path="${this.schema}"` })
    this.#pools.push(pool)
    return pool
  }

  /** Ends every pool (bounded: a stuck client must not hang the suite) and drops the schema. */
  async drop(): Promise<void> {
    for (const pool of this.#pools)
      await Promise.race([pool.end().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())])
    if (this.#admin) {
      await this.#admin.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`)
      await this.#admin.end()
    }
  }
}

/**
 * CPU seconds used so far by every running `postgres` process (Linux /proc; clock ticks taken as
 * 1/100 s), or undefined elsewhere. Backends that exit between two readings drop out, so read it
 * while the suite's pools are open.
 */
export function postgresCpuSeconds(): number | undefined {
  let ticks = 0
  let found = false
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue
      let stat: string
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      } catch {
        continue // exited meanwhile
      }
      if (!stat.includes('(postgres)')) continue
      // Fields after the parenthesised command name start at field 3; utime and stime are 14 and 15.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(rest[11]) + Number(rest[12])
      found = true
    }
  } catch {
    return undefined
  }
  return found ? ticks / 100 : undefined
}
