import { isPerfError } from '@perf/core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PgExtensionError, pgDiagnostics, type BlockingSession } from '../src/index.js'
import { freshDatabase, privatePostgres } from './setup/database.js'
import { startPrivatePostgres, type PrivatePostgres } from './setup/private-postgres.js'

const url = await privatePostgres()

async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function session(dbUrl: string, name: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: dbUrl, application_name: name })
  await client.connect()
  return client
}

describe.skipIf(!url)('pgDiagnostics', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase(url!)
    await db.pool.query('CREATE EXTENSION pg_stat_statements')
  })
  afterAll(async () => {
    await db?.drop()
  })

  it('topStatements() returns normalized statements with times, calls, rows and cache hit ratio', async () => {
    const diag = pgDiagnostics(db.pool)
    await db.pool.query('CREATE TABLE top_t (id int PRIMARY KEY, v text)')
    await db.pool.query("INSERT INTO top_t SELECT g, 'v' || g FROM generate_series(1, 2000) g")
    for (let i = 0; i < 25; i++) await db.pool.query('SELECT count(*) FROM top_t WHERE v LIKE $1', [`%${i}%`])
    await db.pool.query('SELECT pg_sleep(0.2)')
    const top = await diag.topStatements({ limit: 50 })
    const scan = top.find((s) => s.query.includes('FROM top_t WHERE v LIKE $1'))
    expect(scan).toMatchObject({ calls: 25, rows: 25 })
    expect(scan!.totalMs).toBeGreaterThan(0)
    expect(scan!.meanMs).toBeCloseTo(scan!.totalMs / 25, 5)
    expect(scan!.cacheHitRatio).toBeGreaterThan(0.5)
    expect(typeof scan!.queryId).toBe('string')
    const sleep = top.find((s) => s.query.includes('pg_sleep'))
    expect(sleep!.totalMs).toBeGreaterThanOrEqual(190)
    // sorted by total time, shares add up to at most 100
    expect(top.map((s) => s.totalMs)).toEqual([...top.map((s) => s.totalMs)].sort((a, b) => b - a))
    expect(top.reduce((n, s) => n + s.percentOfTotal, 0)).toBeLessThanOrEqual(100.0001)
    const byCalls = await diag.topStatements({ orderBy: 'calls', limit: 1 })
    expect(byCalls[0]!.calls).toBeGreaterThanOrEqual(25)
    await expect(diag.topStatements({ orderBy: 'nope' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(diag.topStatements({ limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('topStatements() throws PgExtensionError naming CREATE EXTENSION when the extension is not installed', async () => {
    const other = await freshDatabase(url!)
    try {
      const error = await pgDiagnostics(other.pool)
        .topStatements()
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(PgExtensionError)
      expect(isPerfError(error, 'EXTENSION_MISSING')).toBe(true)
      expect((error as PgExtensionError).reason).toBe('not-installed')
      expect((error as Error).message).toContain('CREATE EXTENSION pg_stat_statements')
      // the snapshot keeps going without it
      const snap = await pgDiagnostics(other.pool).snapshot()
      expect(snap.topStatements).toBeNull()
      expect(snap.errors.topStatements?.code).toBe('EXTENSION_MISSING')
      expect(snap.connectionHeadroom).not.toBeNull()
      expect(snap.serverVersion).toBeGreaterThanOrEqual(130000)
    } finally {
      await other.drop()
    }
  })

  describe('on a server without shared_preload_libraries', () => {
    let server: PrivatePostgres | undefined
    beforeAll(async () => {
      server = await startPrivatePostgres({ preload: false })
    })
    afterAll(async () => {
      await server?.stop()
    })
    it('topStatements() throws PgExtensionError naming shared_preload_libraries', async () => {
      const client = new pg.Client({ connectionString: server!.url })
      await client.connect()
      try {
        await client.query('CREATE EXTENSION pg_stat_statements')
        const error = (await pgDiagnostics(client)
          .topStatements()
          .catch((e: unknown) => e)) as PgExtensionError
        expect(error).toBeInstanceOf(PgExtensionError)
        expect(error.reason).toBe('not-preloaded')
        expect(error.code).toBe('EXTENSION_MISSING')
        expect(error.fix).toContain("shared_preload_libraries = 'pg_stat_statements'")
        expect(error.message).toContain('restart')
      } finally {
        await client.end()
      }
    })
  })

  it('blockingTree() shows who blocks whom with statements, durations and lock modes (real contention)', async () => {
    await db.pool.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int)')
    await db.pool.query('INSERT INTO accounts VALUES (1, 100), (2, 100)')
    const holder = await session(db.url, 'perf-holder')
    const waiter = await session(db.url, 'perf-waiter')
    const locker = await session(db.url, 'perf-locker')
    const diag = pgDiagnostics(db.pool)
    try {
      await holder.query('BEGIN')
      await holder.query('UPDATE accounts SET balance = balance - 1 WHERE id = 1')
      const waiting = waiter.query('UPDATE accounts SET balance = balance + 1 WHERE id = 1')
      await until(
        'the waiter to block',
        () => diag.blockingTree(),
        (t) => t.blockedCount === 1,
      )
      await locker.query('BEGIN')
      const locking = locker.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE')
      const tree = await until(
        'two blocked sessions',
        () => diag.blockingTree(),
        (t) => t.blockedCount === 2,
      )

      expect(tree.roots).toHaveLength(1)
      const root = tree.roots[0]!
      expect(root).toMatchObject({ application: 'perf-holder', state: 'idle in transaction', waitingFor: null })
      expect(root.query).toContain('UPDATE accounts SET balance = balance - 1')
      expect(root.transactionMs).toBeGreaterThan(0)
      const byApp = (list: BlockingSession[], app: string) => list.find((s) => s.application === app)
      const w = byApp(root.blocking, 'perf-waiter')!
      expect(w.state).toBe('active')
      expect(w.waitEvent).toMatch(/^Lock:/)
      expect(w.waitingFor).toMatchObject({ mode: 'ShareLock', locktype: 'transactionid', granted: false })
      expect(w.blockedByLocks).toContainEqual(expect.objectContaining({ mode: 'ExclusiveLock', granted: true }))
      const l = byApp(root.blocking, 'perf-locker')!
      expect(l.waitingFor).toMatchObject({ mode: 'AccessExclusiveLock', locktype: 'relation', relation: 'accounts' })
      expect(l.blockedByLocks).toContainEqual(expect.objectContaining({ mode: 'RowExclusiveLock', granted: true }))
      expect(l.blockedBy).toHaveLength(2) // the holder and the waiter both hold RowExclusiveLock on accounts
      expect(byApp(w.blocking, 'perf-locker')).toBeDefined()
      expect(tree.pairs).toHaveLength(3)

      const idle = await diag.idleInTransaction()
      expect(idle.map((s) => s.application)).toContain('perf-holder')
      expect(idle.find((s) => s.application === 'perf-holder')!.stateMs).toBeGreaterThanOrEqual(0)
      const long = await diag.longRunning({ minMs: 0 })
      expect(long.map((s) => s.application)).toEqual(expect.arrayContaining(['perf-waiter', 'perf-locker']))
      expect(long.map((s) => s.application)).not.toContain('perf-holder') // idle, not running

      await holder.query('ROLLBACK')
      await waiting
      await locking
      await locker.query('ROLLBACK')
      expect((await diag.blockingTree()).roots).toEqual([])
    } finally {
      await Promise.all([holder.end(), waiter.end(), locker.end()])
    }
  })

  it('longRunning() lists statements running past minMs, longest first, and not shorter ones', async () => {
    const sleeper = await session(db.url, 'perf-sleeper')
    const diag = pgDiagnostics(db.pool)
    try {
      const sleeping = sleeper.query('SELECT pg_sleep(1.5)')
      const long = await until(
        'the sleeper to pass 300 ms',
        () => diag.longRunning({ minMs: 300 }),
        (l) => l.some((s) => s.application === 'perf-sleeper'),
      )
      const s = long.find((x) => x.application === 'perf-sleeper')!
      expect(s.queryMs).toBeGreaterThanOrEqual(300)
      expect(s.query).toBe('SELECT pg_sleep(1.5)')
      expect(s.waitEvent).toBe('Timeout:PgSleep')
      expect((await diag.longRunning({ minMs: 60_000 })).some((x) => x.application === 'perf-sleeper')).toBe(false)
      await sleeping
      await expect(diag.longRunning({ minMs: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    } finally {
      await sleeper.end()
    }
  })

  it('unusedIndexes(), duplicateIndexes() and missingForeignKeyIndexes() find what is wrong and nothing else', async () => {
    await db.pool.query(`
      CREATE SCHEMA "Shop";
      CREATE TABLE "Shop".parent (id int PRIMARY KEY, code text UNIQUE);
      CREATE TABLE "Shop"."Child Table" (id int PRIMARY KEY, "Parent Id" int REFERENCES "Shop".parent, a int, b int, c text);
      CREATE TABLE "Shop".indexed_child (id int PRIMARY KEY, parent_id int REFERENCES "Shop".parent);
      CREATE INDEX indexed_child_parent ON "Shop".indexed_child (parent_id, id);
      CREATE INDEX idx_a ON "Shop"."Child Table" (a);
      CREATE INDEX idx_a2 ON "Shop"."Child Table" (a);
      CREATE INDEX idx_ab ON "Shop"."Child Table" (a, b);
      CREATE INDEX idx_a_hash ON "Shop"."Child Table" USING hash (a);
      CREATE INDEX idx_a_partial ON "Shop"."Child Table" (a) WHERE b > 0;
      CREATE INDEX idx_lower_c ON "Shop"."Child Table" (lower(c));
      CREATE INDEX idx_c ON "Shop"."Child Table" (c);
      CREATE INDEX idx_code ON "Shop".parent (code);
    `)
    const diag = pgDiagnostics(db.pool)
    const dups = await diag.duplicateIndexes()
    const pairs = dups.filter((d) => d.schema === 'Shop').map((d) => `${d.index} -> ${d.coveredBy}`)
    expect(pairs.sort()).toEqual(['idx_a -> idx_ab', 'idx_a2 -> idx_a', 'idx_code -> parent_code_key'])

    const missing = (await diag.missingForeignKeyIndexes()).filter((m) => m.schema === 'Shop')
    expect(missing).toHaveLength(1)
    expect(missing[0]).toMatchObject({ table: 'Child Table', columns: ['Parent Id'], referencedTable: '"Shop".parent' })
    expect(missing[0]!.suggestion).toBe('CREATE INDEX CONCURRENTLY ON "Shop"."Child Table" ("Parent Id")')
    await db.pool.query(missing[0]!.suggestion)
    expect((await diag.missingForeignKeyIndexes()).filter((m) => m.schema === 'Shop')).toEqual([])

    await db.pool.query('SET enable_seqscan = off')
    await db.pool.query('SELECT * FROM "Shop"."Child Table" WHERE lower(c) = $1', ['x'])
    await until(
      'index statistics to land',
      () => diag.unusedIndexes(),
      (u) => !u.some((i) => i.index === 'idx_lower_c'),
    )
    const unused = (await diag.unusedIndexes()).filter((u) => u.schema === 'Shop').map((u) => u.index)
    expect(unused).toEqual(expect.arrayContaining(['idx_a', 'idx_ab', 'idx_c', 'idx_code']))
    expect(unused).not.toContain('parent_pkey')
    expect(unused).not.toContain('parent_code_key')
    expect(unused).not.toContain('idx_lower_c')
    const big = await diag.unusedIndexes({ minSizeBytes: 10 * 2 ** 20 })
    expect(big.filter((u) => u.schema === 'Shop')).toEqual([])
  })

  it('tableStats(), cacheHitRatio() and connectionHeadroom() report the server as it is', async () => {
    await db.pool.query('CREATE TABLE stats_t (id int PRIMARY KEY, v int)')
    await db.pool.query('INSERT INTO stats_t SELECT g, g FROM generate_series(1, 1000) g')
    await db.pool.query('ANALYZE stats_t')
    await db.pool.query('DELETE FROM stats_t WHERE id <= 300')
    const diag = pgDiagnostics(db.pool)
    const t = await until(
      'table statistics',
      () => diag.tableStats(),
      (all) =>
        // statistics reach the view asynchronously, in steps
        all.some((s) => s.table === 'stats_t' && s.deadRows >= 300 && s.deletes === 300 && s.lastAnalyze !== null),
    )
    const s = t.find((x) => x.table === 'stats_t')!
    // n_live_tup is an estimate (ANALYZE's sample plus counters flushed around it): only its sign is certain
    expect(s).toMatchObject({ schema: 'public', inserts: 1000, deletes: 300, deadRows: 300 })
    expect(s.liveRows).toBeGreaterThan(0)
    expect(s.deadRatio).toBeCloseTo(300 / (s.liveRows + 300), 5)
    expect(s.lastAnalyze).toBeInstanceOf(Date)
    expect(s.sizeBytes).toBeGreaterThan(0)

    const ratio = await diag.cacheHitRatio()
    expect(ratio.table).toBeGreaterThan(0)
    expect(ratio.table).toBeLessThanOrEqual(1)
    expect(ratio.tableBlocks).toBeGreaterThan(0)
    expect(typeof ratio.indexBlocks).toBe('number')

    const extra = await session(db.url, 'perf-headroom')
    try {
      const h = await diag.connectionHeadroom()
      expect(h.max).toBe(60)
      expect(h.reserved).toBe(3)
      expect(h.used).toBeGreaterThanOrEqual(2)
      expect(h.available).toBe(h.max - h.reserved - h.used)
      expect(h.groups.find((g) => g.application === 'perf-headroom')).toMatchObject({ total: 1, idle: 1 })
    } finally {
      await extra.end()
    }
  })

  it('snapshot() gathers every section', async () => {
    const snap = await pgDiagnostics(db.pool).snapshot()
    expect(snap.errors).toEqual({})
    for (const key of [
      'topStatements',
      'blockingTree',
      'longRunning',
      'idleInTransaction',
      'unusedIndexes',
      'duplicateIndexes',
      'missingForeignKeyIndexes',
      'tableStats',
      'cacheHitRatio',
      'connectionHeadroom',
    ] as const) {
      expect(snap[key], key).not.toBeNull()
    }
    expect(() => pgDiagnostics(null as never)).toThrow(expect.objectContaining({ code: 'CLIENT_INVALID' }))
  })
})
