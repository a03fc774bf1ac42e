import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { createCache, createMonitor } from '@perf/core'
import { perf, prismaCodec } from '../src/index.js'
import { postgresAvailable, type TestDatabase } from './setup/database.js'
import { GatedPool } from './setup/gated-pool.js'
import type { wrap } from './setup/harness.js'
import { freshBlog, type BlogIds } from './setup/seed.js'

const available = await postgresAvailable()
const ttl = { ttl: 60 }

describe.skipIf(!available)('perf() and transactions', () => {
  let tdb: TestDatabase | undefined
  let ids: BlogIds
  let w: ReturnType<typeof wrap>
  // A fresh schema per test: each test writes.
  beforeEach(async () => void ({ tdb, ids, w } = await freshBlog(tdb)))
  afterAll(async () => tdb?.drop())

  const tagName = async () =>
    await w.db.tag.findUnique({ where: { id: ids.news.id }, cacheStrategy: ttl }).withPerfInfo()

  it("reads inside an interactive transaction bypass the cache and see the transaction's own writes", async () => {
    await tagName()
    await w.db.$transaction(async (tx) => {
      await tx.tag.update({ where: { id: ids.news.id }, data: { name: 'inside' } })
      const read = await tx.tag.findUnique({ where: { id: ids.news.id }, cacheStrategy: ttl }).withPerfInfo()
      expect(read.info.status).toBe('bypass')
      expect(read.data?.name).toBe('inside')
    })
    expect(w.db.$perf.stats().operations.bypassed).toBe(1)
  })

  it('reads inside an array transaction bypass the cache', async () => {
    const [tags, count] = await w.db.$transaction([
      w.db.tag.findMany({ cacheStrategy: ttl }),
      w.db.tag.count({ cacheStrategy: ttl }),
    ])
    expect(tags).toHaveLength(2)
    expect(count).toBe(2)
    expect(w.db.$perf.stats().cache.entries).toBe(0)
    expect(w.db.$perf.stats().operations.bypassed).toBe(2)
  })

  it("invalidations of a transaction's writes wait for commit: outside readers keep the committed value until then", async () => {
    expect((await tagName()).data?.name).toBe('news')
    await w.db.$transaction(async (tx) => {
      await tx.tag.update({ where: { id: ids.news.id }, data: { name: 'committed' } })
      // Uncommitted: the cache must still serve (and may even reload) the committed row.
      const during = await tagName()
      expect(during.data?.name).toBe('news')
      expect(during.info.status).toBe('hit')
      expect(w.db.$perf.stats().operations.invalidations).toBe(0)
    })
    const after = await tagName()
    expect(after.info.status).toBe('miss')
    expect(after.data?.name).toBe('committed')
  })

  it('a read that loaded the pre-commit row during the transaction is not served after commit', async () => {
    await w.db.$transaction(async (tx) => {
      await tx.tag.update({ where: { id: ids.news.id }, data: { name: 'v2' } })
      const loaded = await tagName()
      expect(loaded.info.status).toBe('miss')
      expect(loaded.data?.name).toBe('news')
    })
    const after = await tagName()
    expect(after.data?.name).toBe('v2')
  })

  it('a rolled-back transaction leaves the cache as it was', async () => {
    await tagName()
    const before = w.db.$perf.stats().operations.invalidations
    await expect(
      w.db.$transaction(async (tx) => {
        await tx.tag.update({ where: { id: ids.news.id }, data: { name: 'rolled back' } })
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    const after = await tagName()
    expect(after.info.status).toBe('hit')
    expect(after.data?.name).toBe('news')
    expect(w.db.$perf.stats().operations).toMatchObject({ invalidations: before, droppedTransactions: 1 })
  })

  it('writes in an array transaction invalidate after it commits', async () => {
    await tagName()
    await w.db.$transaction([w.db.tag.update({ where: { id: ids.news.id }, data: { name: 'batched' } })])
    expect((await tagName()).data?.name).toBe('batched')
  })

  it('a rolled-back nested transaction drops only its own invalidations', async () => {
    await tagName()
    await w.db.user.findMany({ cacheStrategy: ttl })
    await w.db.$transaction(async (tx) => {
      await tx.user.update({ where: { id: ids.bob.id }, data: { name: 'Bob' } })
      await tx
        .$transaction(async (inner) => {
          await inner.tag.update({ where: { id: ids.news.id }, data: { name: 'nested' } })
          throw new Error('inner')
        })
        .catch(() => undefined)
    })
    expect((await tagName()).info.status).toBe('hit')
    expect((await w.prisma.tag.findUnique({ where: { id: ids.news.id } }))?.name).toBe('news')
    const users = await w.db.user.findMany({ cacheStrategy: ttl }).withPerfInfo()
    expect(users.info.status).toBe('miss')
    expect(users.data.find((u) => u.id === ids.bob.id)?.name).toBe('Bob')
  })

  it('a slow reader that read the row before commit and finishes after it does not leave the old row in the cache', async () => {
    if (!tdb) throw new Error('no database')
    const pool = tdb.createPool(10, GatedPool) as GatedPool
    const { prisma } = tdb.createClient(pool)
    const db = prisma.$extends(
      perf({ cache: createCache({ codec: prismaCodec() }), monitor: createMonitor({ eventLoopDelay: false }) }),
    )
    const gate = pool.arm(/SELECT .*"Tag"/s)
    // PrismaPromises are lazy: then() starts the query.
    const reader = db.tag.findUnique({ where: { id: ids.news.id }, cacheStrategy: ttl }).then((row) => row)
    await gate.reached
    await db.$transaction(async (tx) => tx.tag.update({ where: { id: ids.news.id }, data: { name: 'after' } }))
    gate.open()
    expect((await reader)?.name).toBe('news')
    const next = await db.tag.findUnique({ where: { id: ids.news.id }, cacheStrategy: ttl }).withPerfInfo()
    expect(next.data?.name).toBe('after')
    expect(next.info.status).toBe('miss')
  })

  it('a slow reader racing a plain (non-transactional) write does not leave the old row in the cache', async () => {
    if (!tdb) throw new Error('no database')
    const pool = tdb.createPool(10, GatedPool) as GatedPool
    const { prisma } = tdb.createClient(pool)
    const db = prisma.$extends(
      perf({ cache: createCache({ codec: prismaCodec() }), monitor: createMonitor({ eventLoopDelay: false }) }),
    )
    const gate = pool.arm(/SELECT .*"Tag"/s)
    const reader = db.tag.findMany({ orderBy: { id: 'asc' }, cacheStrategy: ttl }).then((rows) => rows)
    await gate.reached
    await db.tag.update({ where: { id: ids.news.id }, data: { name: 'later' } })
    gate.open()
    expect((await reader)[0]?.name).toBe('news')
    expect((await db.tag.findMany({ orderBy: { id: 'asc' }, cacheStrategy: ttl }))[0]?.name).toBe('later')
  })
})
