import type { Model } from 'sequelize'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DIALECTS, SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { counted, openShop, type ShopFixture } from './setup/shop.js'

const mariadbUp = await mariadbAvailable()
const available: Record<Dialect, boolean> = {
  postgres: await postgresAvailable(),
  mariadb: mariadbUp,
  mysql: mariadbUp,
}
const cache = { ttl: '5m' }

/** Sequelize's own behaviours that instrument() could break, exercised with it installed (and a cache on). */
for (const dialect of DIALECTS) {
  for (const { label, lib } of SEQUELIZE_VERSIONS) {
    describe.skipIf(!available[dialect])(`Sequelize behaviours with instrument() on ${dialect}, ${label}`, () => {
      let shop: ShopFixture
      beforeEach(async () => {
        shop = await openShop(dialect, lib, { defaults: { ttl: '5m' } })
      })
      afterEach(() => shop.close())

      it('paranoid: destroy() soft-deletes, force: true hard-deletes, restore() brings rows back', async () => {
        const { Product } = shop
        await Product.destroy({ where: { id: 2 } })
        expect(await Product.count()).toBe(1)
        const gone = (await Product.findByPk(2, { paranoid: false })) as Model
        expect(gone.get('deletedAt')).toBeInstanceOf(Date)
        await Product.restore({ where: { id: 2 } })
        expect(await Product.count()).toBe(2)
        await Product.destroy({ where: { id: 2 }, force: true })
        expect(await Product.count({ paranoid: false })).toBe(1)
      })

      it('scopes: named and default scopes filter cached reads as they filter the database', async () => {
        const { Product } = shop
        expect((await Product.scope('live').findAll()).map((p) => p.get('name'))).toEqual(['hammer'])
        expect((await Product.scope('live').findAll()).map((p) => p.get('name'))).toEqual(['hammer'])
        await Product.update({ status: 'live' }, { where: { id: 2 } })
        expect(await Product.scope('live').count()).toBe(2)
        Product.addScope('defaultScope', { where: { stock: 0 } }, { override: true })
        try {
          expect((await Product.findAll()).map((p) => p.get('name'))).toEqual(['saw'])
          expect((await Product.unscoped().findAll()).length).toBe(2)
        } finally {
          Product.addScope('defaultScope', {}, { override: true })
        }
      })

      it.skipIf(dialect !== 'postgres')(
        'returning: update() returns the changed rows as instances (PostgreSQL only: MariaDB/MySQL have no UPDATE ... RETURNING)',
        async () => {
          const { Product } = shop
          const [count, rows] = await Product.update({ stock: 40 }, { where: { id: 1 }, returning: true })
          expect(count).toBe(1)
          expect(rows[0]).toBeInstanceOf(Product)
          expect(rows[0]!.get('stock')).toBe(40)
          const created = await Product.create({ name: 'rake' }, { returning: true })
          expect(created.get('id')).toBeDefined()
          expect(((await Product.findByPk(1)) as Model).get('stock')).toBe(40)
        },
      )

      it('bulkCreate() and create() give back generated ids; the next cached read sees them', async () => {
        const { Label } = shop
        await Label.findAll()
        const made = await Label.bulkCreate([{ name: 'x' }, { name: 'y' }])
        expect(made.every((l) => typeof l.get('id') === 'number')).toBe(true)
        expect(await Label.count()).toBe(4)
      })

      it('individualHooks: update() and destroy() run the per-instance hooks', async () => {
        const { Product } = shop
        const seen: string[] = []
        Product.addHook('beforeUpdate', 'perf-test', (p: Model) => void seen.push(`update ${String(p.get('id'))}`))
        Product.addHook('afterDestroy', 'perf-test-d', (p: Model) => void seen.push(`destroy ${String(p.get('id'))}`))
        try {
          await Product.update({ stock: 1 }, { where: {}, individualHooks: true })
          await Product.destroy({ where: { id: 2 }, individualHooks: true })
        } finally {
          Product.removeHook('beforeUpdate', 'perf-test')
          Product.removeHook('afterDestroy', 'perf-test-d')
        }
        expect(seen.sort()).toEqual(['destroy 2', 'update 1', 'update 2'])
        expect(await Product.sum('stock')).toBe(1)
      })

      it("the user's own hooks run, on cache hits too: beforeFind can change the query, afterFind sees instances", async () => {
        const { Label } = shop
        const found: unknown[] = []
        Label.addHook('afterFind', 'perf-test', (result: unknown) => void found.push(result))
        Label.addHook('beforeFind', 'perf-test-b', (options: { where?: unknown }) => {
          if ((options as { onlyRed?: boolean }).onlyRed === true) options.where = { name: 'red' }
        })
        try {
          await Label.findAll({ cache })
          const hit = await counted(shop, () => Label.findAll({ cache }))
          expect(hit.statements).toBe(0)
          expect(found).toHaveLength(2)
          expect((found[1] as Model[])[0]).toBeInstanceOf(Label)
          const red = await Label.findAll({ cache, onlyRed: true } as never)
          expect(red.map((l) => l.get('name'))).toEqual(['red'])
        } finally {
          Label.removeHook('afterFind', 'perf-test')
          Label.removeHook('beforeFind', 'perf-test-b')
        }
      })

      it('a user hook that writes inside a create() invalidates what it wrote', async () => {
        const { Label, Category } = shop
        await Category.findAll()
        Label.addHook('afterCreate', 'perf-test', async (_l: Model, options: { transaction?: unknown }) => {
          await Category.create({ name: 'from-hook' }, { transaction: options.transaction as never })
        })
        try {
          await Label.create({ name: 'z' })
        } finally {
          Label.removeHook('afterCreate', 'perf-test')
        }
        expect((await Category.findAll()).map((c) => c.get('name'))).toContain('from-hook')
      })

      it('findOrCreate() (a transaction of its own) and increment() work and are seen by the next cached read', async () => {
        const { Category, Product } = shop
        await Category.findAll()
        const [cat, created] = await Category.findOrCreate({ where: { name: 'garden' } })
        expect(created).toBe(true)
        expect(cat).toBeInstanceOf(Category)
        expect((await Category.findAll()).length).toBe(3)
        await Product.increment({ stock: 5 }, { where: { id: 1 } })
        expect(((await Product.findByPk(1)) as Model).get('stock')).toBe(8)
      })

      it('validation errors and unique violations surface as Sequelize errors, unchanged', async () => {
        const { Label, Product } = shop
        await expect(Label.create({})).rejects.toBeInstanceOf(lib.ValidationError)
        await expect(Product.create({ id: 1, name: 'dup' })).rejects.toBeInstanceOf(lib.UniqueConstraintError)
      })
    })
  }
}
