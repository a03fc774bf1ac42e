import type { Model } from 'sequelize'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { counted, openShop, type ShopFixture } from './setup/shop.js'

const available: Record<Dialect, boolean> = { postgres: await postgresAvailable(), mariadb: await mariadbAvailable() }
const cache = { ttl: '5m' }
const plainOf = (rows: Model[]) => rows.map((r) => r.get({ plain: true }))

for (const dialect of ['postgres', 'mariadb'] as const) {
  for (const { label, lib } of SEQUELIZE_VERSIONS) {
    describe.skipIf(!available[dialect])(`cached reads on ${dialect}, ${label}`, () => {
      let shop: ShopFixture
      beforeEach(async () => {
        shop = await openShop(dialect, lib)
      })
      afterEach(() => shop.close())

      /** Reads twice through the cache: the second read sends no statement. Returns the hit and the uncached value. */
      async function hitAndDb<T>(read: (cached: boolean) => Promise<T>): Promise<{ hit: T; db: T; miss: T }> {
        const miss = await counted(shop, () => read(true))
        expect(miss.statements).toBeGreaterThan(0)
        const hit = await counted(shop, () => read(true))
        expect(hit.statements).toBe(0)
        const db = await read(false)
        return { hit: hit.value, db, miss: miss.value }
      }

      it('findByPk() hit is a real instance equal to the database path: DATE, DECIMAL, BIGINT, JSON, ENUM, BLOB, getters', async () => {
        const { Product } = shop
        const { hit, db, miss } = await hitAndDb((c) => Product.findByPk(1, c ? { cache } : {}))
        expect(hit).toBeInstanceOf(Product)
        expect(hit).toStrictEqual(miss)
        const values = hit!.get({ plain: true }) as Record<string, unknown>
        expect(values).toStrictEqual(db!.get({ plain: true }))
        expect(values.releasedAt).toBeInstanceOf(Date)
        // DECIMAL: a string on PostgreSQL, what the mariadb driver gives on MariaDB; the same either way.
        expect(typeof values.price).toBe(dialect === 'postgres' ? 'string' : typeof db!.get('price'))
        expect(Buffer.isBuffer(values.image)).toBe(true)
        expect(values.data).toEqual({ weight: 1.5, tags: ['steel'], nested: { ok: true } })
        expect(values.status).toBe('live')
        expect(hit!.get('label')).toBe('hammer (live)')
        expect(hit!.isNewRecord).toBe(false)
      })

      it('a hit instance saves, updates and reloads like one from the database', async () => {
        const { Product } = shop
        await Product.findByPk(1, { cache })
        const hit = (await Product.findByPk(1, { cache }))!
        hit.set('stock', 7)
        await hit.save()
        expect((await Product.findByPk(1))!.get('stock')).toBe(7)
        await hit.update({ name: 'mallet' })
        const again = await counted(shop, () => Product.findByPk(1, { cache }))
        expect(again.statements).toBeGreaterThan(0)
        expect(again.value!.get('name')).toBe('mallet')
        await shop.db.sql(`UPDATE products SET stock = 99 WHERE id = 1`)
        await hit.reload()
        expect(hit.get('stock')).toBe(99)
      })

      it('findAll() with include: belongsTo and belongsToMany (through rows) come back as instances', async () => {
        const { Product, Category, Label, ProductLabel } = shop
        const read = (c: boolean) =>
          Product.findAll({
            include: [
              { model: Category, as: 'category' },
              { model: Label, as: 'labels' },
            ],
            order: [
              ['id', 'ASC'],
              [{ model: Label, as: 'labels' }, 'id', 'ASC'],
            ],
            ...(c ? { cache } : {}),
          })
        const { hit, db, miss } = await hitAndDb(read)
        // Instances carry the call's options (so `cache` too): compare with the miss, values with the uncached read.
        expect(hit).toStrictEqual(miss)
        const first = hit[0] as Model & { category: Model; labels: (Model & { ProductLabel: Model })[] }
        expect(first.category).toBeInstanceOf(Category)
        expect(first.labels).toHaveLength(2)
        expect(first.labels[0]).toBeInstanceOf(Label)
        expect(first.labels[0]!.ProductLabel).toBeInstanceOf(ProductLabel)
        expect(plainOf(hit)).toStrictEqual(plainOf(db))
      })

      it('raw: true returns plain objects equal to the database path', async () => {
        const { Product, Category } = shop
        const { hit, db } = await hitAndDb((c) =>
          Product.findAll({
            raw: true,
            include: [{ model: Category, as: 'category' }],
            order: [['id', 'ASC']],
            ...(c ? { cache } : {}),
          }),
        )
        expect(hit).toStrictEqual(db)
        expect(Object.getPrototypeOf(hit[0])).toBe(Object.prototype)
      })

      it('findAndCountAll(), count(), max(), min() and sum() are cached and equal the database path', async () => {
        const { Product } = shop
        const fc = await hitAndDb((c) =>
          Product.findAndCountAll({ where: { stock: { [lib.Op.gte]: 0 } }, ...(c ? { cache } : {}) }),
        )
        expect(fc.hit).toStrictEqual(fc.miss)
        expect(plainOf(fc.hit.rows)).toStrictEqual(plainOf(fc.db.rows))
        expect(fc.hit.count).toBe(2)
        for (const read of [
          (c: boolean) => Product.count(c ? { cache } : {}),
          (c: boolean) => Product.max('price', c ? { cache } : {}),
          (c: boolean) => Product.min('stock', c ? { cache } : {}),
          (c: boolean) => Product.sum('stock', c ? { cache } : {}),
        ]) {
          const { hit, db } = await hitAndDb(read)
          expect(hit).toStrictEqual(db)
        }
      })

      it('paranoid rows stay excluded on a hit, paranoid: false includes them; scopes apply', async () => {
        const { Product } = shop
        await Product.destroy({ where: { name: 'saw' } })
        const visible = await hitAndDb((c) => Product.findAll({ order: [['id', 'ASC']], ...(c ? { cache } : {}) }))
        expect(visible.hit.map((p) => p.get('name'))).toEqual(['hammer'])
        expect(visible.hit).toStrictEqual(visible.miss)
        expect(plainOf(visible.hit)).toStrictEqual(plainOf(visible.db))
        const all = await hitAndDb((c) =>
          Product.findAll({ paranoid: false, order: [['id', 'ASC']], ...(c ? { cache } : {}) }),
        )
        expect(all.hit.map((p) => p.get('name'))).toEqual(['hammer', 'saw'])
        expect(all.hit).toStrictEqual(all.miss)
        expect(plainOf(all.hit)).toStrictEqual(plainOf(all.db))
        await Product.restore({ where: { name: 'saw' } })
        const live = await hitAndDb((c) => Product.scope('live').findAll(c ? { cache } : {}))
        expect(live.hit.map((p) => p.get('name'))).toEqual(['hammer'])
        // Each Product.scope() call makes its own subclass, so compare values, and the class family.
        expect(live.hit[0]).toBeInstanceOf(Product)
        expect(plainOf(live.hit)).toStrictEqual(plainOf(live.db))
      })

      it('findOne() that finds nothing caches the null too', async () => {
        const { Product } = shop
        const { hit, db } = await hitAndDb((c) =>
          Product.findOne({ where: { name: 'nothing' }, ...(c ? { cache } : {}) }),
        )
        expect(hit).toBeNull()
        expect(db).toBeNull()
      })

      it('tags given on the call are added to the table tags', async () => {
        const { Product } = shop
        await Product.findAll({ cache: { ttl: '5m', tags: ['catalog'] } })
        expect(
          (await counted(shop, () => Product.findAll({ cache: { ttl: '5m', tags: ['catalog'] } }))).statements,
        ).toBe(0)
        await shop.cache.invalidateTags(['catalog'])
        expect(
          (await counted(shop, () => Product.findAll({ cache: { ttl: '5m', tags: ['catalog'] } }))).statements,
        ).toBeGreaterThan(0)
      })

      it('raw sequelize.query() reads are cached only when asked, and then equal the uncached result', async () => {
        const { sequelize } = shop
        const sql = 'SELECT id, name FROM products ORDER BY id'
        const type = lib.QueryTypes.SELECT
        expect((await counted(shop, () => sequelize.query(sql, { type }))).statements).toBe(1)
        expect((await counted(shop, () => sequelize.query(sql, { type }))).statements).toBe(1)
        const { hit, db } = await hitAndDb((c) => sequelize.query(sql, { type, ...(c ? { cache } : {}) }))
        expect(hit).toStrictEqual(db)
      })
    })
  }
}
