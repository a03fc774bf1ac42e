import { createCache } from '@perf/core'
import { describe, expectTypeOf, it } from 'vitest'
import { perf, prismaCodec, type PerfInfo } from '../src/index.js'
import type { Prisma, PrismaClient, User, Post } from './generated/client.js'

declare const prisma: PrismaClient
declare const query: Prisma.Sql
const db = prisma.$extends(perf({ cache: createCache({ codec: prismaCodec() }) }))
const cacheStrategy = { ttl: 60, swr: '30s', tags: ['users'] }

describe('perf() types', () => {
  it('accepts cacheStrategy on every read operation', () => {
    void db.user.findUnique({ where: { id: 1 }, cacheStrategy })
    void db.user.findUniqueOrThrow({ where: { id: 1 }, cacheStrategy })
    void db.user.findFirst({ cacheStrategy })
    void db.user.findFirstOrThrow({ cacheStrategy: { ttl: 1 } })
    void db.user.findMany({ cacheStrategy: false })
    void db.user.count({ cacheStrategy })
    void db.user.aggregate({ _count: true, cacheStrategy })
    void db.post.groupBy({ by: ['authorId'], _count: { _all: true }, cacheStrategy })
    void db.user.findMany()
  })

  it('types bulk writes by the model: rows as createMany takes them, options naming its fields', async () => {
    const result = await db.event.copyInsert([{ code: 'a', kind: 'k', amount: 1.5, payload: { a: 1 } }], {
      fields: ['code', 'kind', 'amount'],
    })
    expectTypeOf(result.rows).toEqualTypeOf<number>()
    void db.user.bulkUpdate([{ id: 1, name: 'x' }], { key: 'id', batchSize: 1000 })
    void db.event.bulkUpsert([{ code: 'a', kind: 'k' }], { conflict: ['code'], update: ['kind'] })
    // @ts-expect-error a field the model does not have
    void db.event.copyInsert([{ code: 'a', kind: 'k', colour: 'red' }])
    // @ts-expect-error fields must be the model's
    void db.event.copyInsert([{ code: 'a', kind: 'k' }], { fields: ['colour'] })
    // @ts-expect-error a required field is missing (createMany's input type)
    void db.event.copyInsert([{ code: 'a' }])
    // @ts-expect-error the key must be a field
    void db.user.bulkUpdate([{ id: 1 }], { key: 'uuid' })
  })

  it('rejects cacheStrategy on writes', () => {
    // @ts-expect-error cacheStrategy is not accepted on create
    void db.user.create({ data: { email: 'a' }, cacheStrategy })
    // @ts-expect-error cacheStrategy is not accepted on update
    void db.user.update({ where: { id: 1 }, data: { name: 'b' }, cacheStrategy })
    // @ts-expect-error cacheStrategy is not accepted on upsert
    void db.user.upsert({ where: { id: 1 }, create: { email: 'a' }, update: {}, cacheStrategy })
    // @ts-expect-error cacheStrategy is not accepted on delete
    void db.user.delete({ where: { id: 1 }, cacheStrategy })
    // @ts-expect-error cacheStrategy is not accepted on createMany
    void db.user.createMany({ data: [], cacheStrategy })
    // @ts-expect-error cacheStrategy is not accepted on updateMany
    void db.user.updateMany({ data: {}, cacheStrategy })
    // @ts-expect-error cacheStrategy is not accepted on deleteMany
    void db.user.deleteMany({ cacheStrategy })
  })

  it('rejects malformed strategies and unknown Prisma arguments', () => {
    // @ts-expect-error ttl must be a number of seconds or a duration string
    void db.user.findMany({ cacheStrategy: { ttl: true } })
    // @ts-expect-error unknown strategy key
    void db.user.findMany({ cacheStrategy: { maxAge: 5 } })
    // @ts-expect-error Prisma's own argument checking still applies
    void db.user.findMany({ wher: { id: 1 } })
  })

  it("keeps Prisma's result types, including include and select", async () => {
    expectTypeOf(await db.user.findUnique({ where: { id: 1 }, cacheStrategy })).toEqualTypeOf<User | null>()
    expectTypeOf(await db.user.findUniqueOrThrow({ where: { id: 1 } })).toEqualTypeOf<User>()
    const withPosts = await db.user.findMany({ include: { posts: true }, cacheStrategy })
    expectTypeOf(withPosts).toEqualTypeOf<(User & { posts: Post[] })[]>()
    expectTypeOf(withPosts).toEqualTypeOf<
      Awaited<ReturnType<typeof prisma.user.findMany<{ include: { posts: true } }>>>
    >()
    expectTypeOf(await db.user.findFirst({ select: { email: true }, cacheStrategy })).toEqualTypeOf<{
      email: string
    } | null>()
    expectTypeOf(await db.user.count({ cacheStrategy })).toEqualTypeOf<number>()
    expectTypeOf(
      (await db.user.aggregate({ _sum: { balance: true }, cacheStrategy }))._sum.balance,
    ).toEqualTypeOf<Prisma.Decimal | null>()
  })

  it('withPerfInfo() resolves the data with its info', async () => {
    const result = await db.post.findMany({ cacheStrategy }).withPerfInfo()
    expectTypeOf(result.data).toEqualTypeOf<Post[]>()
    expectTypeOf(result.info).toEqualTypeOf<PerfInfo>()
  })

  it('keeps writes, transactions and raw queries typed, and adds $perf and $queryRawCached', async () => {
    expectTypeOf(await db.user.create({ data: { email: 'x' } })).toEqualTypeOf<User>()
    const inTx = await db.$transaction(async (tx) => tx.post.findMany({ where: { published: true }, cacheStrategy }))
    expectTypeOf(inTx).toEqualTypeOf<Post[]>()
    expectTypeOf(await db.$executeRaw`DELETE FROM "Tag"`).toEqualTypeOf<number>()
    expectTypeOf(db.$perf.invalidate)
      .parameter(0)
      .toMatchTypeOf<{ tags?: readonly string[]; models?: readonly string[] }>()
    expectTypeOf(db.$perf.stats().cache.hitRatio).toEqualTypeOf<number>()
    expectTypeOf(await db.$queryRawCached<{ n: number }[]>(query, { ttl: 5, tags: ['n'] })).toEqualTypeOf<
      { n: number }[]
    >()
    // Tags are optional: the tables the SQL reads tag the entry.
    void db.$queryRawCached(query, { ttl: 5 })
    // @ts-expect-error tags are strings
    void db.$queryRawCached(query, { ttl: 5, tags: [1] })
  })
})
