import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { instrument, type TypeormPerf } from '../src/index.js'
import { MATRIX, cachedFrom, has, openBlog } from './fixtures/inst-harness.js'

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`instrument() invalidation — ${label}`, () => {
    let blog: Awaited<ReturnType<typeof openBlog>>
    let perf: TypeormPerf
    const isPg = label.includes('PostgreSQL')

    beforeAll(async () => {
      blog = await openBlog(typeorm, create)
      perf = instrument(blog.ds, { cache: blog.cache, monitor: blog.monitor })
    })
    afterAll(async () => {
      perf?.uninstrument()
      await blog?.close()
    })
    beforeEach(async () => {
      await blog.cache.clear()
    })

    /** Caches one entry per table, runs `write`, and returns which tables' entries are gone. */
    async function dropped(write: () => Promise<unknown>): Promise<string[]> {
      const tables = ['authors', 'posts', 'comments', 'tags', 'post_tags', 'widgets']
      const keys = await Promise.all(tables.map((t) => cachedFrom(blog.cache, t)))
      await write()
      const gone: string[] = []
      for (const [i, key] of keys.entries()) if (!(await has(blog.cache, key))) gone.push(tables[i] as string)
      return gone
    }

    it('repository save() of a new entity invalidates its table only', async () => {
      expect(await dropped(() => blog.ds.getRepository(blog.entities.Author).save({ name: 'ann' }))).toEqual([
        'authors',
      ])
    })

    it('repository insert(), update() and delete() invalidate their table', async () => {
      expect(await dropped(() => blog.ds.getRepository(blog.entities.Widget).insert({ name: 'w1' }))).toEqual([
        'widgets',
      ])
      expect(
        await dropped(() => blog.ds.getRepository(blog.entities.Widget).update({ name: 'w1' }, { name: 'w2' })),
      ).toEqual(['widgets'])
      expect(await dropped(() => blog.ds.getRepository(blog.entities.Widget).delete({ name: 'w2' }))).toEqual([
        'widgets',
      ])
    })

    it('EntityManager save() of a changed entity and remove() invalidate its table', async () => {
      const w = await blog.ds.manager.save(blog.entities.Widget, { name: 'm1' })
      expect(await dropped(() => blog.ds.manager.save(blog.entities.Widget, { ...w, name: 'm2' }))).toEqual(['widgets'])
      expect(await dropped(() => blog.ds.manager.remove(blog.entities.Widget, w))).toEqual(['widgets'])
    })

    it('softRemove() invalidates the soft-deleted table', async () => {
      const post = await blog.ds.getRepository(blog.entities.Post).save({ title: 'soft' })
      // An UPDATE may change a key: tables with ON UPDATE actions (the join table's) go too.
      const gone = await dropped(() => blog.ds.getRepository(blog.entities.Post).softRemove(post))
      expect(gone).toContain('posts')
      expect(gone).not.toContain('widgets')
      expect(gone).not.toContain('authors')
      expect(await blog.ds.getRepository(blog.entities.Post).findOneBy({ id: post.id })).toBeNull()
    })

    it('upsert() invalidates its table', async () => {
      await blog.ds.getRepository(blog.entities.Tag).save({ name: 'up' })
      // ON CONFLICT / ON DUPLICATE KEY UPDATE may change a key: the join table (ON UPDATE CASCADE) goes too.
      const gone = await dropped(() => blog.ds.getRepository(blog.entities.Tag).upsert({ name: 'up' }, ['name']))
      expect(gone).toContain('tags')
      expect(gone).not.toContain('widgets')
      expect(gone).not.toContain('posts')
    })

    it('QueryBuilder insert, update and delete invalidate their table', async () => {
      const qb = () => blog.ds.createQueryBuilder()
      expect(await dropped(() => qb().insert().into(blog.entities.Widget).values({ name: 'q1' }).execute())).toEqual([
        'widgets',
      ])
      expect(
        await dropped(() =>
          qb().update(blog.entities.Widget).set({ name: 'q2' }).where('name = :n', { n: 'q1' }).execute(),
        ),
      ).toEqual(['widgets'])
      expect(
        await dropped(() => qb().delete().from(blog.entities.Widget).where('name = :n', { n: 'q2' }).execute()),
      ).toEqual(['widgets'])
    })

    it('many-to-many save() with relations invalidates the join table', async () => {
      const tag = await blog.ds.getRepository(blog.entities.Tag).save({ name: `m2m-${label}` })
      const post = await blog.ds.getRepository(blog.entities.Post).save({ title: 'tagged' })
      const gone = await dropped(() => blog.ds.getRepository(blog.entities.Post).save({ ...post, tags: [tag] }))
      expect(gone).toContain('post_tags')
      expect(gone).not.toContain('widgets')
      expect(gone).not.toContain('authors')
    })

    it('RelationQueryBuilder add() and remove() invalidate the join table', async () => {
      const tag = await blog.ds.getRepository(blog.entities.Tag).save({ name: `rel-${label}` })
      const post = await blog.ds.getRepository(blog.entities.Post).save({ title: 'relation' })
      const relation = () => blog.ds.createQueryBuilder().relation(blog.entities.Post, 'tags').of(post)
      expect(await dropped(() => relation().add(tag))).toEqual(['post_tags'])
      expect(await dropped(() => relation().remove(tag))).toEqual(['post_tags'])
    })

    it('restore(), increment() and clear() invalidate their table', async () => {
      const posts = blog.ds.getRepository(blog.entities.Post)
      const post = await posts.save({ title: 'restore me' })
      await posts.softDelete({ id: post.id })
      expect(await dropped(() => posts.restore({ id: post.id }))).toContain('posts')
      const widgets = blog.ds.getRepository(blog.entities.Widget)
      await widgets.save({ name: 'inc' })
      expect(await dropped(() => widgets.increment({ name: 'inc' }, 'id', 0))).toEqual(['widgets'])
      expect(await dropped(() => widgets.clear())).toEqual(['widgets'])
    })

    it('a cascade insert invalidates the cascaded table', async () => {
      const gone = await dropped(() =>
        blog.ds.getRepository(blog.entities.Post).save({ title: 'with comments', comments: [{ body: 'c1' } as never] }),
      )
      expect(gone).toEqual(expect.arrayContaining(['posts', 'comments']))
      expect(gone).not.toContain('widgets')
    })

    it("a delete invalidates the tables its foreign keys' ON DELETE CASCADE reaches", async () => {
      const author = await blog.ds.getRepository(blog.entities.Author).save({ name: 'gone' })
      await blog.ds.getRepository(blog.entities.Post).save({ title: 'p', author, comments: [{ body: 'c' } as never] })
      const gone = await dropped(() => blog.ds.query(`DELETE FROM authors WHERE id = ${author.id}`))
      expect(gone.sort()).toEqual(['authors', 'comments', 'post_tags', 'posts'])
    })

    it('raw dataSource.query() and manager.query() writes invalidate the written table', async () => {
      await blog.ds.getRepository(blog.entities.Widget).save({ name: 'raw' })
      expect(await dropped(() => blog.ds.query(`UPDATE widgets SET name = 'raw2' WHERE name = 'raw'`))).toEqual([
        'widgets',
      ])
      expect(await dropped(() => blog.ds.manager.query(`DELETE FROM widgets WHERE name = 'raw2'`))).toEqual(['widgets'])
    })

    it('reads invalidate nothing', async () => {
      expect(
        await dropped(() =>
          blog.ds.getRepository(blog.entities.Post).find({ relations: { tags: true, author: true } }),
        ),
      ).toEqual([])
    })

    it('a statement the parser cannot read invalidates everything', async () => {
      const sql = isPg ? `DO $$BEGIN PERFORM 1; END$$` : `DO 1`
      expect((await dropped(() => blog.ds.query(sql))).length).toBe(6)
    })

    it.skipIf(!isPg)('TRUNCATE ... CASCADE invalidates every table with a foreign-key path to it', async () => {
      const gone = await dropped(() => blog.ds.query('TRUNCATE authors CASCADE'))
      expect(gone.sort()).toEqual(['authors', 'comments', 'post_tags', 'posts'])
    })

    it('invalidates before the write call resolves (read-your-writes)', async () => {
      const key = await cachedFrom(blog.cache, 'widgets')
      await blog.ds.getRepository(blog.entities.Widget).insert({ name: 'ryw' })
      expect(await has(blog.cache, key)).toBe(false)
      expect(perf.stats().invalidations).toBeGreaterThan(0)
    })
  })
}
