import { createCache, createCodec, createMonitor, isPerfError, PerfError, type PerfErrorCode } from '@perf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { perf } from '../src/index.js'
import { Prisma } from './generated/client.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from './setup/database.js'
import { wrap } from './setup/harness.js'
import { seedBlog } from './setup/seed.js'

const available = await postgresAvailable()

async function codeOf(work: () => unknown): Promise<PerfErrorCode | string | undefined> {
  try {
    await work()
  } catch (error) {
    return isPerfError(error) ? error.code : `not a PerfError: ${String(error)}`
  }
  return undefined
}

describe('perf() options', () => {
  it('throws INVALID_OPTION at perf() for malformed options', async () => {
    expect(await codeOf(() => perf({ cache: {} as never }))).toBe('INVALID_OPTION')
    expect(await codeOf(() => perf({ monitor: 1 as never }))).toBe('INVALID_OPTION')
    expect(await codeOf(() => perf({ pool: 'postgres://' as never }))).toBe('INVALID_OPTION')
    expect(await codeOf(() => perf({ models: [] as never }))).toBe('INVALID_OPTION')
    expect(await codeOf(() => perf({ onError: 'log' as never }))).toBe('INVALID_OPTION')
  })
})

describe.skipIf(!available)('perf() bad input', () => {
  let tdb: TestDatabase
  let ids: Awaited<ReturnType<typeof seedBlog>>
  beforeAll(async () => {
    tdb = await createTestDatabase()
    ids = await seedBlog(tdb.createClient().prisma)
  })
  afterAll(async () => tdb?.drop())

  it('throws at $extends() for unknown models, bad model defaults and bad operations', async () => {
    const { prisma } = tdb.createClient()
    const extend = (options: Parameters<typeof perf>[0]) => () => prisma.$extends(perf(options))
    expect(await codeOf(extend({ models: { Usr: { ttl: 60 } } }))).toBe('UNKNOWN_MODEL')
    expect(await codeOf(extend({ rawTables: { audit: ['Nope'] } }))).toBe('UNKNOWN_MODEL')
    expect(await codeOf(extend({ models: { User: { ttl: -1 } } }))).toBe('INVALID_TTL')
    expect(await codeOf(extend({ models: { User: { ttl: 1, maxAge: 5 } as never } }))).toBe('INVALID_CACHE_STRATEGY')
    expect(await codeOf(extend({ models: { User: { operations: ['create'] } } }))).toBe('INVALID_OPTION')
    expect(
      await codeOf(extend({ models: { user: { ttl: 60 }, Tag: false }, rawTables: { audit: ['Post'] } })),
    ).toBeUndefined()
  })

  it('rejects cacheStrategy on writes with INVALID_CACHE_STRATEGY and writes nothing', async () => {
    const { db, prisma } = wrap(tdb)
    const before = await prisma.tag.count()
    const asAny = db as unknown as Record<string, Record<string, (args: unknown) => Promise<unknown>>>
    expect(await codeOf(() => asAny.tag?.create?.({ data: { name: 'cached?' }, cacheStrategy: { ttl: 60 } }))).toBe(
      'INVALID_CACHE_STRATEGY',
    )
    expect(
      await codeOf(() =>
        asAny.tag?.update?.({ where: { id: ids.news.id }, data: { name: 'x' }, cacheStrategy: { ttl: 60 } }),
      ),
    ).toBe('INVALID_CACHE_STRATEGY')
    expect(await codeOf(() => asAny.tag?.deleteMany?.({ cacheStrategy: { ttl: 60 } }))).toBe('INVALID_CACHE_STRATEGY')
    expect(await prisma.tag.count()).toBe(before)
  })

  it('rejects a negative or unparsable ttl at the call with INVALID_TTL, a malformed strategy with INVALID_CACHE_STRATEGY', async () => {
    const { db } = wrap(tdb)
    expect(await codeOf(() => db.tag.findMany({ cacheStrategy: { ttl: -5 } }))).toBe('INVALID_TTL')
    expect(await codeOf(() => db.tag.findMany({ cacheStrategy: { swr: 'soon' } }))).toBe('INVALID_TTL')
    expect(await codeOf(() => db.tag.findMany({ cacheStrategy: 60 as never }))).toBe('INVALID_CACHE_STRATEGY')
    expect(await codeOf(() => db.tag.findMany({ cacheStrategy: { tags: [42] } as never }))).toBe(
      'INVALID_CACHE_STRATEGY',
    )
  })

  it('$perf.invalidate() rejects an empty target and unknown models', async () => {
    const { db } = wrap(tdb)
    expect(await codeOf(() => db.$perf.invalidate({}))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => db.$perf.invalidate({ models: ['Nope'] }))).toBe('UNKNOWN_MODEL')
  })

  it('caches Decimal columns with a cache created without prismaCodec(), exact to the last digit', async () => {
    const { prisma } = tdb.createClient()
    const db = prisma.$extends(perf({ cache: createCache(), monitor: createMonitor({ eventLoopDelay: false }) }))
    await prisma.user.update({ where: { id: ids.bob.id }, data: { balance: new Prisma.Decimal('9999999999.99') } })
    const args = { where: { id: ids.bob.id }, cacheStrategy: { ttl: 60 } }
    const miss = await db.user.findUnique(args).withPerfInfo()
    const hit = await db.user.findUnique(args).withPerfInfo()
    expect([miss.info.status, hit.info.status]).toEqual(['miss', 'hit'])
    expect(hit.data?.balance).toBeInstanceOf(Prisma.Decimal)
    expect(hit.data?.balance.toFixed(2)).toBe('9999999999.99')
    expect(hit.data).toStrictEqual(await prisma.user.findUnique({ where: { id: ids.bob.id } }))
    const sum = { _sum: { balance: true }, cacheStrategy: { ttl: 60 } } as const
    await db.user.aggregate(sum)
    const cachedSum = await db.user.aggregate(sum).withPerfInfo()
    expect(cachedSum.info.status).toBe('hit')
    expect(cachedSum.data._sum.balance?.toFixed(2)).toBe('10000001234.55')
    expect(db.$perf.stats().operations.failOpen).toBe(0)
  })

  it('fails open when the cache cannot store a value: the database result is returned once and reported', async () => {
    const { prisma, pool } = tdb.createClient()
    const errors: unknown[] = []
    const base = createCodec()
    // A codec that refuses arrays (findMany results): what a too-large or unencodable value does.
    const codec = {
      ...base,
      clone: (value: unknown) => {
        if (Array.isArray(value)) throw new PerfError('UNSERIALIZABLE_VALUE', '[test] refused')
        return base.clone(value)
      },
    }
    const db = prisma.$extends(
      perf({
        cache: createCache({ codec }),
        monitor: createMonitor({ eventLoopDelay: false }),
        pool,
        onError: (e) => errors.push(e),
      }),
    )
    const statements = () => db.$perf.stats().pool?.statements ?? 0
    const before = statements()
    const tags = await db.tag.findMany({ orderBy: { id: 'asc' }, cacheStrategy: { ttl: 60 } }).withPerfInfo()
    expect(statements() - before).toBe(1)
    expect(tags.data.length).toBeGreaterThan(0)
    expect(tags.info.status).toBe('none')
    expect(isPerfError(errors[0], 'UNSERIALIZABLE_VALUE')).toBe(true)
    expect(db.$perf.stats().operations.failOpen).toBe(1)
    expect(db.$perf.stats().cache.unstorable).toBe(1)
    // Values the codec can store are still cached.
    await db.tag.findFirst({ cacheStrategy: { ttl: 60 } })
    expect((await db.tag.findFirst({ cacheStrategy: { ttl: 60 } }).withPerfInfo()).info.status).toBe('hit')
  })
})
