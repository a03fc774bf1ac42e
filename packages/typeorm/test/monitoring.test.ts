import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { CHANNELS, type QueryEvent } from '@perf/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { instrument, withCacheStatus, type TypeormPerf } from '../src/index.js'
import { MATRIX, openBlog } from './fixtures/inst-harness.js'

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`instrument() monitoring — ${label}`, () => {
    let blog: Awaited<ReturnType<typeof openBlog>>
    let perf: TypeormPerf
    let events: QueryEvent[] = []
    const listen = (message: unknown) => void events.push(message as QueryEvent)

    beforeAll(async () => {
      blog = await openBlog(typeorm, create)
      perf = instrument(blog.ds, { monitor: blog.monitor })
      subscribe(CHANNELS.query, listen)
    })
    afterAll(async () => {
      unsubscribe(CHANNELS.query, listen)
      perf?.uninstrument()
      await blog?.close()
    })
    beforeEach(() => {
      blog.monitor.reset()
      events = []
    })
    afterEach(() => {
      events = []
    })
    const authors = () => blog.ds.getRepository(blog.entities.Author)

    it('records one event per statement, with a duration, tables, entity and row count', async () => {
      await authors().insert([{ name: 'a1' }, { name: 'a2' }])
      blog.monitor.reset()
      events = []
      const found = await authors().find()
      expect(found.length).toBeGreaterThanOrEqual(2)
      expect(events).toHaveLength(1)
      const [event] = events
      expect(event).toMatchObject({
        source: 'typeorm',
        model: 'Author',
        tables: ['authors'],
        inTransaction: false,
        rows: found.length,
      })
      expect(event?.durationMs).toBeGreaterThan(0)
      expect(event?.sql).toMatch(/FROM\s+\S*authors\b/i)
      expect(blog.monitor.totals().calls).toBe(1)
    })

    it('counts every statement a write issues, and the rows an UPDATE affected', async () => {
      await authors().insert([{ name: 'u' }, { name: 'u' }])
      blog.monitor.reset()
      events = []
      await authors().update({ name: 'u' }, { name: 'v' })
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ model: 'Author', tables: ['authors'], rows: 2 })
      expect(blog.monitor.totals().calls).toBe(events.length)
    })

    it('marks statements inside a transaction, BEGIN and COMMIT included', async () => {
      await blog.ds.transaction(async (manager) => {
        await manager.insert(blog.entities.Widget, { name: 'in tx' })
      })
      expect(events.length).toBeGreaterThanOrEqual(3)
      expect(events.every((e) => e.inTransaction === true)).toBe(true)
      expect(events.find((e) => e.model === 'Widget')?.tables).toEqual(['widgets'])
      await blog.ds.getRepository(blog.entities.Widget).findOneBy({ name: 'in tx' })
      expect(events.at(-1)?.inTransaction).toBe(false)
    })

    it('records a failed statement as an error event and rethrows the original error', async () => {
      await expect(blog.ds.query('SELECT * FROM no_such_table')).rejects.toBeInstanceOf(typeorm.QueryFailedError)
      expect(events).toHaveLength(1)
      expect(events[0]?.error).toBeInstanceOf(typeorm.QueryFailedError)
      expect(events[0]?.rows).toBeUndefined()
      expect(blog.monitor.totals().errors).toBe(1)
    })

    it('carries the cache status set by withCacheStatus()', async () => {
      await withCacheStatus('miss', () => authors().findOneBy({ id: 1 }))
      await authors().findOneBy({ id: 1 })
      expect(events.map((e) => e.cache)).toEqual(['miss', undefined])
      expect(blog.monitor.totals().cache.miss).toBe(1)
    })

    it('detects N+1 for a loop of findOneBy inside monitor.scope(), naming the entity and the call site', async () => {
      const ids = (await authors().save(Array.from({ length: 6 }, (_, i) => ({ name: `n${i}` })))).map((a) => a.id)
      const reports: unknown[] = []
      await blog.monitor.scope(
        async () => {
          for (const id of ids) await authors().findOneBy({ id })
        },
        { name: 'loop', onReport: (r) => void reports.push(...r.nPlusOne) },
      )
      const [report] = blog.monitor.nPlusOne()
      expect(report).toMatchObject({ scope: 'loop', model: 'Author', source: 'typeorm' })
      expect(report?.count).toBe(6)
      expect(report?.callSite).toMatch(/monitoring\.test\.ts/)
      expect(reports).toHaveLength(1)
    })

    it('records raw queries and QueryBuilder statements', async () => {
      await blog.ds.query('SELECT 1')
      await blog.ds.createQueryBuilder(blog.entities.Widget, 'w').where('w.id > :id', { id: 0 }).getMany()
      expect(events).toHaveLength(2)
      expect(events[1]).toMatchObject({ model: 'Widget', tables: ['widgets'] })
    })
  })
}
