import { randomBytes } from 'node:crypto'
import { MemoryStore, createCache } from '@perf/core'
import {
  ormAdapterSuite,
  ormSuiteSchema,
  requireService,
  type OrmAdapterHarness,
  type OrmSuiteRead,
  type OrmSuiteTransaction,
  type OrmSuiteWrite,
  type OrmSuiteWriteArgs,
} from '@perf/core/testing'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { cachedPg, type PgTransaction } from '../src/cached-pg.js'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const up = await requireService(
  `PostgreSQL at ${DATABASE_URL}`,
  async () => {
    const c = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 })
    await c.connect()
    await c.end()
    return true
  },
  { scope: '[sql-kit-adapter tests]', skipping: 'the ORM-adapter suite', attempts: 1 },
)

const READS: Record<OrmSuiteRead, string> = {
  userById: 'SELECT * FROM perf_users WHERE id = $1',
  allUsers: 'SELECT * FROM perf_users ORDER BY id',
  postsWithAuthors:
    'SELECT p.id, p.title, u.name AS author FROM perf_posts p JOIN perf_users u ON u.id = p.author_id ORDER BY p.id',
  tagsOfPost:
    'SELECT t.* FROM perf_tags t JOIN perf_post_tags pt ON pt.tag_id = t.id WHERE pt.post_id = $1 ORDER BY t.id',
  allTags: 'SELECT * FROM "perf_tags" ORDER BY id',
}

const WRITES: Record<OrmSuiteWrite, (a: OrmSuiteWriteArgs) => [string, unknown[]]> = {
  insertUser: (a) => [`INSERT INTO perf_users (id, name, created_at) VALUES ($1, $2, now())`, [a.id, a.name]],
  updateUserName: (a) => ['UPDATE perf_users SET name = $2 WHERE id = $1', [a.id, a.name]],
  deleteUser: (a) => ['DELETE FROM perf_users WHERE id = $1', [a.id]],
  upsertUser: (a) => [
    `INSERT INTO perf_users AS u (id, name, created_at) VALUES ($1, $2, now()) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name`,
    [a.id, a.name],
  ],
  rawUpdateUserName: (a) => ['UPDATE public_alias_free.perf_users SET name = $2 WHERE id = $1', [a.id, a.name]],
  linkTagToPost: (a) => ['INSERT INTO perf_post_tags (post_id, tag_id) VALUES ($1, $2)', [a.id, a.tagId]],
  renameTag: (a) => ['UPDATE "perf_tags" SET name = $2 WHERE id = $1', [a.id, a.name]],
}

/** A pool that counts statements and can hold the next read of perf_users after its rows arrived. */
class GatedPool extends pg.Pool {
  count = 0
  gate: { reached: () => void; wait: Promise<void> } | undefined
  override query(...args: unknown[]): never {
    this.count++
    const sql = String(args[0])
    const result = (super.query as (...a: unknown[]) => Promise<unknown>)(...args)
    const gate = this.gate
    if (gate === undefined || !/^SELECT/.test(sql) || !sql.includes('perf_users')) return result as never
    this.gate = undefined
    return result.then(async (rows) => {
      gate.reached()
      await gate.wait
      return rows
    }) as never
  }
}

async function harness(
  cache: ReturnType<typeof createCache>,
  monitor: Parameters<typeof cachedPg>[1]['monitor'],
): Promise<OrmAdapterHarness> {
  const schema = `perf_kit_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.query(`SET search_path TO ${schema}`)
  for (const statement of ormSuiteSchema('postgres')) await admin.query(statement)
  const pool = new GatedPool({ connectionString: DATABASE_URL, max: 4, options: `-c search_path=${schema}` })
  const db = cachedPg(pool, { cache, monitor })
  const write = (q: { query: PgTransaction['query'] }, kind: OrmSuiteWrite, args: OrmSuiteWriteArgs) => {
    const [sql, params] = WRITES[kind](args)
    return q.query(sql.replace('public_alias_free', schema), params).then(() => undefined)
  }
  const wrapTx = (tx: PgTransaction): OrmSuiteTransaction => ({
    write: (kind: OrmSuiteWrite, args: OrmSuiteWriteArgs) => write(tx, kind, args),
    read: (name: OrmSuiteRead, arg?: number) => tx.query(READS[name], arg === undefined ? [] : [arg]),
    savepoint: (fn) => tx.savepoint((inner) => fn(wrapTx(inner))),
  })
  const close = async () => {
    await pool.end()
    await admin.query(`DROP SCHEMA ${schema} CASCADE`)
    await admin.end()
  }
  return {
    source: 'pg-kit',
    read: (name, cached, arg) =>
      db.query(READS[name], arg === undefined ? [] : [arg], cached ? { cache: { ttl: '5m' } } : undefined),
    write: (kind, args) => write(db, kind, args),
    transaction: (fn) => db.transaction((tx) => fn(wrapTx(tx))),
    sql: (text) => admin.query(text).then(() => undefined),
    statements: () => pool.count,
    gateNextUserRead() {
      let reached!: () => void
      let release!: () => void
      const reachedP = new Promise<void>((r) => (reached = r))
      const wait = new Promise<void>((r) => (release = r))
      pool.gate = { reached, wait }
      return { reached: reachedP, release }
    },
    close,
  }
}

if (up) {
  ormAdapterSuite({ describe, it, expect }, ({ cache, monitor }) => harness(cache, monitor), {
    gates: true,
    cache: () => createCache({ tiers: [new MemoryStore()] }),
  })
} else {
  describe.skip('ormAdapterSuite (PostgreSQL unavailable)', () => it('skipped', () => undefined))
}
