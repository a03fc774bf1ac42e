import type { ScopeReport } from '@perf/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { openShop, type ShopFixture } from './setup/shop.js'

const available: Record<Dialect, boolean> = { postgres: await postgresAvailable(), mariadb: await mariadbAvailable() }

for (const dialect of ['postgres', 'mariadb'] as const) {
  const { label, lib } = SEQUELIZE_VERSIONS[0]
  describe.skipIf(!available[dialect])(`monitoring on ${dialect}, ${label}`, () => {
    let shop: ShopFixture
    beforeEach(async () => {
      shop = await openShop(dialect, lib)
    })
    afterEach(() => shop.close())

    it('every statement is a QueryEvent: sql, model, operation, tables, rows, inTransaction; hits are events too', async () => {
      await shop.Product.findAll({ include: [{ model: shop.Category, as: 'category' }], cache: { ttl: '1m' } })
      await shop.Product.findAll({ include: [{ model: shop.Category, as: 'category' }], cache: { ttl: '1m' } })
      await shop.Label.update({ name: 'x' }, { where: { id: 1 } })
      const [miss, hit, write] = shop.events
      expect(miss).toMatchObject({
        source: 'sequelize',
        model: 'Product',
        operation: 'SELECT',
        cache: 'miss',
        rows: 2,
        inTransaction: false,
      })
      expect(miss!.tables).toEqual(['products', 'categories'])
      expect(hit).toMatchObject({ source: 'sequelize', model: 'Product', cache: 'hit', sql: miss!.sql })
      expect(write).toMatchObject({ model: 'Label', operation: 'BULKUPDATE', tables: ['labels'], rows: 1 })
      expect(write!.cache).toBeUndefined()
      expect(shop.events.every((e) => typeof e.durationMs === 'number' && e.durationMs >= 0)).toBe(true)
      const fingerprints = shop.monitor.fingerprints()
      expect(fingerprints.find((f) => f.model === 'Product')?.calls).toBe(2)
    })

    it('durations are measured around the driver call', async () => {
      // type SELECT: Sequelize 6's RAW result handling deletes `meta`, which mariadb 3.5 arrays refuse.
      await shop.sequelize.query(dialect === 'postgres' ? 'SELECT pg_sleep(0.06)' : 'SELECT SLEEP(0.06)', {
        type: lib.QueryTypes.SELECT,
      })
      const event = shop.events.find((e) => /sleep/i.test(e.sql ?? ''))
      expect(event!.durationMs).toBeGreaterThanOrEqual(55)
    })

    it('a failed statement is an event with its error', async () => {
      await expect(shop.sequelize.query('SELECT * FROM no_such_table')).rejects.toThrow()
      const event = shop.events.find((e) => /no_such_table/.test(e.sql ?? ''))
      expect(event?.error).toBeDefined()
    })

    it('transaction statements are marked inTransaction', async () => {
      await shop.sequelize.transaction(async (t) => {
        await shop.Label.findAll({ transaction: t })
      })
      const inside = shop.events.filter((e) => /labels/.test(e.sql ?? ''))
      expect(inside.length).toBe(1)
      expect(inside[0]!.inTransaction).toBe(true)
      expect(shop.events.find((e) => /^COMMIT/i.test(e.sql ?? ''))?.inTransaction).toBe(true)
    })

    it('N+1 inside monitor.scope(): a findByPk per row is reported with its model', async () => {
      let report: ScopeReport | undefined
      await shop.monitor.scope(
        async () => {
          for (const id of [1, 2, 1, 2, 1, 2]) await shop.Product.findByPk(id)
        },
        { name: 'list', threshold: 5, onReport: (r) => (report = r) },
      )
      expect(report?.nPlusOne[0]).toMatchObject({ model: 'Product', source: 'sequelize' })
    })
  })
}
