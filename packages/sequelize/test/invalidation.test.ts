import type { Model } from 'sequelize'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { counted, openShop, type ShopFixture } from './setup/shop.js'

const available: Record<Dialect, boolean> = { postgres: await postgresAvailable(), mariadb: await mariadbAvailable() }
const cache = { ttl: '5m' }

type Read = 'products' | 'categories' | 'labels' | 'productLabels'
type Setter = (...args: unknown[]) => Promise<unknown>
type Assoc = Model & {
  [k in 'setLabels' | 'addLabel' | 'removeLabel' | 'createLabel' | 'setCategory' | 'setProducts']: Setter
}

interface Case {
  name: string
  /** Runs before the reads are primed. */
  setup?: (s: ShopFixture) => Promise<void>
  write: (s: ShopFixture, dialect: Dialect) => Promise<unknown>
  refreshed: Read[]
  untouched: Read[]
  only?: Dialect
}

const read = (s: ShopFixture, name: Read, cached: boolean) => {
  const o = cached ? { cache } : {}
  const order: [string, string][] = [['id', 'ASC']]
  const plain = (rows: Model[]) => rows.map((r) => r.get({ plain: true }))
  switch (name) {
    case 'products':
      return s.Product.findAll({ order, ...o }).then(plain)
    case 'categories':
      return s.Category.findAll({ order, ...o }).then(plain)
    case 'labels':
      return s.Label.findAll({ order, ...o }).then(plain)
    case 'productLabels':
      return s.ProductLabel.findAll({
        order: [
          ['productId', 'ASC'],
          ['labelId', 'ASC'],
        ],
        ...o,
      }).then(plain)
  }
}

const hammer = async (s: ShopFixture) => (await s.Product.findByPk(1)) as Assoc

const CASES: Case[] = [
  {
    name: 'instance save()',
    write: async (s) => {
      const p = await hammer(s)
      p.set('stock', 5)
      await p.save()
    },
    refreshed: ['products'],
    untouched: ['categories'],
  },
  {
    name: 'instance update()',
    write: async (s) => (await hammer(s)).update({ name: 'mallet' }),
    refreshed: ['products'],
    untouched: ['labels'],
  },
  {
    name: 'instance destroy() (paranoid)',
    write: async (s) => (await hammer(s)).destroy(),
    refreshed: ['products'],
    untouched: ['categories'],
  },
  {
    name: 'instance restore()',
    setup: async (s) => void (await (await hammer(s)).destroy()),
    write: async (s) => ((await s.Product.findByPk(1, { paranoid: false })) as Assoc).restore(),
    refreshed: ['products'],
    untouched: ['categories'],
  },
  {
    name: 'instance increment()',
    write: async (s) => (await hammer(s)).increment('stock', { by: 2 }),
    refreshed: ['products'],
    untouched: ['labels'],
  },
  {
    name: 'static create()',
    write: (s) => s.Product.create({ name: 'nail', price: '0.10' }),
    refreshed: ['products'],
    untouched: ['labels'],
  },
  {
    name: 'static bulkCreate()',
    write: (s) => s.Label.bulkCreate([{ name: 'green' }, { name: 'gold' }]),
    refreshed: ['labels'],
    untouched: ['products'],
  },
  {
    name: 'static update()',
    write: (s) => s.Product.update({ stock: 0 }, { where: {} }),
    refreshed: ['products'],
    untouched: ['categories'],
  },
  {
    name: 'static destroy() (paranoid)',
    write: (s) => s.Product.destroy({ where: { name: 'saw' } }),
    refreshed: ['products'],
    untouched: ['labels'],
  },
  {
    name: 'static destroy() of a referenced row: ON DELETE CASCADE rows of the through table too',
    write: (s) => s.Label.destroy({ where: { name: 'red' } }),
    refreshed: ['labels', 'productLabels'],
    untouched: ['categories'],
  },
  {
    name: 'static destroy() of a category: ON DELETE SET NULL on products too',
    write: (s) => s.Category.destroy({ where: { name: 'tools' } }),
    refreshed: ['categories', 'products'],
    untouched: ['labels'],
  },
  {
    name: 'static upsert()',
    write: (s) => s.Label.upsert({ id: 1, name: 'crimson' }),
    refreshed: ['labels'],
    untouched: ['products'],
  },
  {
    name: 'static truncate()',
    write: (s) => s.ProductLabel.truncate(),
    refreshed: ['productLabels'],
    untouched: ['labels'],
  },
  {
    name: 'static truncate({ cascade: true }): referencing tables too',
    write: (s) => s.Label.truncate({ cascade: true }),
    refreshed: ['labels', 'productLabels'],
    untouched: ['categories'],
    only: 'postgres',
  },
  {
    name: 'static restore()',
    setup: async (s) => void (await s.Product.destroy({ where: {} })),
    write: (s) => s.Product.restore({ where: {} }),
    refreshed: ['products'],
    untouched: ['labels'],
  },
  {
    name: 'belongsToMany setLabels()',
    write: async (s) => (await hammer(s)).setLabels([2]),
    refreshed: ['productLabels'],
    untouched: ['labels'],
  },
  {
    name: 'belongsToMany addLabel() / removeLabel()',
    write: async (s) => {
      const saw = (await s.Product.findByPk(2)) as Assoc
      await saw.addLabel(1)
      await saw.removeLabel(1)
      await saw.addLabel(2)
    },
    refreshed: ['productLabels'],
    untouched: ['labels'],
  },
  {
    name: 'belongsToMany createLabel()',
    write: async (s) => (await hammer(s)).createLabel({ name: 'new' }),
    refreshed: ['labels', 'productLabels'],
    untouched: ['categories'],
  },
  {
    name: 'belongsTo setCategory()',
    write: async (s) => (await hammer(s)).setCategory(2),
    refreshed: ['products'],
    untouched: ['categories'],
  },
  {
    name: 'hasMany setProducts()',
    write: async (s) => ((await s.Category.findByPk(2)) as Assoc).setProducts([1, 2]),
    refreshed: ['products'],
    untouched: ['labels'],
  },
  {
    name: 'raw sequelize.query() UPDATE',
    write: (s) =>
      s.sequelize.query('UPDATE products SET stock = stock + 1 WHERE id = :id', { replacements: { id: 1 } }),
    refreshed: ['products'],
    untouched: ['categories'],
  },
]

for (const dialect of ['postgres', 'mariadb'] as const) {
  for (const { label, lib } of SEQUELIZE_VERSIONS) {
    describe.skipIf(!available[dialect])(`invalidation on ${dialect}, ${label}`, () => {
      let shop: ShopFixture
      beforeEach(async () => {
        shop = await openShop(dialect, lib)
      })
      afterEach(() => shop.close())

      const expectHit = async (name: Read) => {
        const { statements } = await counted(shop, () => read(shop, name, true))
        expect({ read: name, statements }).toEqual({ read: name, statements: 0 })
      }
      const expectFresh = async (name: Read) => {
        const cached = await counted(shop, () => read(shop, name, true))
        expect({ read: name, loaded: cached.statements > 0 }).toEqual({ read: name, loaded: true })
        expect(cached.value).toStrictEqual(await read(shop, name, false))
      }

      for (const c of CASES) {
        it.skipIf(c.only !== undefined && c.only !== dialect)(
          `${c.name} refreshes ${c.refreshed.join(', ')}, leaves ${c.untouched.join(', ')} cached`,
          async () => {
            await c.setup?.(shop)
            for (const r of [...c.refreshed, ...c.untouched]) await read(shop, r, true)
            await c.write(shop, dialect)
            for (const r of c.refreshed) await expectFresh(r)
            for (const r of c.untouched) await expectHit(r)
          },
        )
      }

      it('a write the parser cannot read invalidates everything', async () => {
        if (dialect === 'mariadb') await shop.db.sql(`CREATE PROCEDURE bump() UPDATE labels SET name = 'bumped'`)
        await read(shop, 'labels', true)
        await read(shop, 'categories', true)
        await shop.sequelize.query(
          dialect === 'postgres' ? `DO $$ BEGIN UPDATE labels SET name = 'bumped'; END $$` : 'CALL bump()',
        )
        await expectFresh('labels')
        await expectFresh('categories')
        expect(((await read(shop, 'labels', true)) as { name: string }[])[0]!.name).toBe('bumped')
      })

      it('a failed write invalidates nothing and fails as it would without instrument()', async () => {
        await read(shop, 'labels', true)
        await expect(shop.Label.create({ name: null })).rejects.toThrow()
        await expect(shop.sequelize.query('UPDATE no_such_table SET x = 1')).rejects.toThrow()
        await expectHit('labels')
        expect(shop.perf.stats().invalidations).toBe(0)
      })
    })
  }
}
