import { isPerfError } from '@perf/core'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { Prisma } from './generated/client.js'
import { postgresAvailable, type TestDatabase } from './setup/database.js'
import type { wrap } from './setup/harness.js'
import { freshBlog, type BlogIds } from './setup/seed.js'

const available = await postgresAvailable()
const ttl = { ttl: 60 }

describe.skipIf(!available)('perf() and raw SQL', () => {
  let tdb: TestDatabase | undefined
  let ids: BlogIds
  let w: ReturnType<typeof wrap>
  // A fresh schema per test: each test writes.
  beforeEach(async () => void ({ tdb, ids, w } = await freshBlog(tdb, { rawTables: { audit_log: [] } })))
  afterAll(async () => tdb?.drop())

  const status = async (p: { withPerfInfo(): Promise<{ info: { status: string } }> }) =>
    (await p.withPerfInfo()).info.status
  const warm = async () => {
    await w.db.user.findMany({ cacheStrategy: ttl })
    await w.db.tag.findMany({ cacheStrategy: ttl })
    await w.db.comment.findMany({ cacheStrategy: ttl })
    await w.db.post.findMany({ include: { tags: true }, cacheStrategy: ttl })
  }

  it('$executeRaw invalidates the models of the tables it names and nothing else', async () => {
    await warm()
    await w.db.$executeRaw`UPDATE "User" SET "name" = ${'Robert'} WHERE "id" = ${ids.bob.id}`
    const users = await w.db.user.findMany({ cacheStrategy: ttl }).withPerfInfo()
    expect(users.info.status).toBe('miss')
    expect(users.data.find((u) => u.id === ids.bob.id)?.name).toBe('Robert')
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('hit')
  })

  it('$executeRawUnsafe resolves @@map table names and implicit many-to-many join tables', async () => {
    await warm()
    await w.db.$executeRawUnsafe('DELETE FROM comments WHERE "postId" = $1', ids.first.id)
    expect(await status(w.db.comment.findMany({ cacheStrategy: ttl }))).toBe('miss')
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('hit')
    await w.db.$executeRaw`DELETE FROM "_PostToTag" WHERE "A" = ${ids.first.id}`
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('miss')
    expect(
      (await w.db.post.findMany({ include: { tags: true }, cacheStrategy: ttl })).find((p) => p.id === ids.first.id)
        ?.tags,
    ).toEqual([])
  })

  it('a raw statement that cannot be attributed invalidates everything this client cached', async () => {
    await warm()
    await w.db.$executeRaw`DO $$ BEGIN UPDATE "Tag" SET "name" = "name" || '!'; END $$`
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('miss')
    expect(await status(w.db.user.findMany({ cacheStrategy: ttl }))).toBe('miss')
  })

  it('a raw write to an unknown table invalidates everything unless rawTables maps it', async () => {
    await tdb?.sql('CREATE TABLE audit_log (msg text); CREATE TABLE other_log (msg text)')
    await warm()
    await w.db.$executeRaw`INSERT INTO audit_log (msg) VALUES (${'hi'})`
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('hit')
    await w.db.$executeRaw`INSERT INTO other_log (msg) VALUES (${'hi'})`
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('miss')
  })

  // @see issue 9: TRUNCATE ... CASCADE empties every table with a foreign key to the truncated ones, whatever their onDelete.
  it('$executeRaw TRUNCATE ... CASCADE invalidates models that reference the table through a Restrict relation', async () => {
    await w.prisma.review.create({ data: { stars: 5, authorId: ids.bob.id } })
    expect(await w.db.review.findMany({ cacheStrategy: ttl })).toHaveLength(1)
    await w.db.tag.findMany({ cacheStrategy: ttl })
    await w.db.tag.findMany({ include: { posts: true }, cacheStrategy: ttl })
    await w.db.$executeRaw`TRUNCATE "User" CASCADE`
    const before = w.statements()
    const reviews = await w.db.review.findMany({ cacheStrategy: ttl }).withPerfInfo()
    expect(reviews.info.status).toBe('miss')
    expect(reviews.data).toEqual([])
    expect(w.statements() - before).toBe(1)
    // The emptied join table only changes reads that reach Post; Tag's own rows are untouched.
    expect((await w.db.tag.findMany({ include: { posts: true }, cacheStrategy: ttl })).map((t) => t.posts)).toEqual([
      [],
      [],
    ])
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('hit')
  })

  // @see issue 9
  it('$executeRawUnsafe TRUNCATE TABLE ONLY with a schema-qualified name and RESTART IDENTITY CASCADE invalidates the referencing models', async () => {
    await w.prisma.review.create({ data: { stars: 3, authorId: ids.alice.id } })
    await w.db.review.count({ cacheStrategy: ttl })
    await w.db.$executeRawUnsafe(`TRUNCATE TABLE ONLY "${tdb?.schema}"."User" RESTART IDENTITY CASCADE`)
    const count = await w.db.review.count({ cacheStrategy: ttl }).withPerfInfo()
    expect(count).toMatchObject({ data: 0, info: { status: 'miss' } })
  })

  it('$executeRaw plain TRUNCATE a, b invalidates the named tables only', async () => {
    await w.prisma.review.create({ data: { stars: 4, authorId: ids.bob.id } })
    await warm()
    await w.db.review.findMany({ cacheStrategy: ttl })
    await w.db.$executeRaw`TRUNCATE "Review", comments`
    expect(await w.db.review.findMany({ cacheStrategy: ttl })).toEqual([])
    expect(await w.db.comment.findMany({ cacheStrategy: ttl })).toEqual([])
    expect(await status(w.db.user.findMany({ cacheStrategy: ttl }))).toBe('hit')
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('hit')
  })

  // @see issue 9: the scanner ended E'...\'...' at the escaped quote and read the rest of the line as a comment.
  it('a writable CTE DELETE after an E-string with an escaped quote invalidates its table', async () => {
    await warm()
    const sql = `WITH x AS (SELECT E'it\\'s -- not a comment' AS s), d AS (DELETE FROM "Post" WHERE "id" = $1 RETURNING 1) SELECT count(*) FROM x, d`
    await w.db.$executeRawUnsafe(sql, ids.second.id)
    const posts = await w.db.post.findMany({ include: { tags: true }, cacheStrategy: ttl }).withPerfInfo()
    expect(posts.info.status).toBe('miss')
    expect(posts.data.map((p) => p.id)).toEqual([ids.first.id])
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('hit')
  })

  // @see issue 9: a -- comment ends at a carriage return too.
  it('a writable CTE DELETE after a -- comment ended by \\r invalidates its table', async () => {
    await warm()
    await w.db.$executeRawUnsafe(
      'WITH x AS (SELECT 1 AS one -- why\r), d AS (DELETE FROM "Post" WHERE "id" = $1 RETURNING 1) SELECT count(*) FROM x, d',
      ids.second.id,
    )
    expect((await w.db.post.findMany({ include: { tags: true }, cacheStrategy: ttl })).map((p) => p.id)).toEqual([
      ids.first.id,
    ])
  })

  // @see issue 9: a dollar-quote tag may hold digits after its first character.
  it('DELETE FROM inside dollar-quoted strings is not a write, a DELETE after them is', async () => {
    await warm()
    const sql =
      'WITH s AS (SELECT $q1$ DELETE FROM "Tag" $q1$ AS t, $$UPDATE "User" SET "name" = \'x\'$$ AS u), d AS (DELETE FROM "Post" WHERE "id" = $1 RETURNING 1) SELECT count(*) FROM s, d'
    await w.db.$executeRawUnsafe(sql, ids.second.id)
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('hit')
    expect(await status(w.db.user.findMany({ cacheStrategy: ttl }))).toBe('hit')
    const posts = await w.db.post.findMany({ include: { tags: true }, cacheStrategy: ttl }).withPerfInfo()
    expect(posts.info.status).toBe('miss')
    expect(posts.data.map((p) => p.id)).toEqual([ids.first.id])
  })

  it('$queryRaw is never cached, and a writing $queryRaw invalidates', async () => {
    await warm()
    const before = w.statements()
    await w.db.$queryRaw`SELECT count(*) FROM "Tag"`
    await w.db.$queryRaw`SELECT count(*) FROM "Tag"`
    expect(w.statements() - before).toBe(2)
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('hit')
    const rows = await w.db.$queryRaw<{ id: number }[]>`UPDATE "Tag" SET "name" = 'x' || "id" RETURNING "id"`
    expect(rows).toHaveLength(2)
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('miss')
  })

  it('$queryRawCached() caches with explicit tags and is invalidated by its tags and listed models', async () => {
    const query = Prisma.sql`SELECT "name" FROM "Tag" ORDER BY "id"`
    const strategy = { ttl: 60, tags: ['tag-names'] as [string], models: ['Tag'] }
    const first = await w.db.$queryRawCached<{ name: string }[]>(query, strategy)
    const before = w.statements()
    expect(await w.db.$queryRawCached(query, strategy)).toEqual(first)
    expect(w.statements()).toBe(before)
    await w.db.tag.update({ where: { id: ids.news.id }, data: { name: 'renamed' } })
    expect((await w.db.$queryRawCached<{ name: string }[]>(query, strategy))[0]?.name).toBe('renamed')
    const loaded = w.statements()
    await w.db.$perf.invalidate({ tags: ['tag-names'] })
    await w.db.$queryRawCached(query, strategy)
    expect(w.statements()).toBe(loaded + 1)
  })

  it('$queryRawCached() without tags throws INVALID_CACHE_STRATEGY; inside a transaction it runs uncached', async () => {
    const query = Prisma.sql`SELECT 1 AS one`
    const error = await w.db.$queryRawCached(query, { ttl: 60 } as never).catch((e: unknown) => e)
    expect(isPerfError(error, 'INVALID_CACHE_STRATEGY')).toBe(true)
    await w.db.$transaction(async (tx) => {
      await tx.tag.update({ where: { id: ids.news.id }, data: { name: 'in-tx' } })
      const rows = await tx.$queryRawCached<{ name: string }[]>(
        Prisma.sql`SELECT "name" FROM "Tag" WHERE "id" = ${ids.news.id}`,
        { ttl: 60, tags: ['t'] },
      )
      expect(rows[0]?.name).toBe('in-tx')
    })
    expect(w.db.$perf.stats().cache.entries).toBe(0)
  })
})
