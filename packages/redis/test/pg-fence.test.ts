import { randomUUID } from 'node:crypto'
import { LockError } from '@perf/core'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { redlockLocker } from '../src/index.js'
import { PG_URL, REDIS_PORT, describeIf, hasPostgres, hasRedis } from './services.js'

const ok = (await hasRedis()) && (await hasPostgres())

describeIf(ok, 'Redis or PostgreSQL not available')('redlockLocker fencing tokens against PostgreSQL', () => {
  const table = `perf_redis_fence_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  let db: pg.Client
  let redis: Redis
  beforeAll(async () => {
    db = new pg.Client({ connectionString: PG_URL })
    await db.connect()
    await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, fence bigint NOT NULL, value text NOT NULL)`)
    await db.query(`INSERT INTO ${table} VALUES (1, 0, 'initial')`)
    redis = new Redis({ port: REDIS_PORT })
  })
  afterAll(async () => {
    await db?.query(`DROP TABLE IF EXISTS ${table}`)
    await db?.end()
    redis?.disconnect()
  })

  /** The storage-side check: a write carrying a fence older than the last one seen changes nothing. */
  async function fencedWrite(fence: number, value: string): Promise<void> {
    const result = await db.query(`UPDATE ${table} SET fence = $1, value = $2 WHERE id = 1 AND fence < $1`, [
      fence,
      value,
    ])
    if (result.rowCount !== 1)
      throw new LockError('FENCE_REJECTED', `[test] write with fence ${fence} rejected: a newer holder wrote already`, {
        context: { fence },
      })
  }

  it("rejects the paused first holder's stale fence after a second holder took over", async () => {
    const resource = `account:${randomUUID()}`
    const locker = redlockLocker(redis)
    const first = await locker.acquire(resource, 200)
    // The first holder "pauses" (GC, VM stall) past its TTL without extending...
    await new Promise((r) => setTimeout(r, 300))
    expect(first.isHeld).toBe(false)
    // ...so a second holder is granted, with a larger fence, and writes.
    const second = await locker.acquire(resource, 5_000, { waitMs: 0 })
    expect(second.fence).toBeGreaterThan(first.fence)
    await fencedWrite(second.fence, 'second')
    // The first holder wakes up and writes with its stale fence: PostgreSQL refuses it.
    let rejected: unknown
    try {
      await fencedWrite(first.fence, 'first (stale)')
    } catch (err) {
      rejected = err
    }
    expect((rejected as LockError).code).toBe('FENCE_REJECTED')
    const { rows } = await db.query(`SELECT fence, value FROM ${table} WHERE id = 1`)
    expect(rows[0]).toEqual({ fence: String(second.fence), value: 'second' })
    await second.release()
    await locker.close()
  })
})
