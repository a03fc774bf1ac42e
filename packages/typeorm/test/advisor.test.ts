import { createMonitor, type NPlusOneReport } from '@perf/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createLoaders, instrument, typeormAdvisor, type TypeormPerf } from '../src/index.js'
import { MATRIX, openBlog } from './fixtures/inst-harness.js'

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`typeormAdvisor() — ${label}`, () => {
    let blog: Awaited<ReturnType<typeof openBlog>>
    let perf: TypeormPerf
    let postIds: number[] = []

    beforeAll(async () => {
      blog = await openBlog(typeorm, create)
      perf = instrument(blog.ds, { monitor: blog.monitor })
      const { Author, Post, Tag, Widget } = blog.entities
      const authors = await blog.ds.getRepository(Author).save([{ name: 'a' }, { name: 'b' }])
      const tags = await blog.ds.getRepository(Tag).save([{ name: 'x' }])
      const posts = await blog.ds.getRepository(Post).save(
        Array.from({ length: 6 }, (_, i) => ({
          title: `p${i}`,
          author: authors[i % 2],
          tags,
          comments: [{ body: `c${i}` }],
        })),
      )
      postIds = posts.map((p) => p.id)
      await blog.ds.getRepository(Widget).save(Array.from({ length: 6 }, (_, i) => ({ name: `w${i}` })))
    })
    afterAll(async () => {
      perf?.uninstrument()
      await blog?.close()
    })
    beforeEach(() => blog.monitor.reset())

    /** Runs `fn` in a scope and returns its one N+1 finding. */
    async function findingOf(fn: () => Promise<unknown>): Promise<NPlusOneReport | undefined> {
      const found: NPlusOneReport[] = []
      await blog.monitor.scope(fn, { name: 'request', onReport: (r) => void found.push(...r.nPlusOne) })
      expect(found).toHaveLength(1)
      return found[0]
    }

    it("names loaders.relation(Post, 'author') for a loop loading each post's author by id", async () => {
      const posts = await blog.ds.getRepository(blog.entities.Post).find({ relations: { author: true } })
      const report = await findingOf(async () => {
        for (const post of posts) await blog.ds.getRepository(blog.entities.Author).findOneBy({ id: post.author!.id })
      })
      expect(report?.suggestion).toBe(
        "use loaders.relation(Post, 'author') (or loaders.byId(Author)) from createLoaders(dataSource)",
      )
    })

    it("names loaders.relation(Post, 'author') for a loop of relation loads through the parent", async () => {
      const report = await findingOf(async () => {
        for (const id of postIds)
          await blog.ds.createQueryBuilder().relation(blog.entities.Post, 'author').of(id).loadOne()
      })
      expect(report?.suggestion).toBe("use loaders.relation(Post, 'author') from createLoaders(dataSource)")
    })

    it("names loaders.relation(Post, 'comments') for a loop of findBy({ post: { id } })", async () => {
      const report = await findingOf(async () => {
        for (const id of postIds) await blog.ds.getRepository(blog.entities.Comment).findBy({ post: { id } })
      })
      expect(report?.suggestion).toBe("use loaders.relation(Post, 'comments') from createLoaders(dataSource)")
    })

    it("names loaders.relation(Post, 'tags') for a loop over a many-to-many relation", async () => {
      const report = await findingOf(async () => {
        for (const id of postIds)
          await blog.ds.createQueryBuilder().relation(blog.entities.Post, 'tags').of(id).loadMany()
      })
      expect(report?.suggestion).toBe("use loaders.relation(Post, 'tags') from createLoaders(dataSource)")
    })

    it('names loaders.byId(Widget) for an entity nothing references, and the fix leaves no finding', async () => {
      const widgets = await blog.ds.getRepository(blog.entities.Widget).find()
      const report = await findingOf(async () => {
        for (const w of widgets) await blog.ds.getRepository(blog.entities.Widget).findOneBy({ id: w.id })
      })
      expect(report?.suggestion).toBe('use loaders.byId(Widget) from createLoaders(dataSource)')
      const found: NPlusOneReport[] = []
      await blog.monitor.scope(
        async () => {
          const loader = createLoaders(blog.ds).byId(blog.entities.Widget)
          await Promise.all(widgets.map((w) => loader.load(w.id)))
        },
        { onReport: (r) => void found.push(...r.nPlusOne) },
      )
      expect(found).toEqual([])
    })

    it('answers undefined for tables of another DataSource; uninstrument() removes the advisor', () => {
      const advise = typeormAdvisor(blog.ds)
      expect(
        advise({ source: 'typeorm', fingerprint: 'SELECT * FROM x WHERE id = ?', fingerprintId: 'f', tables: ['x'] }),
      ).toBeUndefined()
      const monitor = createMonitor({ eventLoopDelay: false, nPlusOneThreshold: 2 })
      perf.uninstrument()
      const again = instrument(blog.ds, { monitor })
      again.uninstrument()
      monitor.scope(() => {
        monitor.record({
          source: 'typeorm',
          sql: 'SELECT * FROM widgets WHERE id = 1',
          tables: ['widgets'],
          durationMs: 1,
        })
        monitor.record({
          source: 'typeorm',
          sql: 'SELECT * FROM widgets WHERE id = 2',
          tables: ['widgets'],
          durationMs: 1,
        })
      })
      expect(monitor.nPlusOne()[0]?.suggestion).toBeUndefined()
      monitor.close()
      perf = instrument(blog.ds, { monitor: blog.monitor })
    })
  })
}
