import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { ALL_TABLES_TAG, tableTag } from '@perf/core'
import { postgresAvailable, type TestDatabase } from './setup/database.js'
import type { wrap } from './setup/harness.js'
import { freshBlog, type BlogIds } from './setup/seed.js'

const available = await postgresAvailable()
const ttl = { ttl: 60 }

describe.skipIf(!available)('perf() invalidation', () => {
  let tdb: TestDatabase | undefined
  let ids: BlogIds
  let w: ReturnType<typeof wrap>
  // A fresh schema per test: each test writes.
  beforeEach(async () => void ({ tdb, ids, w } = await freshBlog(tdb)))
  afterAll(async () => tdb?.drop())

  const status = async (p: { withPerfInfo(): Promise<{ info: { status: string } }> }) =>
    (await p.withPerfInfo()).info.status

  it.each([
    ['create', () => w.db.tag.create({ data: { name: 'new' } })],
    ['createMany', () => w.db.tag.createMany({ data: [{ name: 'a' }, { name: 'b' }] })],
    ['createManyAndReturn', () => w.db.tag.createManyAndReturn({ data: [{ name: 'c' }] })],
    ['update', () => w.db.tag.update({ where: { id: ids.news.id }, data: { name: 'renamed' } })],
    ['updateMany', () => w.db.tag.updateMany({ where: { id: ids.news.id }, data: { name: 'y' } })],
    ['updateManyAndReturn', () => w.db.tag.updateManyAndReturn({ where: { id: ids.news.id }, data: { name: 'z' } })],
    ['upsert', () => w.db.tag.upsert({ where: { name: 'news' }, create: { name: 'news' }, update: { name: 'news!' } })],
    ['delete', () => w.db.tag.delete({ where: { id: ids.news.id } })],
    ['deleteMany', () => w.db.tag.deleteMany({ where: { name: 'tech' } })],
  ])('%s() invalidates cached reads of the model; the next read sees the write', async (_name, write) => {
    const before = await w.db.tag.findMany({ orderBy: { id: 'asc' }, cacheStrategy: ttl })
    expect(await status(w.db.tag.findMany({ orderBy: { id: 'asc' }, cacheStrategy: ttl }))).toBe('hit')
    await write()
    const after = await w.db.tag.findMany({ orderBy: { id: 'asc' }, cacheStrategy: ttl }).withPerfInfo()
    expect(after.info.status).toBe('miss')
    expect(after.data).toStrictEqual(await w.prisma.tag.findMany({ orderBy: { id: 'asc' } }))
    expect(after.data).not.toStrictEqual(before)
  })

  it('a cached read with include is invalidated by a write to the included model', async () => {
    const args = {
      where: { id: ids.alice.id },
      include: { posts: { orderBy: { id: 'asc' as const } } },
      cacheStrategy: ttl,
    }
    await w.db.user.findUnique(args)
    await w.db.post.update({ where: { id: ids.first.id }, data: { title: 'Edited' } })
    const after = await w.db.user.findUnique(args).withPerfInfo()
    expect(after.info.status).toBe('miss')
    expect(after.data?.posts[0]?.title).toBe('Edited')
  })

  it('select of a relation count and relation filters in where are tracked too', async () => {
    const counted = { where: { id: ids.alice.id }, select: { _count: { select: { posts: true } } }, cacheStrategy: ttl }
    const filtered = { where: { posts: { some: { title: 'Third' } } }, cacheStrategy: ttl }
    expect((await w.db.user.findUnique(counted))?._count.posts).toBe(2)
    expect(await w.db.user.findMany(filtered)).toEqual([])
    await w.prisma.post.create({ data: { title: 'Third', authorId: ids.alice.id } })
    // The write went around the extension: the cache may not know yet.
    expect((await w.db.user.findUnique(counted))?._count.posts).toBe(2)
    await w.db.post.create({ data: { title: 'Fourth', authorId: ids.bob.id } })
    expect((await w.db.user.findUnique(counted))?._count.posts).toBe(3)
    expect((await w.db.user.findMany(filtered)).map((u) => u.id)).toEqual([ids.alice.id])
  })

  it('nested writes invalidate every model they touch', async () => {
    await w.db.post.findMany({ cacheStrategy: ttl })
    await w.db.profile.findMany({ cacheStrategy: ttl })
    await w.db.user.update({
      where: { id: ids.bob.id },
      data: { posts: { create: { title: 'Bob writes' } }, profile: { create: { bio: 'Bob' } } },
    })
    expect(await status(w.db.post.findMany({ cacheStrategy: ttl }))).toBe('miss')
    expect(await status(w.db.profile.findMany({ cacheStrategy: ttl }))).toBe('miss')
  })

  it('connect/disconnect on an implicit many-to-many relation invalidates both sides', async () => {
    const args = { where: { id: ids.news.id }, include: { posts: true }, cacheStrategy: ttl }
    expect((await w.db.tag.findUnique(args))?.posts).toHaveLength(1)
    await w.db.post.update({ where: { id: ids.first.id }, data: { tags: { disconnect: { id: ids.news.id } } } })
    const after = await w.db.tag.findUnique(args).withPerfInfo()
    expect(after.info.status).toBe('miss')
    expect(after.data?.posts).toHaveLength(0)
  })

  it('deleting a parent invalidates models its cascading foreign keys change', async () => {
    expect(await w.db.comment.findMany({ cacheStrategy: ttl })).toHaveLength(1)
    await w.db.user.delete({ where: { id: ids.bob.id } })
    const after = await w.db.comment.findMany({ cacheStrategy: ttl }).withPerfInfo()
    expect(after.info.status).toBe('miss')
    expect(after.data).toEqual([])
  })

  it('writes leave unrelated cached reads alone', async () => {
    await w.db.tag.findMany({ cacheStrategy: ttl })
    await w.db.user.update({ where: { id: ids.bob.id }, data: { name: 'Bob' } })
    await w.db.comment.create({ data: { body: 'x', postId: ids.first.id, authorId: ids.bob.id } })
    expect(await status(w.db.tag.findMany({ cacheStrategy: ttl }))).toBe('hit')
  })

  it('$perf.invalidate() drops entries by tag, by model and all', async () => {
    await w.db.tag.findMany({ cacheStrategy: { ttl: 60, tags: ['tag-list'] } })
    await w.db.user.findMany({ cacheStrategy: ttl })
    await w.db.post.findMany({ cacheStrategy: ttl })
    await w.db.$perf.invalidate({ tags: ['tag-list'] })
    expect(await status(w.db.tag.findMany({ cacheStrategy: { ttl: 60, tags: ['tag-list'] } }))).toBe('miss')
    expect(await status(w.db.user.findMany({ cacheStrategy: ttl }))).toBe('hit')
    await w.db.$perf.invalidate({ models: ['user'] })
    expect(await status(w.db.user.findMany({ cacheStrategy: ttl }))).toBe('miss')
    expect(await status(w.db.post.findMany({ cacheStrategy: ttl }))).toBe('hit')
    await w.db.$perf.invalidate({ all: true })
    expect(await status(w.db.post.findMany({ cacheStrategy: ttl }))).toBe('miss')
  })

  describe('row-level tags (tableTags: false)', () => {
    // Row precision is for clients that are the only writers of their tables.
    beforeEach(async () => void ({ tdb, ids, w } = await freshBlog(tdb, { tableTags: false })))
    const byAuthor = (authorId: number) => ({
      where: { authorId },
      orderBy: { id: 'asc' as const },
      cacheStrategy: ttl,
    })

    it('a write to another row keeps a read pinned by equality; a write to its rows drops it', async () => {
      await w.db.post.findMany(byAuthor(ids.alice.id))
      await w.db.user.findUnique({ where: { id: ids.alice.id }, cacheStrategy: ttl })
      await w.db.post.create({ data: { title: "Bob's", authorId: ids.bob.id } })
      await w.db.user.update({ where: { id: ids.bob.id }, data: { name: 'Bob' } })
      expect(await status(w.db.post.findMany(byAuthor(ids.alice.id)))).toBe('hit')
      expect(await status(w.db.user.findUnique({ where: { id: ids.alice.id }, cacheStrategy: ttl }))).toBe('hit')
      await w.db.post.update({ where: { id: ids.second.id }, data: { title: 'Changed' } })
      const after = await w.db.post.findMany(byAuthor(ids.alice.id)).withPerfInfo()
      expect(after.info.status).toBe('miss')
      expect(after.data.map((p) => p.title)).toEqual(['First', 'Changed'])
    })

    it('a row moving between partitions drops both the one it left and the one it joined', async () => {
      expect(await w.db.post.findMany(byAuthor(ids.alice.id))).toHaveLength(2)
      expect(await w.db.post.findMany(byAuthor(ids.bob.id))).toHaveLength(0)
      await w.db.post.update({ where: { id: ids.first.id }, data: { authorId: ids.bob.id } })
      expect(await w.db.post.findMany(byAuthor(ids.alice.id))).toHaveLength(1)
      expect(await w.db.post.findMany(byAuthor(ids.bob.id))).toHaveLength(1)
      await w.db.post.update({ where: { id: ids.first.id }, data: { author: { connect: { id: ids.alice.id } } } })
      expect(await w.db.post.findMany(byAuthor(ids.alice.id))).toHaveLength(2)
      expect(await w.db.post.findMany(byAuthor(ids.bob.id))).toHaveLength(0)
    })

    it('a write whose select hides the pinned field still drops the partition', async () => {
      await w.db.post.findMany(byAuthor(ids.alice.id))
      await w.db.post.delete({ where: { id: ids.second.id }, select: { id: true } })
      expect(await w.db.post.findMany(byAuthor(ids.alice.id))).toHaveLength(1)
    })

    it('createMany, updateMany and deleteMany drop every partition of the model', async () => {
      await w.db.post.findMany(byAuthor(ids.bob.id))
      await w.db.post.createMany({ data: [{ title: 'x', authorId: ids.bob.id }] })
      expect(await w.db.post.findMany(byAuthor(ids.bob.id))).toHaveLength(1)
      await w.db.post.updateMany({ where: { authorId: ids.bob.id }, data: { authorId: ids.alice.id } })
      expect(await w.db.post.findMany(byAuthor(ids.bob.id))).toHaveLength(0)
      await w.db.post.findMany(byAuthor(ids.alice.id))
      await w.db.post.deleteMany({ where: { title: 'x' } })
      expect(await w.db.post.findMany(byAuthor(ids.alice.id))).toHaveLength(2)
    })

    it('counts and aggregates pinned by a foreign key follow creates and deletes in their partition', async () => {
      const count = () => w.db.comment.count({ where: { postId: ids.first.id }, cacheStrategy: ttl })
      expect(await count()).toBe(1)
      const other = await w.db.comment.create({
        data: { body: 'elsewhere', postId: ids.second.id, authorId: ids.bob.id },
      })
      expect(await status(w.db.comment.count({ where: { postId: ids.first.id }, cacheStrategy: ttl }))).toBe('hit')
      const mine = await w.db.comment.create({ data: { body: 'here', postId: ids.first.id, authorId: ids.bob.id } })
      expect(await count()).toBe(2)
      await w.db.comment.delete({ where: { id: mine.id } })
      expect(await count()).toBe(1)
      await w.db.comment.delete({ where: { id: other.id } })
      expect(await status(w.db.comment.count({ where: { postId: ids.first.id }, cacheStrategy: ttl }))).toBe('hit')
    })

    it('included relations are tagged by the keys in the result: writes to other rows keep the entry', async () => {
      const withPosts = (id: number) => ({
        where: { id },
        include: { posts: { orderBy: { id: 'asc' as const } } },
        cacheStrategy: ttl,
      })
      const withAuthor = { where: { published: true }, include: { author: true }, cacheStrategy: ttl }
      await w.db.user.findUnique(withPosts(ids.alice.id))
      await w.db.user.findUnique(withPosts(ids.bob.id))
      await w.db.post.findMany(withAuthor)
      await w.db.post.create({ data: { title: 'Bob again', authorId: ids.bob.id } })
      await w.db.user.update({ where: { id: ids.bob.id }, data: { name: 'Bobby' } })
      expect(await status(w.db.user.findUnique(withPosts(ids.alice.id)))).toBe('hit')
      expect(await status(w.db.post.findMany(withAuthor))).toBe('hit')
      const bob = await w.db.user.findUnique(withPosts(ids.bob.id)).withPerfInfo()
      expect(bob.info.status).toBe('miss')
      expect(bob.data?.posts.map((p) => p.title)).toEqual(['Bob again'])
      await w.db.user.update({ where: { id: ids.alice.id }, data: { name: 'Alicia' } })
      const published = await w.db.post.findMany(withAuthor).withPerfInfo()
      expect(published.info.status).toBe('miss')
      expect(published.data[0]?.author.name).toBe('Alicia')
    })
  })
})

describe.skipIf(!available)('perf() shared table tags', () => {
  let tdb: TestDatabase | undefined
  let ids: BlogIds
  let w: ReturnType<typeof wrap>
  beforeEach(async () => void ({ tdb, ids, w } = await freshBlog(tdb)))
  afterAll(async () => tdb?.drop())

  it('a write through another SQL-level adapter (its table tag, @@map honoured) drops what Prisma cached from that table', async () => {
    const read = () => w.db.comment.findMany({ cacheStrategy: { ttl: 60 } }).withPerfInfo()
    expect((await read()).info.status).toBe('miss')
    expect((await read()).info.status).toBe('hit')
    // What a TypeORM or raw-pg adapter on the same cache does after `UPDATE comments ...`.
    await w.cache.invalidateTags([tableTag('comments')])
    expect((await read()).info.status).toBe('miss')
    await w.cache.invalidateTags([ALL_TABLES_TAG])
    expect((await read()).info.status).toBe('miss')
  })

  it('a Prisma write drops what another adapter cached from the same table', async () => {
    let loads = 0
    // Another adapter's cached SQL result, tagged the kit's way.
    const other = () =>
      w.cache.getOrSet('other:users', async () => ++loads, {
        ttl: 60_000,
        tags: [tableTag({ schema: 'app', name: 'User' })],
      })
    await other()
    await other()
    expect(loads).toBe(1)
    await w.db.user.update({ where: { id: ids.alice.id }, data: { name: 'Alicia' } })
    await other()
    expect(loads).toBe(2)
    // A nested write reaches the other model's table too.
    await w.db.user.update({ where: { id: ids.bob.id }, data: { posts: { create: { title: 'nested' } } } })
    await other()
    expect(loads).toBe(3)
  })
})
