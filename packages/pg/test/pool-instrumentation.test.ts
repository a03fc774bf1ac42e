import { createMonitor, isPerfError, LeakDetector, PoolMonitor, type LeakReport } from '@perf/core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BulkWriteError,
  copyInsert,
  instrumentPgPool,
  pgPoolInstrumentation,
  pgPoolProbe,
  streamQuery,
  type PgStatement,
} from '../src/index.js'
import { freshDatabase, privatePostgres } from './setup/database.js'

const url = await privatePostgres()

describe.skipIf(!url)('pgPoolProbe() and instrumentPgPool()', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  const pools: pg.Pool[] = []
  const poolOf = (max: number): pg.Pool => {
    const pool = new pg.Pool({ connectionString: db.url, max })
    pools.push(pool)
    return pool
  }
  beforeAll(async () => {
    db = await freshDatabase(url!)
  })
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)))
    await db?.drop()
  })

  it("pgPoolProbe() reads the pool's live counters, waiting requests included", async () => {
    const pool = poolOf(2)
    const probe = pgPoolProbe(pool, { name: 'main' })
    expect(probe.name).toBe('main')
    expect(probe.stats()).toEqual({ total: 0, idle: 0, active: 0, waiting: 0, max: 2, min: 0 })
    const a = await pool.connect()
    const b = await pool.connect()
    const third = pool.connect()
    expect(probe.stats()).toEqual({ total: 2, idle: 0, active: 2, waiting: 1, max: 2, min: 0 })
    b.release()
    const c = await third
    expect(probe.stats()).toMatchObject({ total: 2, active: 2, waiting: 0 })
    c.release()
    expect(probe.stats()).toMatchObject({ total: 2, idle: 1, active: 1 })
    a.release()
    expect(pgPoolProbe(new pg.Pool()).stats()).toMatchObject({ max: 10, min: 0 })
  })

  it('instrumentPgPool() records statements with rows and errors, feeds acquire waits, and close() restores the pool', async () => {
    const monitor = createMonitor({ eventLoopDelay: false })
    const pool = poolOf(1)
    const poolMonitor = new PoolMonitor(pgPoolProbe(pool), { autoStart: false })
    const originalQuery = pool.query
    const instrumentation = instrumentPgPool(pool, { monitor, poolMonitor, name: 'orders' })
    expect(pgPoolInstrumentation(pool)).toBe(instrumentation)
    let again: unknown
    try {
      instrumentPgPool(pool)
    } catch (error) {
      again = error
    }
    expect(isPerfError(again, 'INVALID_ARGUMENT')).toBe(true)
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 2'), pool.query('SELECT generate_series(1, 3)')])
    await expect(pool.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' })
    expect(instrumentation.stats()).toMatchObject({ statements: 4, errors: 1 })
    expect(monitor.totals()).toMatchObject({ calls: 4, errors: 1, rows: 5 })
    expect(monitor.fingerprints().map((f) => f.fingerprint)).toHaveLength(3)
    expect(poolMonitor.snapshot().acquireWait.count).toBe(4)
    expect(monitor.health().metrics.pools).toMatchObject([{ name: 'orders', max: 1 }])
    instrumentation.close()
    instrumentation.close()
    expect(monitor.health().metrics.pools).toEqual([])
    expect(pool.query).toBe(originalQuery)
    expect(pgPoolInstrumentation(pool)).toBeUndefined()
    await pool.query('SELECT 4')
    expect(instrumentation.stats().statements).toBe(4)
    expect(monitor.totals().calls).toBe(4)
    poolMonitor.close()
    monitor.close()
  })

  it('collect() hands the statements of checked-out clients to its sink, not the monitor', async () => {
    const monitor = createMonitor({ eventLoopDelay: false })
    const pool = poolOf(2)
    const instrumentation = instrumentPgPool(pool, { monitor })
    const seen: PgStatement[] = []
    const rows = await instrumentation.collect(
      (s) => seen.push(s),
      async () => {
        const client = await pool.connect()
        try {
          await client.query('BEGIN')
          const { rows } = await client.query('SELECT x FROM generate_series(1, 2) AS x')
          await client.query('COMMIT')
          return rows
        } finally {
          client.release()
        }
      },
    )
    expect(rows).toHaveLength(2)
    expect(seen.map((s) => s.sql)).toEqual(['BEGIN', 'SELECT x FROM generate_series(1, 2) AS x', 'COMMIT'])
    expect(seen[1]!.rows).toBe(2)
    expect(monitor.totals().calls).toBe(0)
    // Outside collect(), the same client's statements go to the monitor.
    const client = await pool.connect()
    await client.query('SELECT 1')
    client.release()
    expect(monitor.totals().calls).toBe(1)
    instrumentation.close()
    monitor.close()
  })

  it('records COPY streams and streamed reads when they end, in the context they were started from', async () => {
    const monitor = createMonitor({ eventLoopDelay: false })
    const pool = poolOf(2)
    await pool.query('CREATE TABLE copied (id int, name text)')
    const instrumentation = instrumentPgPool(pool, { monitor })
    const seen: PgStatement[] = []
    await instrumentation.collect(
      (s) => seen.push(s),
      () =>
        copyInsert(
          pool,
          'copied',
          ['id', 'name'],
          [
            [1, 'a'],
            [2, 'b'],
            [3, 'c'],
          ],
        ),
    )
    const copy = seen.find((s) => s.sql.startsWith('COPY'))
    expect(copy).toMatchObject({ sql: 'COPY "copied" ("id", "name") FROM STDIN', rows: 3, error: undefined })
    expect(monitor.totals().calls).toBe(0)
    // A refused COPY is recorded with its error, outside collect() on the monitor.
    await expect(copyInsert(pool, 'copied', ['id', 'name'], [['x', 'a']])).rejects.toBeInstanceOf(BulkWriteError)
    await expect.poll(() => monitor.totals().errors).toBe(1)
    // A server-side cursor read to the end is one statement too.
    let n = 0
    for await (const _ of streamQuery(pool, 'SELECT generate_series(1, 5)', [], { batchSize: 2 })) n++
    expect(n).toBe(5)
    instrumentation.close()
    monitor.close()
  })

  it('instrumentPgPool() reports connections held past the threshold, with the acquiring stack and last query', async () => {
    const leaks: LeakReport[] = []
    const detector = new LeakDetector({
      thresholdMs: 50,
      sweepIntervalMs: 10,
      onLeak: (r) => leaks.push(r),
      onLateRelease: (r) => leaks.push(r),
    })
    const pool = poolOf(2)
    const instrumentation = instrumentPgPool(pool, { leakDetector: detector })
    const held = await pool.connect()
    await held.query('SELECT 42')
    await expect.poll(() => leaks.length, { timeout: 5000 }).toBe(1)
    expect(leaks[0]).toMatchObject({ kind: 'leak', thresholdMs: 50 })
    expect(leaks[0]?.lastQuery).toBe('SELECT ?') // redacted
    expect(leaks[0]?.stack).toContain('pool-instrumentation.test')
    held.release()
    expect(leaks.map((r) => r.kind)).toEqual(['leak', 'late-release'])
    await pool.query('SELECT 1')
    expect(leaks).toHaveLength(2)
    instrumentation.close()
    detector.close()
  })

  it('instrumentPgPool() refuses what is not a pg.Pool', () => {
    let error: unknown
    try {
      instrumentPgPool({} as never)
    } catch (e) {
      error = e
    }
    expect(isPerfError(error, 'INVALID_ARGUMENT')).toBe(true)
    expect((error as Error).message).toMatch(/^\[perf:pg\] instrumentPgPool\(pool\) needs a pg\.Pool/)
  })
})
