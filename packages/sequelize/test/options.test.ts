import { MemoryStore, createCache, isPerfError } from '@perf/core'
import { afterEach, describe, expect, it } from 'vitest'
import { instrument } from '../src/index.js'
import { SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { counted, openShop, type ShopFixture } from './setup/shop.js'

const available: Record<Dialect, boolean> = { postgres: await postgresAvailable(), mariadb: await mariadbAvailable() }

async function code(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    return isPerfError(error) ? error.code : `not a PerfError: ${String(error)}`
  }
  return undefined
}

for (const dialect of ['postgres', 'mariadb'] as const) {
  const { label, lib } = SEQUELIZE_VERSIONS[0]
  describe.skipIf(!available[dialect])(`options on ${dialect}, ${label}`, () => {
    let shop: ShopFixture | undefined
    afterEach(async () => {
      await shop?.close()
      shop = undefined
    })

    it('defaults cache every model read without a cache option; cache: false opts out; raw and catalog reads are not cached', async () => {
      const s = (shop = await openShop(dialect, lib, { defaults: { ttl: '5m' } }))
      await s.Product.findAll()
      expect((await counted(s, () => s.Product.findAll())).statements).toBe(0)
      expect((await counted(s, () => s.Label.count())).statements).toBe(1)
      expect((await counted(s, () => s.Label.count())).statements).toBe(0)
      expect((await counted(s, () => s.Product.findAll({ cache: false }))).statements).toBe(1)
      const raw = () => s.sequelize.query('SELECT * FROM labels', { type: lib.QueryTypes.SELECT })
      expect((await counted(s, raw)).statements).toBe(1)
      expect((await counted(s, raw)).statements).toBe(1)
      const cachedReads = () => s.perf.stats().hits + s.perf.stats().misses
      const before = cachedReads()
      await s.sequelize.getQueryInterface().showAllTables()
      await s.sequelize.getQueryInterface().showAllTables()
      await s.sequelize.getQueryInterface().showIndex('products')
      await s.sequelize.getQueryInterface().showIndex('products')
      expect(cachedReads()).toBe(before)
    })

    it('models: per-model settings apply by default, false keeps a model uncached under defaults', async () => {
      const s = (shop = await openShop(dialect, lib, {
        defaults: { ttl: '5m' },
        models: { Label: false, Category: { ttl: '1m', tags: ['cats'] } },
      }))
      await s.Label.findAll()
      expect((await counted(s, () => s.Label.findAll())).statements).toBe(1)
      expect((await counted(s, () => s.Label.findAll({ cache: true }))).statements).toBe(1)
      expect((await counted(s, () => s.Label.findAll({ cache: true }))).statements).toBe(0)
      await s.Category.findAll()
      expect((await counted(s, () => s.Category.findAll())).statements).toBe(0)
      await s.cache.invalidateTags(['cats'])
      expect((await counted(s, () => s.Category.findAll())).statements).toBe(1)
    })

    it('models alone, without defaults, cache only the models named', async () => {
      const s = (shop = await openShop(dialect, lib, { models: { Category: true } }))
      await s.Category.findAll()
      await s.Product.findAll()
      expect((await counted(s, () => s.Category.findAll())).statements).toBe(0)
      expect((await counted(s, () => s.Product.findAll())).statements).toBe(1)
    })

    it('cache on a write, a negative ttl or unknown settings are typed errors, and the write does not run', async () => {
      const s = (shop = await openShop(dialect, lib))
      const writes = s.statements()
      const cache = { ttl: '1m' } as never
      expect(await code(s.Product.update({ stock: 1 }, { where: {}, cache } as never))).toBe('INVALID_CACHE_STRATEGY')
      expect(await code(s.Product.destroy({ where: {}, cache } as never))).toBe('INVALID_CACHE_STRATEGY')
      expect(await code(s.Label.create({ name: 'x' }, { cache } as never))).toBe('INVALID_CACHE_STRATEGY')
      expect(await code(s.sequelize.query('UPDATE labels SET name = 1', { cache } as never))).toBe(
        'INVALID_CACHE_STRATEGY',
      )
      expect(await code(s.Product.findAll({ cache: { ttl: -1 } }))).toBe('INVALID_TTL')
      expect(await code(s.Product.findAll({ cache: { ttl: 'soon' as never } }))).toBe('INVALID_TTL')
      expect(await code(s.Product.findAll({ cache: { ttl: 1, nope: 1 } as never }))).toBe('INVALID_CACHE_STRATEGY')
      expect(await code(s.Product.findAll({ cache: 'yes' as never }))).toBe('INVALID_CACHE_STRATEGY')
      expect(s.statements()).toBe(writes)
      expect(await s.Label.count()).toBe(2)
    })

    it('instrument() rejects unknown models, bad options, a second instrument() and other dialects', async () => {
      const s = (shop = await openShop(dialect, lib))
      const cache = createCache({ tiers: [new MemoryStore()] })
      s.perf.uninstrument()
      expect(await code(() => instrument(s.sequelize, { cache, models: { Nope: { ttl: 1 } } }))).toBe('UNKNOWN_MODEL')
      expect(await code(() => instrument(s.sequelize, { cache, defaults: { ttl: -5 } }))).toBe('INVALID_TTL')
      expect(await code(() => instrument(s.sequelize, { cache, wat: 1 } as never))).toBe('INVALID_OPTION')
      expect(await code(() => instrument(s.sequelize, { cache: {} as never }))).toBe('INVALID_OPTION')
      expect(await code(() => instrument(s.sequelize, { defaults: { ttl: 1 } }))).toBe('INVALID_OPTION')
      expect(await code(() => instrument({} as never))).toBe('INVALID_ARGUMENT')
      const other = new lib.Sequelize('sqlite::memory:', { dialect: 'sqlite', logging: false, dialectModule: {} })
      expect(await code(() => instrument(other))).toBe('INVALID_ARGUMENT')
      const perf = instrument(s.sequelize, { cache })
      expect(await code(() => instrument(s.sequelize, { cache }))).toBe('INVALID_ARGUMENT')
      perf.uninstrument()
      await cache.close()
    })

    it('uninstrument() restores Sequelize: no caching, no events, connections already wrapped pass through', async () => {
      const s = (shop = await openShop(dialect, lib))
      await s.Product.findAll({ cache: { ttl: '5m' } })
      const Query = (s.sequelize as unknown as { dialect: { Query: unknown } }).dialect.Query
      s.perf.uninstrument()
      s.perf.uninstrument()
      expect((s.sequelize as unknown as { dialect: { Query: unknown } }).dialect.Query).not.toBe(Query)
      const events = s.events.length
      expect((await counted(s, () => s.Product.findAll({ cache: { ttl: '5m' } }))).statements).toBe(1)
      await s.Product.update({ stock: 9 }, { where: { id: 1 } })
      expect(s.events.length).toBe(events)
      const again = instrument(s.sequelize, { cache: s.cache, monitor: s.monitor })
      await s.Product.findAll({ cache: { ttl: '5m' } })
      expect((await counted(s, () => s.Product.findAll({ cache: { ttl: '5m' } }))).statements).toBe(0)
      again.uninstrument()
    })

    it('a cache tier that throws never fails a read or a write', async () => {
      const broken = createCache({
        tiers: [
          {
            ...new MemoryStore(),
            capabilities: {},
            get: () => Promise.reject(new Error('down')),
            getMany: () => Promise.reject(new Error('down')),
            set: () => Promise.reject(new Error('down')),
            delete: () => Promise.reject(new Error('down')),
            clear: () => Promise.reject(new Error('down')),
          } as never,
        ],
      })
      const s = (shop = await openShop(dialect, lib, { cache: broken }))
      expect((await s.Product.findAll({ cache: { ttl: '5m' } })).length).toBe(2)
      await s.Product.update({ stock: 1 }, { where: {} })
      expect(await s.Product.sum('stock', { cache: { ttl: '5m' } })).toBe(2)
      await broken.close()
    })
  })
}
