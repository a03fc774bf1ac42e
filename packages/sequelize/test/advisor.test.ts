import type { Model } from 'sequelize'
import type { ScopeReport } from '@perf/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sequelizeAdvisor } from '../src/index.js'
import { DIALECTS, SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { openShop, type ShopFixture } from './setup/shop.js'

const mariadbUp = await mariadbAvailable()
const available: Record<Dialect, boolean> = {
  postgres: await postgresAvailable(),
  mariadb: mariadbUp,
  mysql: mariadbUp,
}

type WithGetters = Model & {
  getCategory(): Promise<Model | null>
  getLabels(): Promise<Model[]>
  getProducts(): Promise<Model[]>
}

for (const dialect of DIALECTS) {
  const { label, lib } = SEQUELIZE_VERSIONS[0]
  describe.skipIf(!available[dialect])(`sequelizeAdvisor() on ${dialect}, ${label}`, () => {
    let shop: ShopFixture
    beforeEach(async () => {
      shop = await openShop(dialect, lib)
    })
    afterEach(() => shop.close())

    /** The suggestion of the one N+1 finding `loop` makes inside a scope (threshold 3). */
    async function suggestionOf(loop: () => Promise<unknown>): Promise<string | undefined> {
      let report: ScopeReport | undefined
      await shop.monitor.scope(loop, { name: 'loop', threshold: 3, onReport: (r) => (report = r) })
      expect(report?.nPlusOne.length).toBe(1)
      expect(report?.nPlusOne[0]?.source).toBe('sequelize')
      return report?.nPlusOne[0]?.suggestion
    }

    it('a loop of findByPk on a model no belongsTo points at: pkLoader(Model)', async () => {
      const suggestion = await suggestionOf(async () => {
        for (const id of [1, 2, 1, 2]) await shop.Product.findByPk(id)
      })
      expect(suggestion).toBe('use pkLoader(Product) from @perf/sequelize')
    })

    it("a loop of product.getCategory(): the belongsTo's associationLoader, its include, or pkLoader", async () => {
      const products = (await shop.Product.findAll()) as WithGetters[]
      const suggestion = await suggestionOf(async () => {
        for (const p of [...products, ...products]) await p.getCategory()
      })
      expect(suggestion).toBe(
        "use associationLoader(Product, 'category') from @perf/sequelize (or include: 'category' on the Product query, or pkLoader(Category))",
      )
    })

    it("a loop of category.getProducts() or findAll({ where: { categoryId } }): the hasMany's loader", async () => {
      const categories = (await shop.Category.findAll()) as WithGetters[]
      const viaGetter = await suggestionOf(async () => {
        for (const c of [...categories, ...categories]) await c.getProducts()
      })
      const viaWhere = await suggestionOf(async () => {
        for (const id of [1, 2, 1, 2]) await shop.Product.findAll({ where: { categoryId: id } })
      })
      const expected =
        "use associationLoader(Category, 'products') from @perf/sequelize (or include: 'products' on the Category query)"
      expect(viaGetter).toBe(expected)
      expect(viaWhere).toBe(expected)
    })

    it("a loop of product.getLabels() (the through table filtered by the product): the belongsToMany's loader", async () => {
      const products = (await shop.Product.findAll()) as WithGetters[]
      const suggestion = await suggestionOf(async () => {
        for (const p of [...products, ...products]) await p.getLabels()
      })
      expect(suggestion).toBe(
        "use associationLoader(Product, 'labels') from @perf/sequelize (or include: 'labels' on the Product query)",
      )
    })

    it('a loop filtering on a column no loader batches has no suggestion', async () => {
      const suggestion = await suggestionOf(async () => {
        for (const name of ['a', 'b', 'c', 'd']) await shop.Label.findAll({ where: { name } })
      })
      expect(suggestion).toBeUndefined()
    })

    it('answers for findings of this instance only; uninstrument() removes it from the monitor', async () => {
      const advise = sequelizeAdvisor(shop.sequelize)
      const quote = dialect === 'postgres' ? '"' : '`'
      const q = (s: string) => `${quote}${s}${quote}`
      const sql = `SELECT ${q('id')} FROM ${q('products')} AS ${q('Product')} WHERE ${q('Product')}.${q('id')} = 7`
      expect(advise({ source: 'sequelize', fingerprint: sql.replace('7', '?'), fingerprintId: 'f' })).toBe(
        'use pkLoader(Product) from @perf/sequelize',
      )
      expect(
        advise({
          source: 'sequelize',
          fingerprint: 'SELECT * FROM "other" AS "Other" WHERE "Other"."id" = ?',
          fingerprintId: 'g',
        }),
      ).toBeUndefined()
      const recorded = async () => {
        let report: ScopeReport | undefined
        await shop.monitor.scope(
          async () => {
            for (let i = 0; i < 4; i++)
              shop.monitor.record({ source: 'sequelize', sql, durationMs: 1, model: 'Product' })
          },
          { name: 'manual', threshold: 3, onReport: (r) => (report = r) },
        )
        return report?.nPlusOne[0]
      }
      expect((await recorded())?.suggestion).toBe('use pkLoader(Product) from @perf/sequelize')
      shop.perf.uninstrument()
      const after = await recorded()
      expect(after).toBeDefined()
      expect(after?.suggestion).toBeUndefined()
    })
  })
}
