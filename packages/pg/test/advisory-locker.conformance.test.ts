import { lockerSuite } from '@perf/core/testing'
import type { Lock } from '@perf/core'
import diagnosticsChannel from 'node:diagnostics_channel'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { pgAdvisoryLocker } from '../src/index.js'
import { freshDatabase, privatePostgres } from './setup/database.js'

const url = await privatePostgres()
const runner = { describe, it, expect, beforeEach, afterEach }

describe.skipIf(!url)('pgAdvisoryLocker', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase(url!, { max: 20 })
  })
  afterAll(async () => {
    await db?.drop()
  })

  /** Ends the session holding `lock` from another connection, as a failover or a killed backend would. */
  async function terminateHolder(lock: Lock): Promise<void> {
    const { rows } = await db.pool.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks
       WHERE locktype = 'advisory' AND objsubid = 1 AND granted
         AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('perf:' || $1, 0)`,
      [lock.resources[0]],
    )
    expect(rows).toEqual([{ ok: true }])
  }

  lockerSuite('pgAdvisoryLocker', () => pgAdvisoryLocker(db.pool), runner, { forceExpire: terminateHolder })

  it('acquire() excludes holders in two processes (two lockers, two sessions) and their fences keep increasing', async () => {
    const a = pgAdvisoryLocker(db.pool)
    const b = pgAdvisoryLocker(new pg.Pool({ connectionString: db.url, max: 1 }))
    try {
      let inside = 0
      let overlaps = 0
      const fences: number[] = []
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const lock = await (i % 2 ? a : b).acquire('shared-resource', 5_000, { waitMs: 30_000 })
          if (++inside > 1) overlaps++
          fences.push(lock.fence)
          await new Promise((r) => setTimeout(r, 2))
          inside--
          await lock.release()
        }),
      )
      expect(overlaps).toBe(0)
      expect(fences).toEqual([...fences].sort((x, y) => x - y))
      expect(new Set(fences).size).toBe(20)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('acquire(), release() and a timeout are published on perf:lock', async () => {
    const events: Array<{ type: string; locker: string; resources: readonly string[] }> = []
    const listen = (message: unknown) => events.push(message as (typeof events)[number])
    diagnosticsChannel.subscribe('perf:lock', listen)
    const locker = pgAdvisoryLocker(db.pool, { name: 'pg-test' })
    try {
      const lock = await locker.acquire('events', 5_000)
      await expect(locker.acquire('events', 5_000, { waitMs: 0 })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' })
      await lock.release()
    } finally {
      diagnosticsChannel.unsubscribe('perf:lock', listen)
      await locker.close()
    }
    const mine = events.filter((e) => e.locker === 'pg-test')
    expect(mine.map((e) => e.type)).toEqual(['acquire', 'timeout', 'release'])
    expect(mine[0]).toMatchObject({ resources: ['events'], fence: expect.any(Number) })
  })

  it('pgAdvisoryLocker() refuses malformed options', () => {
    for (const options of [{ extendAt: 1 }, { extendAt: 0 }, { waitMs: -1 }, { pollMs: 0 }, { fenceSequence: '' }]) {
      expect(() => pgAdvisoryLocker(db.pool, options), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: expect.stringMatching(/^INVALID_(OPTION|ARGUMENT)$/) }),
      )
    }
    expect(() => pgAdvisoryLocker({} as never)).toThrow(expect.objectContaining({ code: 'CLIENT_INVALID' }))
  })

  it('close() frees the locks on the server at once', async () => {
    const a = pgAdvisoryLocker(db.pool)
    const b = pgAdvisoryLocker(db.pool)
    try {
      await a.acquire('closing', 60_000)
      await expect(b.acquire('closing', 1000, { waitMs: 0 })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' })
      await a.close()
      const lock = await b.acquire('closing', 1000, { waitMs: 5_000 })
      await lock.release()
      await expect(a.acquire('x', 1000)).rejects.toMatchObject({ code: 'ABORTED' })
    } finally {
      await b.close()
    }
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0)
  })
})
