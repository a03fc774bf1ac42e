import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, expect, it } from 'vitest'
import { PG_URL, REDIS_PORT, describeIf, hasPostgres, hasRedis } from './services.js'
import { WorkerPool } from './workers/harness.js'

const ok = (await hasRedis()) && (await hasPostgres())
const PROCESSES = 8
// Enough overlap to catch a second holder (every worker contends on one resource the whole time),
// few enough to finish on a loaded 2-core machine.
const TOTAL = 4_000

describeIf(ok, 'Redis or PostgreSQL not available')('redlockLocker across processes', () => {
  const table = `perf_redis_mp_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const db = new pg.Client({ connectionString: PG_URL })
  let pool: WorkerPool | undefined
  afterAll(async () => {
    await pool?.stop()
    await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined)
    await db.end()
  })

  it(`acquire() admits one holder at a time: ${PROCESSES} processes, ${TOTAL} acquisitions, PostgreSQL never sees two holders`, async () => {
    await db.connect()
    await db.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, holders int NOT NULL, total int NOT NULL, fence bigint NOT NULL)`,
    )
    await db.query(`INSERT INTO ${table} VALUES (1, 0, 0, 0)`)
    const resource = `mp:${randomUUID()}`
    pool = await WorkerPool.start('./lock-worker.ts', PROCESSES, () => [
      String(REDIS_PORT),
      PG_URL,
      table,
      resource,
      String(TOTAL / PROCESSES),
    ])
    const started = Date.now()
    pool.send({ type: 'go' })
    const results = await pool.collect('done', 240_000)
    const seconds = (Date.now() - started) / 1000
    console.log(
      `[multi-process lock] ${TOTAL} acquisitions by ${PROCESSES} processes in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)}/s)`,
    )
    expect(results.reduce((sum, r) => sum + (r.overlaps as number), 0)).toBe(0)
    expect(results.reduce((sum, r) => sum + (r.fenceRejected as number), 0)).toBe(0)
    const { rows } = await db.query(`SELECT holders, total FROM ${table} WHERE id = 1`)
    expect(rows[0]).toEqual({ holders: 0, total: TOTAL })
  }, 300_000)
})
