import { isPerfError } from '@perf/core'
import type { Model } from 'sequelize'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { associationLoader, pkLoader, sequelizePoolProbe, warm } from '../src/index.js'
import { DIALECTS, SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { counted, openShop, type ShopFixture } from './setup/shop.js'

const mariadbUp = await mariadbAvailable()
const available: Record<Dialect, boolean> = {
  postgres: await postgresAvailable(),
  mariadb: mariadbUp,
  mysql: mariadbUp,
}
const plain = (v: unknown) =>
  Array.isArray(v) ? v.map((m: Model) => m.get({ plain: true })) : v === null ? null : (v as Model).get({ plain: true })

for (const dialect of DIALECTS) {
  for (const { label, lib } of SEQUELIZE_VERSIONS) {
    describe.skipIf(!available[dialect])(`loaders on ${dialect}, ${label}`, () => {
      let shop: ShopFixture
      beforeEach(async () => {
        shop = await openShop(dialect, lib)
        await shop.Product.bulkCreate(
          Array.from({ length: 40 }, (_, i) => ({ name: `p${i}`, categoryId: 1 + (i % 2) })),
        )
      })
      afterEach(() => shop.close())

      it('pkLoader(): loads made in one tick are one statement; results match findByPk, missing ids are null', async () => {
        const products = pkLoader(shop.Product)
        const ids = [1, 2, 3, '4', 999, 2, ...Array.from({ length: 30 }, (_, i) => i + 5)]
        const { value, statements } = await counted(shop, () => Promise.all(ids.map((id) => products.load(id))))
        expect(statements).toBe(1)
        expect(value[4]).toBeNull()
        expect(value[1]).toBe(value[5])
        for (const [i, id] of ids.entries()) {
          if (id === 999) continue
          expect(value[i]).toBeInstanceOf(shop.Product)
          expect(plain(value[i])).toStrictEqual(plain(await shop.Product.findByPk(id)))
        }
      })

      it('pkLoader() splits at maxBatchSize and passes find options (attributes, paranoid, cache)', async () => {
        const products = pkLoader(shop.Product, {
          maxBatchSize: 10,
          find: { attributes: ['id', 'name'], cache: { ttl: '1m' } },
        })
        const ids = Array.from({ length: 25 }, (_, i) => i + 1)
        const first = await counted(shop, () => products.loadMany(ids))
        expect(first.statements).toBe(3)
        expect(Object.keys((first.value[0] as Model).get({ plain: true }))).toEqual(['id', 'name'])
        const again = pkLoader(shop.Product, {
          maxBatchSize: 10,
          find: { attributes: ['id', 'name'], cache: { ttl: '1m' } },
        })
        expect((await counted(shop, () => again.loadMany(ids))).statements).toBe(0)
      })

      it('associationLoader(): belongsTo, hasMany and belongsToMany in one statement per batch each', async () => {
        const products = await shop.Product.findAll({ where: { id: [1, 2, 3, 4] }, order: [['id', 'ASC']] })
        const category = associationLoader(shop.Product, 'category')
        const cats = await counted(shop, () => Promise.all(products.map((p) => category.load(p))))
        expect(cats.statements).toBe(1)
        expect(cats.value[0]).toBeInstanceOf(shop.Category)
        expect(plain(cats.value[0])).toStrictEqual(
          plain(await (products[0] as Model & { getCategory(): Promise<Model> }).getCategory()),
        )

        const labels = associationLoader(shop.Product, 'labels')
        const ls = await counted(shop, () => Promise.all(products.map((p) => labels.load(p.get('id') as number))))
        expect(ls.statements).toBe(1)
        expect((ls.value[0] as Model[]).map((l) => l.get('name')).sort()).toEqual(['blue', 'red'])
        expect(ls.value[1]).toEqual([])

        const ofCategory = associationLoader(shop.Category, 'products')
        const ps = await counted(shop, () => Promise.all([ofCategory.load(1), ofCategory.load(2), ofCategory.load(77)]))
        expect(ps.statements).toBe(1)
        expect((ps.value[0] as Model[]).length + (ps.value[1] as Model[]).length).toBe(42)
        expect(ps.value[2]).toEqual([])
      })

      it('associationLoader() of an unknown association is a typed error', () => {
        let error: unknown
        try {
          associationLoader(shop.Product, 'nope')
        } catch (e) {
          error = e
        }
        expect(isPerfError(error, 'INVALID_ARGUMENT')).toBe(true)
      })

      it('sequelizePoolProbe() reports the pool: connections in use while a transaction holds one', async () => {
        const probe = sequelizePoolProbe(shop.sequelize)
        expect(probe.name).toBe('sequelize')
        expect(probe.stats().max).toBe(5)
        await shop.sequelize.transaction(async () => {
          const s = probe.stats()
          expect(s.active).toBe(1)
          expect(s.total).toBeGreaterThanOrEqual(1)
        })
        expect(probe.stats().active).toBe(0)
      })

      it('instrument() with a monitor registers the pool: it joins monitor.health(); uninstrument() removes it', async () => {
        const pools = () => shop.monitor.health().metrics.pools
        expect(pools().map((p) => p.name)).toContain('sequelize')
        shop.perf.uninstrument()
        expect(pools().map((p) => p.name)).not.toContain('sequelize')
      })
    })
  }
}

for (const dialect of DIALECTS) {
  const { label, lib } = SEQUELIZE_VERSIONS[0]
  describe.skipIf(!available[dialect])(`warm() on ${dialect}, ${label}`, () => {
    let shop: ShopFixture
    beforeEach(async () => {
      shop = await openShop(dialect, lib, { defaults: { ttl: '5m' } })
      await shop.Product.bulkCreate(Array.from({ length: 23 }, (_, i) => ({ name: `w${i}`, stock: i % 3 })))
    })
    afterEach(() => shop.close())

    it('fills findByPk entries for the rows matching where, in batches, with progress', async () => {
      const progress: number[] = []
      const warmed = await warm(shop.Product, {
        where: { stock: 0 },
        batchSize: 3,
        concurrency: 2,
        onProgress: (p) => progress.push(p.warmed),
      })
      const rows = await shop.Product.findAll({ where: { stock: 0 }, cache: false })
      expect(warmed).toBe(rows.length)
      expect(progress.at(-1)).toBe(rows.length)
      expect(progress.length).toBe(Math.ceil(rows.length / 3))
      const hits = await counted(shop, () => Promise.all(rows.map((r) => shop.Product.findByPk(r.get('id') as number))))
      expect(hits.statements).toBe(0)
      const other = await shop.Product.findOne({ where: { stock: 1 }, cache: false })
      expect((await counted(shop, () => shop.Product.findByPk(other!.get('id') as number))).statements).toBe(1)
    })

    it('rejects a bad batchSize and stops on abort', async () => {
      await expect(warm(shop.Product, { batchSize: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION' })
      const controller = new AbortController()
      controller.abort()
      await expect(warm(shop.Product, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' })
    })
  })
}
