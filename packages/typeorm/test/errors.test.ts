import { createCache, isPerfError, MemoryStore } from '@perf/core'
import { chaosStore } from '@perf/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { instrument, type InstrumentOptions } from '../src/index.js'
import { MATRIX, cachedFrom, has, openBlog } from './fixtures/inst-harness.js'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return isPerfError(err) ? err.code : `not a PerfError: ${String(err)}`
  }
  return undefined
}

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`instrument() errors and uninstrument() — ${label}`, () => {
    let blog: Awaited<ReturnType<typeof openBlog>>

    beforeAll(async () => {
      blog = await openBlog(typeorm, create)
    })
    afterAll(async () => {
      await blog?.close()
    })

    it('rejects malformed options with INVALID_OPTION', () => {
      const bad: unknown[] = [
        'yes',
        { cach: blog.cache },
        { cache: {} },
        { monitor: { record: 1 } },
        { invalidate: 'yes', cache: blog.cache },
        { invalidate: true },
        { cache: blog.cache, onError: 'log' },
        { defaults: { ttl: 1000 } },
        { cache: blog.cache, entities: { Author: 'yes' } },
      ]
      for (const options of bad)
        expect(code(() => instrument(blog.ds, options as InstrumentOptions))).toBe('INVALID_OPTION')
    })

    it('rejects an unknown entity name with UNKNOWN_MODEL and a bad ttl with INVALID_TTL', () => {
      expect(code(() => instrument(blog.ds, { cache: blog.cache, entities: { Nope: {} } }))).toBe('UNKNOWN_MODEL')
      expect(code(() => instrument(blog.ds, { cache: blog.cache, defaults: { ttl: -1 } }))).toBe('INVALID_TTL')
      expect(code(() => instrument(blog.ds, { cache: blog.cache, entities: { Author: { ttl: 'soon' } } }))).toBe(
        'INVALID_TTL',
      )
      // Nothing was left installed by the failed calls.
      const perf = instrument(blog.ds, { cache: blog.cache, entities: { Author: { ttl: '1m' }, Widget: {} } })
      perf.uninstrument()
    })

    it('rejects a DataSource that is not initialized, or instrumented twice, with INVALID_ARGUMENT', () => {
      const fresh = new typeorm.DataSource({ ...(blog.ds.options as object), entities: [] } as never)
      expect(code(() => instrument(fresh))).toBe('INVALID_ARGUMENT')
      expect(code(() => instrument({} as never))).toBe('INVALID_ARGUMENT')
      const perf = instrument(blog.ds, { monitor: blog.monitor })
      try {
        expect(code(() => instrument(blog.ds, { monitor: blog.monitor }))).toBe('INVALID_ARGUMENT')
      } finally {
        perf.uninstrument()
      }
      instrument(blog.ds).uninstrument()
    })

    it('uninstrument() restores the driver and turns runners wrapped earlier into pass-throughs', async () => {
      const driver = blog.ds.driver as unknown as Record<string, unknown>
      const before = driver.createQueryRunner
      const perf = instrument(blog.ds, { cache: blog.cache, monitor: blog.monitor })
      expect(driver.createQueryRunner).not.toBe(before)
      const early = blog.ds.createQueryRunner()
      perf.uninstrument()
      perf.uninstrument()
      expect(driver.createQueryRunner).toBe(before)
      expect(Object.prototype.hasOwnProperty.call(driver, 'createQueryRunner')).toBe(false)

      blog.monitor.reset()
      const key = await cachedFrom(blog.cache, 'widgets')
      try {
        await early.query(`INSERT INTO widgets (name) VALUES ('early')`)
      } finally {
        await early.release()
      }
      await blog.ds.getRepository(blog.entities.Widget).insert({ name: 'after' })
      expect(await has(blog.cache, key)).toBe(true)
      expect(blog.monitor.totals().calls).toBe(0)
    })

    it('a closed cache does not fail the write: the failure is counted and given to onError', async () => {
      const closed = createCache({ tiers: [new MemoryStore()] })
      await closed.close()
      const errors: unknown[] = []
      const perf = instrument(blog.ds, {
        cache: closed,
        onError: (err, context) => {
          errors.push(err, context)
          throw new Error('a throwing onError is contained too')
        },
      })
      try {
        await blog.ds.getRepository(blog.entities.Widget).insert({ name: 'closed cache' })
        await blog.ds.transaction((m) => m.insert(blog.entities.Widget, { name: 'closed cache tx' }))
      } finally {
        perf.uninstrument()
      }
      expect(await blog.ds.getRepository(blog.entities.Widget).countBy({ name: 'closed cache' })).toBe(1)
      expect(perf.stats()).toEqual({ invalidations: 2, invalidationFailures: 2 })
      expect(isPerfError(errors[0], 'CACHE_CLOSED')).toBe(true)
      expect(errors[1]).toMatchObject({ tags: ['table:widgets'] })
      expect(errors[3]).toMatchObject({ tags: ['table:widgets'], sql: 'COMMIT' })
    })

    it('a failing cache tier does not fail the write', async () => {
      const chaos = chaosStore(new MemoryStore()).fail('*')
      const cache = createCache({ tiers: [chaos.store] })
      const perf = instrument(blog.ds, { cache })
      try {
        await blog.ds.getRepository(blog.entities.Widget).insert({ name: 'failing tier' })
        await blog.ds.getRepository(blog.entities.Widget).delete({ name: 'failing tier' })
      } finally {
        perf.uninstrument()
        await cache.close().catch(() => undefined)
      }
      expect(perf.stats().invalidations).toBe(2)
    })
  })
}
