import { randomUUID } from 'node:crypto'
import { createCache, createMonitor, MemoryStore } from '@perf/core'
import { requireService } from '@perf/core/testing'
import { createRedisClient, redisBus, redisStore } from '@perf/redis'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { perf, prismaCodec } from '../src/index.js'
import { Prisma } from './generated/client.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from './setup/database.js'
import { seedBlog } from './setup/seed.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

const redisAvailable = (): Promise<boolean> =>
  requireService(`Redis at ${REDIS_URL}`, ping, {
    scope: '[perf:prisma tests]',
    skipping: 'two-client tests',
    attempts: 1,
  })

async function ping(): Promise<boolean> {
  const probe = createRedisClient(REDIS_URL)
  try {
    await probe.ping()
    return true
  } finally {
    probe.disconnect()
  }
}

const available = (await postgresAvailable()) && (await redisAvailable())
const ttl = { ttl: 60 }

/** One application process: its own Prisma client and pool, L1, and the shared Redis L2 + bus. */
function instance(tdb: TestDatabase, scope: string, redises: Redis[], closers: (() => Promise<unknown>)[]) {
  const redis = createRedisClient(REDIS_URL)
  redises.push(redis)
  const codec = prismaCodec()
  const bus = redisBus(redis, { channel: `perf:bus:${scope}` })
  const cache = createCache({
    namespace: 'prisma-test',
    codec,
    tiers: [new MemoryStore(), redisStore(redis, { prefix: `perf:${scope}:`, codec })],
    bus,
  })
  const { prisma } = tdb.createClient()
  const db = prisma.$extends(perf({ cache, monitor: createMonitor({ eventLoopDelay: false }) }))
  // clear() first: the test's keys must not outlive it in a shared Redis.
  closers.push(
    async () => {
      await cache.clear()
      await cache.close()
    },
    () => bus.close(),
  )
  return db
}

describe.skipIf(!available)('two Prisma clients sharing Redis', () => {
  let tdb: TestDatabase
  let ids: Awaited<ReturnType<typeof seedBlog>>
  const redises: Redis[] = []
  const closers: (() => Promise<unknown>)[] = []
  let a: ReturnType<typeof instance>
  let b: ReturnType<typeof instance>
  beforeAll(async () => {
    tdb = await createTestDatabase()
    ids = await seedBlog(tdb.createClient().prisma)
    const scope = randomUUID()
    a = instance(tdb, scope, redises, closers)
    b = instance(tdb, scope, redises, closers)
  })
  afterAll(async () => {
    for (const close of closers) await close().catch(() => undefined)
    for (const redis of redises) redis.disconnect()
    await tdb?.drop()
  })

  it('a read cached by one client is served to the other from Redis with the same values and classes', async () => {
    const args = {
      where: { id: ids.alice.id },
      include: { posts: { include: { tags: true }, orderBy: { id: 'asc' as const } }, profile: true },
      cacheStrategy: ttl,
    }
    const fromA = await a.user.findUnique(args).withPerfInfo()
    const fromB = await b.user.findUnique(args).withPerfInfo()
    expect(fromA.info.status).toBe('miss')
    expect(fromB.info).toMatchObject({ status: 'hit', tier: 'redis' })
    expect(fromB.data).toStrictEqual(fromA.data)
    expect(fromB.data?.balance).toBeInstanceOf(Prisma.Decimal)
    expect(typeof fromB.data?.visits).toBe('bigint')
    expect(fromB.data?.createdAt).toBeInstanceOf(Date)
    expect(fromB.data?.avatar).toBeInstanceOf(Uint8Array)
  })

  it('a write through one client invalidates what the other cached, in L1 and in Redis', async () => {
    const args = { where: { id: ids.news.id }, cacheStrategy: ttl }
    await a.tag.findUnique(args)
    expect((await a.tag.findUnique(args).withPerfInfo()).info).toMatchObject({ status: 'hit', tier: 'memory' })
    await b.tag.update({ where: { id: ids.news.id }, data: { name: 'breaking' } })
    await expect
      .poll(async () => (await a.tag.findUnique(args))?.name, { timeout: 3000, interval: 20 })
      .toBe('breaking')
    expect((await b.tag.findUnique(args))?.name).toBe('breaking')
  })

  it("a write to another table leaves the other client's entry alone", async () => {
    const args = { where: { id: ids.tech.id }, cacheStrategy: ttl }
    await a.tag.findUnique(args)
    await a.post.findUnique({ where: { id: ids.second.id }, cacheStrategy: ttl })
    await b.post.update({ where: { id: ids.second.id }, data: { title: 'elsewhere' } })
    await expect
      .poll(async () => (await a.post.findUnique({ where: { id: ids.second.id }, cacheStrategy: ttl }))?.title, {
        timeout: 3000,
      })
      .toBe('elsewhere')
    expect((await a.tag.findUnique(args).withPerfInfo()).info.status).toBe('hit')
  })

  it('a transaction in one client reaches the other only when it commits; a rollback never does', async () => {
    const args = { where: { id: ids.first.id }, cacheStrategy: ttl }
    await a.post.findUnique(args)
    await expect(
      b.$transaction(async (tx) => {
        await tx.post.update({ where: { id: ids.first.id }, data: { title: 'rolled back' } })
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await a.post.findUnique(args).withPerfInfo()).info.status).toBe('hit')
    await b.$transaction(async (tx) => {
      await tx.post.update({ where: { id: ids.first.id }, data: { title: 'committed' } })
      await new Promise((resolve) => setTimeout(resolve, 100))
      // Not yet committed: the other client still serves its cached row.
      expect((await a.post.findUnique(args))?.title).toBe('First')
    })
    await expect
      .poll(async () => (await a.post.findUnique(args))?.title, { timeout: 3000, interval: 20 })
      .toBe('committed')
  })
})
