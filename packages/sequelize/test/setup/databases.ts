import { randomBytes } from 'node:crypto'
import { postgresPing, requireService } from '@perf/core/testing'
import * as mariadb from 'mariadb'
import mysql2 from 'mysql2'
import pg from 'pg'
import * as sequelize6 from 'sequelize'
import * as sequelize6lo from 'sequelize6lo'

/** The PostgreSQL and MariaDB the integration tests use (trust auth / root without a password here). */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
export const MARIADB = {
  host: process.env.MARIADB_HOST ?? '127.0.0.1',
  port: Number(process.env.MARIADB_PORT ?? 3306),
  user: process.env.MARIADB_USER ?? 'root',
  password: process.env.MARIADB_PASSWORD ?? '',
}

export type SequelizeModule = typeof sequelize6
export type Dialect = 'postgres' | 'mariadb' | 'mysql'

/** Every dialect the tests run on; `mysql` (mysql2) runs against the same MariaDB server. */
export const DIALECTS = ['postgres', 'mariadb', 'mysql'] as const

/** Both Sequelize 6 releases the adapter is tested with: the latest and the lowest minor claimed. */
export const SEQUELIZE_VERSIONS = [
  { label: 'sequelize 6 latest', lib: sequelize6 },
  { label: 'sequelize 6.29', lib: sequelize6lo as unknown as SequelizeModule },
] as const

const SCOPE = '[perf:sequelize tests]'

/** Whether PostgreSQL answers; skips loudly without it, fails under PERF_REQUIRE_SERVICES=1. */
export function postgresAvailable(): Promise<boolean> {
  return requireService(`PostgreSQL at ${DATABASE_URL}`, () => postgresPing(DATABASE_URL), {
    scope: SCOPE,
    skipping: 'PostgreSQL integration tests',
    attempts: 1,
  })
}

/** Whether MariaDB answers; skips loudly without it, fails under PERF_REQUIRE_SERVICES=1. */
export function mariadbAvailable(): Promise<boolean> {
  return requireService(
    `MariaDB at ${MARIADB.host}:${MARIADB.port}`,
    async () => {
      const conn = await mariadb.createConnection({ ...MARIADB, connectTimeout: 2000 })
      try {
        await conn.query('SELECT 1')
        return true
      } finally {
        await conn.end().catch(() => undefined)
      }
    },
    { scope: SCOPE, skipping: 'MariaDB integration tests', attempts: 1 },
  )
}

/** Statements the driver was sent, counted below Sequelize and below the adapter. */
export interface DriverTap {
  /** Statements sent that mention `filter` (all when not given). */
  count(): number
  /** Holds the next statement matching `pattern` after its rows arrived, until released. */
  gate(pattern: RegExp): { reached: Promise<void>; release(): void }
}

interface Gate {
  pattern: RegExp
  reached: () => void
  wait: Promise<void>
}

/** A fresh database (a PostgreSQL schema or a MariaDB database) and a Sequelize on it whose driver is tapped. */
export interface TestDatabase {
  sequelize: sequelize6.Sequelize
  tap: DriverTap
  /** Another Sequelize on the same database (another application process), with its own tap. */
  another(): { sequelize: sequelize6.Sequelize; tap: DriverTap }
  /** SQL run around Sequelize, on an admin connection. */
  sql(text: string): Promise<unknown>
  /**
   * Runs `fn` (a `sync()`) while no other test file drops its schema. Sequelize's PostgreSQL
   * `showIndex` reads every table of that name in the database, in every schema, through
   * `pg_get_indexdef`: a schema dropped meanwhile fails it with "could not open relation with OID".
   */
  ddl<T>(fn: () => Promise<T>): Promise<T>
  close(): Promise<void>
}

/** Serialises schema drops against `sync()` across test processes (PostgreSQL only). */
const DDL_LOCK = 'SELECT pg_advisory_lock(hashtext($1))'
const DDL_UNLOCK = 'SELECT pg_advisory_unlock(hashtext($1))'
const DDL_KEY = 'perf-sequelize-tests-ddl'

function tapState(filter: RegExp | undefined) {
  let count = 0
  let gate: Gate | undefined
  return {
    tap: {
      count: () => count,
      gate(pattern: RegExp) {
        let reached!: () => void
        let release!: () => void
        const reachedP = new Promise<void>((r) => (reached = r))
        const wait = new Promise<void>((r) => (release = r))
        gate = { pattern, reached, wait }
        return { reached: reachedP, release }
      },
    } satisfies DriverTap,
    /** Called for each statement; returns the gate to hold its result on, if any. */
    seen(sql: string): Gate | undefined {
      if (filter === undefined || filter.test(sql)) count++
      if (gate !== undefined && gate.pattern.test(sql)) {
        const g = gate
        gate = undefined
        return g
      }
      return undefined
    },
  }
}

/** A `pg` module whose clients count statements and can hold one; given to Sequelize as `dialectModule`. */
function tappedPg(seen: (sql: string) => Gate | undefined): typeof pg {
  class Client extends pg.Client {
    override query(...args: unknown[]): never {
      const text = typeof args[0] === 'string' ? args[0] : ''
      const gate = seen(text)
      const cbAt = args.findIndex((a) => typeof a === 'function')
      if (gate !== undefined && cbAt > 0) {
        const cb = args[cbAt] as (e: unknown, r: unknown) => void
        args[cbAt] = (e: unknown, r: unknown) => {
          gate.reached()
          void gate.wait.then(() => cb(e, r))
        }
      }
      return (super.query as (...a: unknown[]) => never)(...args)
    }
  }
  return { ...pg, Client } as unknown as typeof pg
}

/** A `mariadb` module whose connections count statements and can hold one. */
function tappedMariadb(seen: (sql: string) => Gate | undefined): typeof mariadb {
  return {
    ...mariadb,
    async createConnection(config: mariadb.ConnectionConfig) {
      const conn = await mariadb.createConnection(config)
      const query = conn.query.bind(conn)
      conn.query = (async (...args: Parameters<typeof query>) => {
        const sql = typeof args[0] === 'string' ? args[0] : String((args[0] as { sql?: string })?.sql ?? '')
        const gate = seen(sql)
        const result = await query(...args)
        if (gate !== undefined) {
          gate.reached()
          await gate.wait
        }
        return result
      }) as typeof conn.query
      return conn
    },
  } as typeof mariadb
}

/** A `mysql2` module whose connections count statements and can hold one (callback API). */
function tappedMysql2(seen: (sql: string) => Gate | undefined): typeof mysql2 {
  const tap = (original: (...a: unknown[]) => unknown) =>
    function (this: unknown, ...args: unknown[]) {
      const first = args[0]
      const sql = typeof first === 'string' ? first : String((first as { sql?: string } | null)?.sql ?? '')
      const gate = seen(sql)
      const cbAt = args.length - 1
      if (gate !== undefined && typeof args[cbAt] === 'function') {
        const cb = args[cbAt] as (...r: unknown[]) => void
        args[cbAt] = (...r: unknown[]) => {
          gate.reached()
          void gate.wait.then(() => cb(...r))
        }
      }
      return original.apply(this, args)
    }
  return {
    ...mysql2,
    createConnection(config: mysql2.ConnectionOptions) {
      const conn = mysql2.createConnection(config) as unknown as Record<string, (...a: unknown[]) => unknown>
      conn.query = tap(conn.query!.bind(conn))
      conn.execute = tap(conn.execute!.bind(conn))
      return conn as unknown as mysql2.Connection
    },
  } as typeof mysql2
}

/**
 * A fresh database with `schema` statements run on it, and a Sequelize of `lib` on it.
 * `count` counts only statements matching it (connection setup is not counted then).
 */
export async function createDatabase(
  dialect: Dialect,
  options: { lib?: SequelizeModule; schema?: readonly string[]; count?: RegExp; sequelize?: sequelize6.Options } = {},
): Promise<TestDatabase> {
  const lib = options.lib ?? sequelize6
  const name = `perf_sq_${randomBytes(5).toString('hex')}`
  const state = tapState(options.count)
  if (dialect === 'postgres') {
    const admin = new pg.Client({ connectionString: DATABASE_URL })
    await admin.connect()
    await admin.query(`CREATE SCHEMA "${name}"`)
    await admin.query(`SET search_path TO "${name}"`)
    for (const s of options.schema ?? []) await admin.query(s)
    const make = (seen: (sql: string) => Gate | undefined) =>
      new lib.Sequelize(DATABASE_URL, {
        dialect: 'postgres',
        dialectModule: tappedPg(seen),
        dialectOptions: { options: `-c search_path="${name}"` },
        logging: false,
        pool: { max: 5 },
        ...options.sequelize,
      })
    const sequelize = make(state.seen)
    const others: sequelize6.Sequelize[] = []
    return {
      sequelize,
      tap: state.tap,
      another() {
        const other = tapState(options.count)
        const s = make(other.seen)
        others.push(s)
        return { sequelize: s, tap: other.tap }
      },
      sql: async (text) => (await admin.query(text)).rows,
      async ddl(fn) {
        await admin.query(DDL_LOCK, [DDL_KEY])
        try {
          return await fn()
        } finally {
          await admin.query(DDL_UNLOCK, [DDL_KEY])
        }
      },
      async close() {
        for (const s of [sequelize, ...others]) await s.close().catch(() => undefined)
        await admin.query(DDL_LOCK, [DDL_KEY]).catch(() => undefined)
        await admin.query(`DROP SCHEMA "${name}" CASCADE`).catch(() => undefined)
        await admin.end().catch(() => undefined) // ends the session, and its lock with it
      },
    }
  }
  const admin = await mariadb.createConnection({ ...MARIADB, multipleStatements: true })
  await admin.query(`CREATE DATABASE \`${name}\``)
  await admin.query(`USE \`${name}\``)
  for (const s of options.schema ?? []) await admin.query(s)
  const make = (seen: (sql: string) => Gate | undefined) =>
    new lib.Sequelize(name, MARIADB.user, MARIADB.password, {
      dialect,
      host: MARIADB.host,
      port: MARIADB.port,
      dialectModule: dialect === 'mysql' ? tappedMysql2(seen) : tappedMariadb(seen),
      logging: false,
      pool: { max: 5 },
      ...options.sequelize,
    })
  const sequelize = make(state.seen)
  const others: sequelize6.Sequelize[] = []
  return {
    sequelize,
    tap: state.tap,
    another() {
      const other = tapState(options.count)
      const s = make(other.seen)
      others.push(s)
      return { sequelize: s, tap: other.tap }
    },
    sql: (text) => admin.query(text),
    ddl: (fn) => fn(),
    async close() {
      for (const s of [sequelize, ...others]) await s.close().catch(() => undefined)
      await admin.query(`DROP DATABASE \`${name}\``).catch(() => undefined)
      await admin.end().catch(() => undefined)
    },
  }
}
