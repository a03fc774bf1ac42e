import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache } from '@perf/core'
import { perf, prismaCodec } from '../src/index.js'
import { Prisma } from './generated/client.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from './setup/database.js'
import { manualClock, wrap } from './setup/harness.js'
import { seedBlog } from './setup/seed.js'

const available = await postgresAvailable()
const ttlStrategy = { ttl: 60 }

describe.skipIf(!available)('perf() caching', () => {
  let tdb: TestDatabase
  let ids: Awaited<ReturnType<typeof seedBlog>>
  beforeAll(async () => {
    tdb = await createTestDatabase()
    ids = await seedBlog(tdb.createClient().prisma)
  })
  afterAll(async () => tdb?.drop())

  it('findUnique() with cacheStrategy is served from the cache on the second call without SQL', async () => {
    const { db, statements } = wrap(tdb)
    const first = await db.user.findUnique({ where: { id: ids.alice.id }, cacheStrategy: { ttl: 60 } }).withPerfInfo()
    const before = statements()
    const second = await db.user.findUnique({ where: { id: ids.alice.id }, cacheStrategy: { ttl: 60 } }).withPerfInfo()
    expect(first.info.status).toBe('miss')
    expect(first.info.tier).toBe('database')
    expect(second.info.status).toBe('hit')
    expect(second.info.tier).toBe('memory')
    expect(second.info.key).toContain(`:User:findUnique:`)
    expect(statements()).toBe(before)
    expect(second.data).toStrictEqual(first.data)
  })

  it('reads without cacheStrategy are not cached', async () => {
    const { db, statements } = wrap(tdb)
    await db.tag.findMany()
    const before = statements()
    const again = await db.tag.findMany().withPerfInfo()
    expect(again.info).toEqual({ status: 'none', tier: 'database', ageMs: 0 })
    expect(statements()).toBe(before + 1)
    expect(db.$perf.stats().cache.entries).toBe(0)
  })

  it('cached results equal database results in values and classes (Decimal, BigInt, DateTime, Bytes, Json, null, enums, relations)', async () => {
    const { db, prisma } = wrap(tdb)
    const args = {
      where: { email: { in: ['alice@example.com', 'bob@example.com'] } },
      orderBy: { id: 'asc' as const },
      include: { profile: true, posts: { include: { tags: true, comments: true }, orderBy: { id: 'asc' as const } } },
    }
    const fresh = await prisma.user.findMany(args)
    const miss = await db.user.findMany({ ...args, cacheStrategy: { ttl: 60 } }).withPerfInfo()
    const hit = await db.user.findMany({ ...args, cacheStrategy: { ttl: 60 } }).withPerfInfo()
    expect(hit.info.status).toBe('hit')
    for (const result of [miss.data, hit.data]) {
      expect(result).toStrictEqual(fresh)
      const [alice, bob] = result
      expect(alice?.balance).toBeInstanceOf(Prisma.Decimal)
      expect(alice?.balance.toFixed(2)).toBe('1234.56')
      expect(typeof alice?.visits).toBe('bigint')
      expect(alice?.visits).toBe(9007199254740993n)
      expect(alice?.createdAt).toBeInstanceOf(Date)
      expect(alice?.createdAt.toISOString()).toBe('2024-02-29T12:34:56.789Z')
      expect(alice?.avatar?.constructor).toBe(fresh[0]?.avatar?.constructor)
      expect([...(alice?.avatar ?? [])]).toEqual([0, 1, 2, 254, 255])
      expect(alice?.settings).toEqual({ theme: 'dark', nested: { list: [1, 'two', null, true] }, empty: {} })
      expect(alice?.role).toBe('ADMIN')
      expect(alice?.profile?.bio).toBe('Hello')
      expect(alice?.posts.map((p) => p.tags.length)).toEqual([2, 1])
      expect(bob?.name).toBeNull()
      expect(bob?.settings).toBeNull()
      expect(bob?.avatar).toBeNull()
    }
  })

  it('count(), aggregate() and groupBy() are cached and keep Decimal sums', async () => {
    const { db, prisma, statements } = wrap(tdb)
    const aggregateArgs = { _sum: { balance: true }, _max: { createdAt: true }, _count: { _all: true } } as const
    const fresh = await prisma.user.aggregate(aggregateArgs)
    await db.user.aggregate({ ...aggregateArgs, cacheStrategy: { ttl: 60 } })
    await db.post.count({ where: { published: true }, cacheStrategy: { ttl: 60 } })
    await db.post.groupBy({
      by: ['authorId'],
      _count: { _all: true },
      orderBy: { authorId: 'asc' },
      cacheStrategy: { ttl: 60 },
    })
    const before = statements()
    const aggregate = await db.user.aggregate({ ...aggregateArgs, cacheStrategy: { ttl: 60 } })
    const count = await db.post.count({ where: { published: true }, cacheStrategy: { ttl: 60 } })
    const groups = await db.post.groupBy({
      by: ['authorId'],
      _count: { _all: true },
      orderBy: { authorId: 'asc' },
      cacheStrategy: { ttl: 60 },
    })
    expect(statements()).toBe(before)
    expect(aggregate).toStrictEqual(fresh)
    expect(aggregate._sum.balance).toBeInstanceOf(Prisma.Decimal)
    expect(count).toBe(1)
    expect(groups).toEqual([{ authorId: ids.alice.id, _count: { _all: 2 } }])
  })

  it('argument order does not change the key; different arguments do', async () => {
    const { db } = wrap(tdb)
    await db.post.findMany({ where: { published: true }, take: 5, cacheStrategy: { ttl: 60 } })
    const reordered = await db.post
      .findMany({ take: 5, where: { published: true }, cacheStrategy: { ttl: 60 } })
      .withPerfInfo()
    const different = await db.post
      .findMany({ take: 6, where: { published: true }, cacheStrategy: { ttl: 60 } })
      .withPerfInfo()
    expect(reordered.info.status).toBe('hit')
    expect(different.info.status).toBe('miss')
    expect(reordered.info.key).toContain(`:${db.$perf.stats().schemaVersion}:Post:findMany:`)
  })

  it('per-model defaults cache reads without cacheStrategy; cacheStrategy: false and operations opt out', async () => {
    const { db } = wrap(tdb, { models: { tag: { ttl: 60, operations: ['findMany'] } } })
    await db.tag.findMany()
    expect((await db.tag.findMany().withPerfInfo()).info.status).toBe('hit')
    expect((await db.tag.findMany({ cacheStrategy: false }).withPerfInfo()).info.status).toBe('none')
    expect((await db.tag.count().withPerfInfo()).info.status).toBe('none')
    expect((await db.user.findMany().withPerfInfo()).info.status).toBe('none')
  })

  it('ttl is in seconds: the entry is fresh before it and reloaded after it', async () => {
    const clock = manualClock()
    const { db } = wrap(tdb, { clock })
    await db.tag.findMany({ cacheStrategy: { ttl: 30 } })
    clock.advance(29_000)
    expect((await db.tag.findMany({ cacheStrategy: { ttl: 30 } }).withPerfInfo()).info).toMatchObject({
      status: 'hit',
      ageMs: 29_000,
    })
    clock.advance(2_000)
    expect((await db.tag.findMany({ cacheStrategy: { ttl: 30 } }).withPerfInfo()).info.status).toBe('miss')
  })

  it('swr serves the stale result at once and refreshes it in the background', async () => {
    const clock = manualClock()
    const { db, statements } = wrap(tdb, { clock })
    const strategy = { ttl: '1s', swr: 60 }
    await db.tag.findMany({ cacheStrategy: strategy })
    clock.advance(5_000)
    const before = statements()
    const stale = await db.tag.findMany({ cacheStrategy: strategy }).withPerfInfo()
    expect(stale.info.status).toBe('stale')
    await expect.poll(() => statements()).toBe(before + 1)
    await expect
      .poll(async () => (await db.tag.findMany({ cacheStrategy: strategy }).withPerfInfo()).info.status)
      .toBe('hit')
  })

  it('mutating a returned result does not change what the cache serves next', async () => {
    const { db } = wrap(tdb)
    const first = await db.user.findUniqueOrThrow({ where: { id: ids.alice.id }, cacheStrategy: { ttl: 60 } })
    first.name = 'Mallory'
    ;(first.settings as { theme: string }).theme = 'light'
    const second = await db.user.findUniqueOrThrow({ where: { id: ids.alice.id }, cacheStrategy: { ttl: 60 } })
    expect(second.name).toBe('Alice')
    expect((second.settings as { theme: string }).theme).toBe('dark')
  })

  it("findUniqueOrThrow() for a missing row rethrows Prisma's error and caches nothing; null results are cached", async () => {
    const { db } = wrap(tdb)
    await expect(
      db.user.findUniqueOrThrow({ where: { id: 999_999 }, cacheStrategy: { ttl: 60 } }),
    ).rejects.toMatchObject({ code: 'P2025' })
    expect(db.$perf.stats().cache.entries).toBe(0)
    expect(await db.user.findUnique({ where: { id: 999_999 }, cacheStrategy: { ttl: 60 } })).toBeNull()
    expect(
      (await db.user.findUnique({ where: { id: 999_999 }, cacheStrategy: { ttl: 60 } }).withPerfInfo()).info.status,
    ).toBe('hit')
  })

  it('concurrent identical reads share one database call', async () => {
    const { db, statements } = wrap(tdb)
    const before = statements()
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        db.post.findMany({ where: { authorId: ids.alice.id }, cacheStrategy: { ttl: 60 } }),
      ),
    )
    expect(statements() - before).toBe(1)
    expect(new Set(results.map((r) => r.length))).toEqual(new Set([2]))
  })

  it('fluent relation calls still work (uncached) on the read promise', async () => {
    const { db } = wrap(tdb)
    const fluent = db.user.findUnique({ where: { id: ids.alice.id }, cacheStrategy: ttlStrategy }) as unknown as {
      posts(args?: unknown): Promise<{ title: string }[]>
    }
    expect((await fluent.posts({ orderBy: { id: 'asc' } })).map((p) => p.title)).toEqual(['First', 'Second'])
  })

  it('keeps result extensions applied before perf()', async () => {
    const { prisma } = tdb.createClient()
    const db = prisma
      .$extends({ result: { user: { label: { needs: { email: true }, compute: (user) => `<${user.email}>` } } } })
      .$extends(perf({ cache: createCache({ codec: prismaCodec() }) }))
    const miss = await db.user.findUnique({ where: { id: ids.alice.id }, cacheStrategy: ttlStrategy })
    const hit = await db.user.findUnique({ where: { id: ids.alice.id }, cacheStrategy: ttlStrategy })
    expect(miss?.label).toBe('<alice@example.com>')
    expect(hit?.label).toBe('<alice@example.com>')
  })
})
