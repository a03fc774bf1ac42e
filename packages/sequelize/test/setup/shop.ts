import { MemoryStore, createCache, createMonitor, type Cache, type Monitor, type QueryEvent } from '@perf/core'
import type { Model, ModelStatic, Sequelize } from 'sequelize'
import { instrument, type InstrumentOptions, type SequelizePerf } from '../../src/index.js'
import { createDatabase, type Dialect, type SequelizeModule, type TestDatabase } from './databases.js'

/** A small shop with every column type the cached path must return as the database path does. */
export function defineShop(lib: SequelizeModule, sequelize: Sequelize, dialect: Dialect) {
  const { DataTypes } = lib
  const Category = sequelize.define(
    'Category',
    { name: { type: DataTypes.STRING, allowNull: false } },
    { tableName: 'categories' },
  )
  const Product = sequelize.define(
    'Product',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.STRING, allowNull: false },
      price: { type: DataTypes.DECIMAL(10, 2), allowNull: false, defaultValue: '0.00' },
      stock: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      status: { type: DataTypes.ENUM('draft', 'live'), allowNull: false, defaultValue: 'draft' },
      data: { type: dialect === 'postgres' ? DataTypes.JSONB : DataTypes.JSON, allowNull: true },
      image: { type: DataTypes.BLOB, allowNull: true },
      releasedAt: { type: DataTypes.DATE, allowNull: true },
      label: {
        type: DataTypes.VIRTUAL,
        get(this: Model) {
          return `${String(this.getDataValue('name'))} (${String(this.getDataValue('status'))})`
        },
      },
    },
    {
      tableName: 'products',
      paranoid: true,
      scopes: { live: { where: { status: 'live' } } },
    },
  )
  const Label = sequelize.define(
    'Label',
    { name: { type: DataTypes.STRING, allowNull: false } },
    { tableName: 'labels' },
  )
  const ProductLabel = sequelize.define('ProductLabel', {}, { tableName: 'product_labels', timestamps: false })
  Product.belongsTo(Category, { as: 'category', foreignKey: 'categoryId' })
  Category.hasMany(Product, { as: 'products', foreignKey: 'categoryId' })
  Product.belongsToMany(Label, { through: ProductLabel, as: 'labels', foreignKey: 'productId', otherKey: 'labelId' })
  Label.belongsToMany(Product, { through: ProductLabel, as: 'products', foreignKey: 'labelId', otherKey: 'productId' })
  return { Category, Product, Label, ProductLabel }
}

export type Shop = ReturnType<typeof defineShop>
export type AnyModel = ModelStatic<Model>

/** Everything a test needs: the database, the models with seed rows, an instrumented instance, its cache and events. */
export interface ShopFixture extends Shop {
  db: TestDatabase
  sequelize: Sequelize
  cache: Cache
  monitor: Monitor
  events: QueryEvent[]
  perf: SequelizePerf
  /** Statements the driver was sent that touch the shop's tables. */
  statements(): number
  close(): Promise<void>
}

/** A fresh shop database, seeded before instrument() so the seed leaves no events. */
export async function openShop(
  dialect: Dialect,
  lib: SequelizeModule,
  options: Omit<InstrumentOptions, 'cache' | 'monitor'> & { cache?: Cache } = {},
  sequelizeOptions: Record<string, unknown> = {},
): Promise<ShopFixture> {
  const db = await createDatabase(dialect, {
    lib,
    count: /categories|products|labels|product_labels/,
    sequelize: sequelizeOptions,
  })
  const shop = defineShop(lib, db.sequelize, dialect)
  await db.ddl(() => db.sequelize.sync())
  const cat = await shop.Category.create({ name: 'tools' })
  await shop.Category.create({ name: 'toys' })
  const [red, blue] = await shop.Label.bulkCreate([{ name: 'red' }, { name: 'blue' }])
  const hammer = await shop.Product.create({
    name: 'hammer',
    price: '12.50',
    stock: 3,
    status: 'live',
    data: { weight: 1.5, tags: ['steel'], nested: { ok: true } },
    image: Buffer.from([0, 1, 2, 255]),
    releasedAt: new Date('2024-05-06T07:08:09.123Z'),
    categoryId: cat.get('id'),
  })
  await shop.Product.create({ name: 'saw', price: '30.00', stock: 0, status: 'draft', categoryId: cat.get('id') })
  await (hammer as Model & { setLabels(l: Model[]): Promise<void> }).setLabels([red!, blue!])
  const cache = options.cache ?? createCache({ tiers: [new MemoryStore()] })
  const events: QueryEvent[] = []
  const monitor = createMonitor({ eventLoopDelay: false })
  const record = monitor.record.bind(monitor)
  monitor.record = (event: QueryEvent) => {
    events.push(event)
    record(event)
  }
  const { cache: _c, ...rest } = options
  const perf = instrument(db.sequelize, { ...rest, cache, monitor })
  return {
    ...shop,
    db,
    sequelize: db.sequelize,
    cache,
    monitor,
    events,
    perf,
    statements: () => db.tap.count(),
    async close() {
      perf.uninstrument()
      await db.close()
      if (options.cache === undefined) await cache.close()
    },
  }
}

/** Runs `fn` and returns its value with the number of shop statements it sent. */
export async function counted<T>(shop: ShopFixture, fn: () => Promise<T>): Promise<{ value: T; statements: number }> {
  const before = shop.statements()
  const value = await fn()
  return { value, statements: shop.statements() - before }
}
