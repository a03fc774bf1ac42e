import type { Model } from 'sequelize'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DIALECTS, SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { instrument } from '../src/index.js'
import { counted, openShop, type ShopFixture } from './setup/shop.js'

const mariadbUp = await mariadbAvailable()
const available: Record<Dialect, boolean> = {
  postgres: await postgresAvailable(),
  mariadb: mariadbUp,
  mysql: mariadbUp,
}
const cache = { ttl: '5m' }

type Inst = Model & { _options: Record<string, unknown>; _previousDataValues: Record<string, unknown> }

/** Everything a caller can observe of an instance, included instances too. */
function observed(instance: Inst): unknown {
  const nested = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(nested)
      : value && typeof value === 'object' && 'dataValues' in value
        ? observed(value as Inst)
        : value
  return {
    class: (instance.constructor as { name: string }).name,
    json: instance.toJSON(),
    plain: instance.get({ plain: true }),
    keys: Object.keys(instance.dataValues),
    previous: Object.keys(instance._previousDataValues),
    changed: instance.changed(),
    isNewRecord: instance.isNewRecord,
    attributes: instance._options.attributes,
    includes: Object.fromEntries(
      ((instance._options.includeNames as string[] | undefined) ?? []).map((n) => [n, nested(instance.get(n))]),
    ),
  }
}

/** @see issue 11: hits above the finder, without SQL generation or a pool connection. */
for (const dialect of DIALECTS) {
  for (const { label, lib } of SEQUELIZE_VERSIONS) {
    describe.skipIf(!available[dialect])(`fast hit path on ${dialect}, ${label}`, () => {
      let shop: ShopFixture
      beforeEach(async () => {
        shop = await openShop(dialect, lib)
      })
      afterEach(() => shop.close())

      it('findAll() with includes: a hit takes no pool connection and equals the database path', async () => {
        const { Product, Category, Label } = shop
        const options = () => ({
          include: [
            { model: Category, as: 'category' },
            { model: Label, as: 'labels' },
          ],
          order: [['id', 'ASC']] as [string, string][],
        })
        const fromDb = (await Product.findAll(options())) as Inst[]
        await Product.findAll({ ...options(), cache })
        const manager = shop.sequelize.connectionManager as unknown as { getConnection(...a: unknown[]): unknown }
        const get = manager.getConnection
        let leased = 0
        manager.getConnection = function (this: unknown, ...args: unknown[]) {
          leased++
          return get.apply(this, args)
        }
        const hit = await counted(shop, () => Product.findAll({ ...options(), cache }))
        manager.getConnection = get
        expect(hit.statements).toBe(0)
        expect(leased).toBe(0)
        expect((hit.value as Inst[]).map(observed)).toEqual(fromDb.map(observed))
        expect(hit.value[0]).toBeInstanceOf(Product)
        expect(hit.value[0]!.get('category')).toBeInstanceOf(Category)
        expect((hit.value[0]!.get('labels') as Model[])[0]).toBeInstanceOf(Label)
      })

      it('a closed cache fails no read: the finders run uncached, one statement each, with database values', async () => {
        const { Product } = shop
        const before = await Product.findByPk(1, { cache })
        await shop.cache.close()
        for (let i = 0; i < 2; i++) {
          const read = await counted(shop, () => Product.findByPk(1, { cache }))
          expect(read.statements).toBe(1)
          expect(observed(read.value as Inst)).toEqual(observed(before as Inst))
          const all = await counted(shop, () => Product.findAll({ order: [['id', 'ASC']], raw: true, cache }))
          expect(all.statements).toBe(1)
          expect((all.value as unknown[]).length).toBeGreaterThan(1)
        }
      })

      it('findByPk(), findOne(), count(), findAndCountAll(): hits equal the database path', async () => {
        const { Product } = shop
        const calls: (() => Promise<unknown>)[] = [
          () => Product.findByPk(1, { cache }),
          () => Product.findOne({ where: { name: 'saw' }, cache }),
          () => Product.findByPk(999, { cache }),
          () => Product.count({ where: { stock: 0 }, cache }),
          () => Product.findAndCountAll({ where: { stock: 3 }, cache }),
          () => Product.findAll({ where: { id: 1 }, raw: true, cache }),
        ]
        const shape = (v: unknown): unknown =>
          v && typeof v === 'object' && 'dataValues' in v
            ? observed(v as Inst)
            : v && typeof v === 'object' && 'rows' in v
              ? { ...v, rows: (v as { rows: Inst[] }).rows.map(observed) }
              : v
        for (const call of calls) {
          const miss = await call()
          const hit = await counted(shop, call)
          expect(hit.statements).toBe(0)
          expect(shape(hit.value)).toEqual(shape(miss))
        }
      })

      it('a hit is a live instance: update() writes and invalidates; mutating it never changes the next hit', async () => {
        const { Product } = shop
        await Product.findByPk(1, { cache })
        const first = (await Product.findByPk(1, { cache })) as Model
        ;(first.get('data') as { weight: number }).weight = 99
        first.set('name', 'changed, not saved')
        expect(first.changed()).toEqual(['name'])
        const second = (await Product.findByPk(1, { cache })) as Model
        expect(second.get('name')).toBe('hammer')
        expect((second.get('data') as { weight: number }).weight).toBe(1.5)
        expect(second.get('releasedAt')).toBeInstanceOf(Date)
        await second.update({ stock: 7 })
        const after = await counted(shop, () => Product.findByPk(1, { cache }))
        expect(after.statements).toBe(1)
        expect((after.value as Model).get('stock')).toBe(7)
      })

      it('keys tell Op symbols, scopes and literals apart', async () => {
        const { Product } = shop
        const { Op } = lib
        const gt = await Product.findAll({ where: { id: { [Op.gt]: 1 } }, cache })
        const lt = await Product.findAll({ where: { id: { [Op.lt]: 2 } }, cache })
        expect(gt.map((p) => p.get('name'))).toEqual(['saw'])
        expect(lt.map((p) => p.get('name'))).toEqual(['hammer'])
        expect((await Product.scope('live').findAll({ cache })).map((p) => p.get('name'))).toEqual(['hammer'])
        expect((await Product.findAll({ cache, order: [['id', 'ASC']] })).length).toBe(2)
        const lit = (s: string) => shop.sequelize.where(shop.sequelize.col('name'), s)
        expect((await Product.findAll({ where: lit('saw'), cache })).map((p) => p.get('name'))).toEqual(['saw'])
        expect((await Product.findAll({ where: lit('hammer'), cache })).map((p) => p.get('name'))).toEqual(['hammer'])
      })

      it('an entry this process did not load (an L2 hit) is rebuilt equal to the database path', async () => {
        const { Product, Category, Label } = shop
        const options = () => ({
          include: [
            { model: Category, as: 'category' },
            { model: Label, as: 'labels', through: { attributes: ['productId'] } },
          ],
          attributes: ['id', 'name', 'label', 'releasedAt'],
          order: [['id', 'ASC']] as [string, string][],
        })
        const fromDb = (await Product.findAll(options())) as Inst[]
        await Product.findAll({ ...options(), cache })
        // A second instrumentation of the same instance and cache knows nothing of the first's loads.
        shop.perf.uninstrument()
        const again = instrument(shop.sequelize, { cache: shop.cache })
        try {
          const hit = await counted(shop, () => Product.findAll({ ...options(), cache }))
          expect(hit.statements).toBe(0)
          expect((hit.value as Inst[]).map(observed)).toEqual(fromDb.map(observed))
        } finally {
          again.uninstrument()
        }
      })

      it('a model with a find hook runs the finder (hooks run on every call), cached by statement', async () => {
        const { Category } = shop
        let runs = 0
        Category.addHook('afterFind', 'count', () => void runs++)
        try {
          await Category.findAll({ cache })
          const hit = await counted(shop, () => Category.findAll({ cache }))
          expect(hit.statements).toBe(0)
          expect(runs).toBe(2)
        } finally {
          Category.removeHook('afterFind', 'count')
        }
      })

      it('uninstrument() removes the wrapped finders', async () => {
        const { Product } = shop
        expect(Object.prototype.hasOwnProperty.call(Product, 'findAll')).toBe(true)
        shop.perf.uninstrument()
        for (const method of ['findAll', 'findOne', 'findByPk', 'findAndCountAll', 'count'])
          expect(Object.prototype.hasOwnProperty.call(Product, method)).toBe(false)
      })
    })
  }
}
