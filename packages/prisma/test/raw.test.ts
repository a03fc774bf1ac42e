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

  const status = async (p: { withPerfInfo(): Promise<{ info: { status: string } }> }) => (await p.withPerfInfo()).info.status
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
    expect((await w.db.post.findMany({ include: { tags: true }, cacheStrategy: ttl })).find((p) => p.id === ids.first.id)?.tags).toEqual([])
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
      const rows = await tx.$queryRawCached<{ name: string }[]>(Prisma.sql`SELECT "name" FROM "Tag" WHERE "id" = ${ids.news.id}`, { ttl: 60, tags: ['t'] })
      expect(rows[0]?.name).toBe('in-tx')
    })
    expect(w.db.$perf.stats().cache.entries).toBe(0)
  })
})
