import { randomBytes } from 'node:crypto'
import { createNamespace } from 'cls-hooked'
import { MemoryStore, createCache, createMonitor, isPerfError, type Cache, type QueryEvent } from '@perf/core'
import type { Model, ModelStatic, Sequelize } from 'sequelize'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BulkWriteError } from '@perf/pg'
import { instrument, type SequelizePerf } from '../src/index.js'
import {
  SEQUELIZE_VERSIONS,
  createDatabase,
  postgresAvailable,
  type SequelizeModule,
  type TestDatabase,
} from './setup/databases.js'

const available = await postgresAvailable()
const cached = { cache: { ttl: '5m' } } as const

function defineModels(lib: SequelizeModule, sequelize: Sequelize, schema: string) {
  const { DataTypes } = lib
  const Customer = sequelize.define(
    'Customer',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      code: { type: DataTypes.STRING, allowNull: false, unique: true },
      name: { type: DataTypes.STRING, allowNull: true },
    },
    { tableName: 'customers', underscored: true, timestamps: false },
  )
  const Order = sequelize.define(
    'Order',
    {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      orderNumber: { type: DataTypes.STRING, allowNull: false, unique: true },
      customerName: { type: DataTypes.STRING, allowNull: false },
      totalPrice: { type: DataTypes.DECIMAL(12, 2), allowNull: false, defaultValue: '0.00' },
      itemCount: { type: DataTypes.BIGINT, allowNull: true },
      status: { type: DataTypes.ENUM('new', 'paid', 'shipped'), allowNull: false, defaultValue: 'new' },
      meta: { type: DataTypes.JSONB, allowNull: true },
      tags: { type: DataTypes.ARRAY(DataTypes.STRING), allowNull: true },
      placedAt: { type: DataTypes.DATE, allowNull: true },
      placedOn: { type: DataTypes.DATEONLY, allowNull: true },
      receipt: { type: DataTypes.BLOB, allowNull: true },
      token: { type: DataTypes.UUID, allowNull: false, defaultValue: DataTypes.UUIDV4 },
      shout: {
        type: DataTypes.STRING,
        allowNull: true,
        set(this: Model, value: string) {
          this.setDataValue('shout', value.toUpperCase())
        },
      },
      label: {
        type: DataTypes.VIRTUAL,
        get(this: Model) {
          return `#${String(this.getDataValue('orderNumber'))}`
        },
      },
    },
    { tableName: 'orders', underscored: true, paranoid: true },
  )
  Order.belongsTo(Customer, { as: 'customer', foreignKey: 'customerId' })
  // Another schema than the connection's search_path: getTableName() gives { schema, tableName }.
  const Audit = sequelize.define(
    'Audit',
    { id: { type: DataTypes.INTEGER, primaryKey: true }, note: DataTypes.TEXT },
    { tableName: 'audits', schema, timestamps: false },
  )
  return { Customer, Order, Audit }
}

type Models = ReturnType<typeof defineModels>

for (const { label, lib } of SEQUELIZE_VERSIONS) {
  describe.skipIf(!available)(`perf.bulk(Model) on postgres, ${label}`, () => {
    let db: TestDatabase
    let models: Models
    let Order: ModelStatic<Model>
    let cache: Cache
    let events: QueryEvent[]
    let perf: SequelizePerf
    let otherSchema: string

    beforeEach(async () => {
      otherSchema = `perf_sq_bulk_${randomBytes(4).toString('hex')}`
      db = await createDatabase('postgres', { lib, count: /orders|customers|audits/ })
      await db.sql(`CREATE SCHEMA "${otherSchema}"`)
      models = defineModels(lib, db.sequelize, otherSchema)
      Order = models.Order
      await db.ddl(() => db.sequelize.sync())
      cache = createCache({ tiers: [new MemoryStore()] })
      events = []
      const monitor = createMonitor({ eventLoopDelay: false })
      const record = monitor.record.bind(monitor)
      monitor.record = (event: QueryEvent) => {
        events.push(event)
        record(event)
      }
      perf = instrument(db.sequelize, { cache, monitor })
    })
    afterEach(async () => {
      perf.uninstrument()
      await db.sql(`DROP SCHEMA "${otherSchema}" CASCADE`)
      await db.close()
      await cache.close()
    })

    const pool = () =>
      (db.sequelize.connectionManager as unknown as { pool: { size: number; available: number; using: number } }).pool
    const statementsOf = async <T>(fn: () => Promise<T>) => {
      const before = db.tap.count()
      const value = await fn()
      return { value, statements: db.tap.count() - before }
    }
    const numbers = async () =>
      ((await Order.findAll({ ...cached, order: [['orderNumber', 'ASC']] })) as Model[]).map((o) =>
        o.get('orderNumber'),
      )
    const order = (n: number, extra: Record<string, unknown> = {}) => ({
      orderNumber: `A-${n}`,
      customerName: `customer ${n}`,
      ...extra,
    })

    it('copyInsert() writes attributes to their underscored columns with Sequelize types, defaults and timestamps', async () => {
      const before = new Date()
      const result = await perf.bulk(Order).copyInsert([
        order(1, {
          totalPrice: '12.50',
          itemCount: 9007199254740993n,
          status: 'paid',
          meta: { nested: { ok: true }, list: [1, 2] },
          tags: ['a', 'b "quoted"', 'c,d'],
          placedAt: new Date('2024-05-06T07:08:09.123Z'),
          placedOn: '2024-05-06',
          receipt: Buffer.from([0, 1, 255]),
          shout: 'quiet',
        }),
        order(2),
      ])
      const after = new Date()
      expect(result.rows).toBe(2)
      expect(result.batches).toBe(1)
      expect([...result.fields].sort()).toEqual(
        [
          'createdAt',
          'customerName',
          'itemCount',
          'meta',
          'orderNumber',
          'placedAt',
          'placedOn',
          'receipt',
          'shout',
          'status',
          'tags',
          'token',
          'totalPrice',
          'updatedAt',
        ].sort(),
      )
      const raw = (await db.sql(
        'SELECT order_number, customer_name, total_price::text AS price, item_count::text AS items, created_at, updated_at, deleted_at FROM orders ORDER BY order_number',
      )) as Array<Record<string, unknown>>
      expect(raw.map((r) => [r.order_number, r.customer_name, r.price, r.items])).toEqual([
        ['A-1', 'customer 1', '12.50', '9007199254740993'],
        ['A-2', 'customer 2', '0.00', null],
      ])
      const [one, two] = (await Order.findAll({ order: [['orderNumber', 'ASC']] })) as Model[]
      expect(one!.get('totalPrice')).toBe('12.50')
      expect(one!.get('itemCount')).toBe('9007199254740993')
      expect(one!.get('status')).toBe('paid')
      expect(two!.get('status')).toBe('new')
      expect(one!.get('meta')).toEqual({ nested: { ok: true }, list: [1, 2] })
      expect(one!.get('tags')).toEqual(['a', 'b "quoted"', 'c,d'])
      expect((one!.get('placedAt') as Date).toISOString()).toBe('2024-05-06T07:08:09.123Z')
      expect(one!.get('placedOn')).toBe('2024-05-06')
      expect(Buffer.compare(one!.get('receipt') as Buffer, Buffer.from([0, 1, 255]))).toBe(0)
      // Setters are not applied: the value is written as given.
      expect(one!.get('shout')).toBe('quiet')
      expect(one!.get('token')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(one!.get('token')).not.toBe(two!.get('token'))
      for (const row of [one!, two!]) {
        const createdAt = row.get('createdAt') as Date
        expect(createdAt.getTime()).toBeGreaterThanOrEqual(before.getTime())
        expect(createdAt.getTime()).toBeLessThanOrEqual(after.getTime())
        expect((row.get('updatedAt') as Date).getTime()).toBe(createdAt.getTime())
        expect(row.get('deletedAt')).toBeNull()
      }
      // One instant for the whole call, as bulkCreate does.
      expect((one!.get('createdAt') as Date).getTime()).toBe((two!.get('createdAt') as Date).getTime())
    })

    it('copyInsert() takes model instances (their stored values; a null auto-increment key is left to the sequence)', async () => {
      const built = [Order.build(order(1, { totalPrice: '3.00' })), Order.build(order(2))]
      expect(built[0]!.get('id')).toBeNull()
      const result = await perf.bulk(Order).copyInsert(built)
      expect(result.rows).toBe(2)
      expect(result.fields).not.toContain('id')
      expect(result.fields).not.toContain('label')
      const rows = (await db.sql('SELECT id, total_price::text AS price FROM orders ORDER BY id')) as Array<{
        id: string
        price: string
      }>
      expect(rows.map((r) => r.price)).toEqual(['3.00', '0.00'])
      expect(Number(rows[1]!.id)).toBe(Number(rows[0]!.id) + 1)
    })

    it('copyInsert() writes into a schema-qualified table (getTableName() gives { schema, tableName })', async () => {
      const result = await perf.bulk(models.Audit).copyInsert([
        { id: 1, note: 'one' },
        { id: 2, note: 'two' },
      ])
      expect(result.rows).toBe(2)
      expect(await db.sql(`SELECT id, note FROM "${otherSchema}".audits ORDER BY id`)).toEqual([
        { id: 1, note: 'one' },
        { id: 2, note: 'two' },
      ])
    })

    it('copyInsert() reads a streamed async iterable one row at a time', async () => {
      let pulled = 0
      async function* source() {
        for (let i = 0; i < 2500; i++) {
          pulled++
          yield order(i, { totalPrice: `${i}.25` })
        }
      }
      const result = await perf.bulk(Order).copyInsert(source(), { atomic: false, batchRows: 1000 })
      expect(pulled).toBe(2500)
      expect(result.rows).toBe(2500)
      expect(result.batches).toBe(3)
      expect(await db.sql('SELECT count(*)::int AS n, sum(total_price)::text AS total FROM orders')).toEqual([
        { n: 2500, total: String((2499 * 2500) / 2 + 2500 * 0.25) + '.00' },
      ])
    })

    it('a cached findAll is invalidated by copyInsert(), bulkUpdate() and bulkUpsert()', async () => {
      await Order.bulkCreate([order(1), order(2)])
      const invalidations = perf.stats().invalidations
      expect(await numbers()).toEqual(['A-1', 'A-2'])
      const hit = await statementsOf(numbers)
      expect(hit.statements).toBe(0)

      await perf.bulk(Order).copyInsert([order(3)])
      const afterInsert = await statementsOf(numbers)
      expect(afterInsert.statements).toBe(1)
      expect(afterInsert.value).toEqual(['A-1', 'A-2', 'A-3'])

      const names = async () =>
        ((await Order.findAll({ ...cached, order: [['orderNumber', 'ASC']] })) as Model[]).map((o) =>
          o.get('customerName'),
        )
      expect(await names()).toEqual(['customer 1', 'customer 2', 'customer 3'])
      const ids = ((await Order.findAll({ order: [['orderNumber', 'ASC']] })) as Model[]).map((o) => o.get('id'))
      await perf.bulk(Order).bulkUpdate([
        { id: ids[0], customerName: 'ann' },
        { id: ids[2], customerName: 'cy' },
      ])
      expect(await names()).toEqual(['ann', 'customer 2', 'cy'])

      await perf.bulk(Order).bulkUpsert(
        [
          { orderNumber: 'A-2', customerName: 'bo' },
          { orderNumber: 'A-4', customerName: 'di' },
        ],
        { conflict: ['orderNumber'] },
      )
      expect(await names()).toEqual(['ann', 'bo', 'cy', 'di'])
      expect(perf.stats().invalidations - invalidations).toBe(3)
    })

    it('bulkUpdate() finds rows by primary key, sets updatedAt to now and leaves createdAt', async () => {
      const created = (await Order.bulkCreate([order(1), order(2)])) as Model[]
      const old = (await Order.findAll({ order: [['id', 'ASC']] })) as Model[]
      await new Promise((r) => setTimeout(r, 5))
      const result = await perf.bulk(Order).bulkUpdate([
        { id: created[0]!.get('id'), totalPrice: '7.10', status: 'shipped', meta: { at: 1 } },
        { id: created[1]!.get('id'), totalPrice: 8, status: 'paid', meta: null },
      ])
      expect(result.rows).toBe(2)
      expect(result.fields).toContain('updatedAt')
      const now = (await Order.findAll({ order: [['id', 'ASC']] })) as Model[]
      expect(now.map((o) => [o.get('totalPrice'), o.get('status'), o.get('meta')])).toEqual([
        ['7.10', 'shipped', { at: 1 }],
        ['8.00', 'paid', null],
      ])
      for (let i = 0; i < 2; i++) {
        expect((now[i]!.get('createdAt') as Date).getTime()).toBe((old[i]!.get('createdAt') as Date).getTime())
        expect((now[i]!.get('updatedAt') as Date).getTime()).toBeGreaterThan(
          (old[i]!.get('updatedAt') as Date).getTime(),
        )
        expect(now[i]!.get('customerName')).toBe(old[i]!.get('customerName'))
      }
    })

    it('bulkUpdate() takes fetched instances; fields limits what is written; silent keeps updatedAt', async () => {
      await Order.bulkCreate([order(1), order(2)])
      const fetched = (await Order.findAll({ order: [['id', 'ASC']] })) as Model[]
      const stamps = fetched.map((o) => (o.get('updatedAt') as Date).getTime())
      fetched[0]!.set('customerName', 'changed')
      fetched[0]!.set('totalPrice', '1.00')
      fetched[1]!.set('totalPrice', '2.00')
      const result = await perf.bulk(Order).bulkUpdate(fetched, { fields: ['totalPrice'], silent: true })
      expect([...result.fields].sort()).toEqual(['id', 'totalPrice'])
      const now = (await Order.findAll({ order: [['id', 'ASC']] })) as Model[]
      expect(now.map((o) => [o.get('customerName'), o.get('totalPrice')])).toEqual([
        ['customer 1', '1.00'],
        ['customer 2', '2.00'],
      ])
      expect(now.map((o) => (o.get('updatedAt') as Date).getTime())).toEqual(stamps)
    })

    it('bulkUpdate() refuses a row lacking an attribute other rows update, instead of writing NULL over it', async () => {
      await Order.bulkCreate([order(1, { totalPrice: '1.00' }), order(2, { totalPrice: '2.00' })])
      const ids = ((await Order.findAll({ order: [['id', 'ASC']] })) as Model[]).map((o) => o.get('id'))
      const error = await perf
        .bulk(Order)
        .bulkUpdate([
          { id: ids[0], status: 'paid', totalPrice: '5.00' },
          { id: ids[1], status: 'paid' },
        ])
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BulkWriteError)
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', rowIndex: 1, column: 'totalPrice' })
      async function* stream() {
        yield { id: ids[0], totalPrice: '5.00' }
        yield { id: ids[1] }
      }
      const streamed = await perf
        .bulk(Order)
        .bulkUpdate(stream())
        .catch((e: unknown) => e)
      expect(streamed).toMatchObject({ code: 'INVALID_ARGUMENT', rowIndex: 1, column: 'totalPrice' })
      // An explicit null is a value: it is written.
      await perf.bulk(Order).bulkUpdate([
        { id: ids[0], itemCount: 3 },
        { id: ids[1], itemCount: null },
      ])
      const rows = (await db.sql(
        'SELECT total_price::text AS p, status, item_count::int AS n FROM orders ORDER BY id',
      )) as unknown[]
      expect(rows).toEqual([
        { p: '1.00', status: 'new', n: 3 },
        { p: '2.00', status: 'new', n: null },
      ])
    })

    it('bulkUpsert() inserts new rows and updates existing ones, keeping their createdAt and id', async () => {
      await Order.bulkCreate([order(1, { totalPrice: '1.00' })])
      const [existing] = (await Order.findAll()) as Model[]
      const result = await perf
        .bulk(Order)
        .bulkUpsert([order(1, { totalPrice: '10.00' }), order(2, { totalPrice: '20.00' })], {
          conflict: ['orderNumber'],
        })
      expect(result.rows).toBe(2)
      const rows = (await Order.findAll({ order: [['orderNumber', 'ASC']] })) as Model[]
      expect(rows.map((o) => [o.get('orderNumber'), o.get('totalPrice')])).toEqual([
        ['A-1', '10.00'],
        ['A-2', '20.00'],
      ])
      expect(rows[0]!.get('id')).toBe(existing!.get('id'))
      expect(rows[0]!.get('token')).toBe(existing!.get('token'))
      expect((rows[0]!.get('createdAt') as Date).getTime()).toBe((existing!.get('createdAt') as Date).getTime())
      expect((rows[0]!.get('updatedAt') as Date).getTime()).toBeGreaterThan(
        (existing!.get('updatedAt') as Date).getTime(),
      )
    })

    it('a value the attribute cannot take is a BulkWriteError naming the row and attribute; nothing is written or invalidated', async () => {
      expect(await numbers()).toEqual([])
      const bad = await perf
        .bulk(Order)
        .copyInsert([order(1), order(2, { status: 'lost' })])
        .catch((e: unknown) => e)
      expect(bad).toBeInstanceOf(BulkWriteError)
      expect((bad as BulkWriteError).code).toBe('INVALID_ARGUMENT')
      expect((bad as BulkWriteError).rowIndex).toBe(1)
      expect((bad as BulkWriteError).column).toBe('status')
      expect((bad as Error).message).toMatch(/row 1 for Order, field "status": "lost" is not one of/)

      // Refused by the server (COPY names the column): reported under the attribute's name.
      const refused = await perf
        .bulk(Order)
        .copyInsert([order(1), order(2), order(3, { itemCount: 'many' })])
        .catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(BulkWriteError)
      expect((refused as BulkWriteError).code).toBe('BATCH_FAILED')
      expect((refused as BulkWriteError).rowIndex).toBe(2)
      expect((refused as BulkWriteError).column).toBe('itemCount')
      expect((refused as BulkWriteError).committedRows).toBe(0)

      const date = await perf
        .bulk(Order)
        .bulkUpdate([{ id: 1, placedAt: new Date('nope') }])
        .catch((e: unknown) => e)
      expect((date as BulkWriteError).column).toBe('placedAt')

      expect(await db.sql('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 0 }])
      expect(perf.stats().invalidations).toBe(0)
      expect((await statementsOf(numbers)).statements).toBe(0)
    })

    it('an unknown attribute (a column name, a VIRTUAL) is a typed error before anything is sent', async () => {
      const before = db.tap.count()
      const unknown = await perf
        .bulk(Order)
        .copyInsert([{ orderNumber: 'A-1', customer_name: 'x' }])
        .catch((e: unknown) => e)
      expect(isPerfError(unknown, 'INVALID_ARGUMENT')).toBe(true)
      expect((unknown as { context: { field: string; model: string } }).context).toMatchObject({
        model: 'Order',
        field: 'customer_name',
      })
      expect((unknown as Error).message).toMatch(/^\[perf:sequelize\] Order has no field "customer_name"/)
      const virtual = await perf
        .bulk(Order)
        .bulkUpdate([{ id: 1, label: 'x' }])
        .catch((e: unknown) => e)
      expect((virtual as { context: { field: string } }).context.field).toBe('label')
      const key = await perf
        .bulk(Order)
        .bulkUpsert([order(1)], { conflict: ['nope' as 'id'] })
        .catch((e: unknown) => e)
      expect(isPerfError(key, 'INVALID_ARGUMENT')).toBe(true)
      expect(db.tap.count() - before).toBe(0)
    })

    it('a SQL expression (fn, literal) as a value is refused, naming the attribute', async () => {
      const error = await perf
        .bulk(Order)
        .copyInsert([order(1, { placedAt: db.sequelize.fn('now') })])
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BulkWriteError)
      expect((error as BulkWriteError).column).toBe('placedAt')
      expect((error as Error).message).toMatch(/fn\(\) is SQL/)
    })

    it('in a transaction: invalidated at COMMIT, not before; a rollback leaves no rows and the cache as it was', async () => {
      await Order.bulkCreate([order(1)])
      const invalidations = perf.stats().invalidations
      expect(await numbers()).toEqual(['A-1'])

      const t1 = await db.sequelize.transaction()
      const result = await perf.bulk(Order).copyInsert([order(2)], { transaction: t1 })
      expect(result.rows).toBe(1)
      expect(await Order.count({ transaction: t1 })).toBe(2)
      await t1.rollback()
      expect(await db.sql('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 1 }])
      expect(perf.stats().invalidations).toBe(invalidations)
      const hit = await statementsOf(numbers)
      expect(hit).toEqual({ value: ['A-1'], statements: 0 })

      const t2 = await db.sequelize.transaction()
      await perf
        .bulk(Order)
        .bulkUpsert([order(1, { customerName: 'x' }), order(3)], { transaction: t2, conflict: ['orderNumber'] })
      // Not committed yet: the cache still serves what is committed.
      expect(await statementsOf(numbers)).toEqual({ value: ['A-1'], statements: 0 })
      await t2.commit()
      expect(perf.stats().invalidations).toBe(invalidations + 1)
      expect(await statementsOf(numbers)).toEqual({ value: ['A-1', 'A-3'], statements: 1 })

      const event = events.find((e) => e.operation === 'bulkUpsert')
      expect(event).toMatchObject({
        source: 'sequelize',
        model: 'Order',
        rows: 2,
        inTransaction: true,
        tables: ['orders'],
      })
    })

    it("a transaction begun before instrument() is invalidated by Sequelize's afterCommit hook", async () => {
      perf.uninstrument()
      const t = await db.sequelize.transaction()
      perf = instrument(db.sequelize, { cache })
      expect(await numbers()).toEqual([])
      await perf.bulk(Order).copyInsert([order(1)], { transaction: t })
      expect(await statementsOf(numbers)).toEqual({ value: [], statements: 0 })
      await t.commit()
      expect(await statementsOf(numbers)).toEqual({ value: ['A-1'], statements: 1 })
    })

    it('a managed transaction that throws after a bulk write rolls it back', async () => {
      await expect(
        db.sequelize.transaction(async (transaction) => {
          await perf.bulk(Order).copyInsert([order(1), order(2)], { transaction })
          throw new Error('changed my mind')
        }),
      ).rejects.toThrow('changed my mind')
      expect(await db.sql('SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 0 }])
      expect(perf.stats().invalidations).toBe(0)
    })

    it('a bulk write that changes a referenced key also invalidates the tables its foreign keys cascade to', async () => {
      const { Customer } = models
      await Customer.bulkCreate([{ code: 'c1' }, { code: 'c2' }])
      const [c1] = (await Customer.findAll({ where: { code: 'c1' } })) as Model[]
      await Order.bulkCreate([order(1, { customerId: c1!.get('id') })])
      const owners = async () =>
        ((await Order.findAll({ ...cached, order: [['id', 'ASC']] })) as Model[]).map((o) => o.get('customerId'))
      expect(await owners()).toEqual([c1!.get('id')])

      // Not the referenced key: orders stay cached.
      await perf.bulk(Customer).bulkUpdate([{ code: 'c1', name: 'Cy' }], { key: 'code' })
      expect((await statementsOf(owners)).statements).toBe(0)

      // The referenced key changes: ON UPDATE CASCADE rewrites orders.customer_id, so orders are invalidated.
      await perf.bulk(Customer).bulkUpdate([{ code: 'c1', id: 100 }], { key: 'code' })
      expect(await statementsOf(owners)).toEqual({ value: [100], statements: 1 })
    })

    it('runs in the CLS transaction when Sequelize.useCLS() is on, and transaction: null opts out', async () => {
      const Sequelize = lib.Sequelize as unknown as { useCLS(ns: unknown): void; _cls?: unknown }
      Sequelize.useCLS(createNamespace(`perf-sequelize-bulk-${label}-${randomBytes(3).toString('hex')}`))
      try {
        await expect(
          db.sequelize.transaction(async () => {
            await perf.bulk(Order).copyInsert([order(1)])
            await perf.bulk(Order).copyInsert([order(2)], { transaction: null })
            throw new Error('roll back')
          }),
        ).rejects.toThrow('roll back')
      } finally {
        delete Sequelize._cls
      }
      expect(await db.sql('SELECT order_number FROM orders')).toEqual([{ order_number: 'A-2' }])
    })

    it('records one QueryEvent per write, with its operation, model, rows and error', async () => {
      await perf.bulk(Order).copyInsert([order(1), order(2)])
      await perf
        .bulk(Order)
        .copyInsert([order(3, { itemCount: 'x' })])
        .catch(() => undefined)
      const bulk = events.filter((e) => ['copyInsert', 'bulkUpdate', 'bulkUpsert'].includes(e.operation ?? ''))
      expect(bulk).toHaveLength(2)
      expect(bulk[0]).toMatchObject({
        source: 'sequelize',
        model: 'Order',
        operation: 'copyInsert',
        rows: 2,
        inTransaction: false,
      })
      expect(bulk[0]!.durationMs).toBeGreaterThan(0)
      expect(bulk[1]!.error).toBeInstanceOf(BulkWriteError)
      expect(bulk[1]!.rows).toBeUndefined()
    })

    it("returns its connection to Sequelize's pool, after success and after failure", async () => {
      await Order.count() // the pool has a connection
      const idle = { size: pool().size, available: pool().available, using: pool().using }
      expect(idle.using).toBe(0)
      await perf.bulk(Order).copyInsert([order(1)])
      await perf.bulk(Order).bulkUpdate([{ id: 1, customerName: 'x' }])
      await perf
        .bulk(Order)
        .copyInsert([order(2, { itemCount: 'x' })])
        .catch(() => undefined)
      await perf
        .bulk(Order)
        .bulkUpsert([order(3, { itemCount: 'x' })], { conflict: ['orderNumber'] })
        .catch(() => undefined)
      expect({ size: pool().size, available: pool().available, using: pool().using }).toEqual(idle)
      // The connection is usable after the failed COPY.
      expect(await Order.count()).toBe(1)
    })

    it('refuses a model of another instance, a finished transaction and other dialects, by name', async () => {
      const other = db.another().sequelize
      const Foreign = other.define('Foreign', { name: lib.DataTypes.STRING }, { tableName: 'foreign_rows' })
      expect(() => perf.bulk(Foreign)).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }))
      expect(() => perf.bulk({} as ModelStatic<Model>)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))

      const t = await db.sequelize.transaction()
      await t.commit()
      await expect(perf.bulk(Order).copyInsert([order(1)], { transaction: t })).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        message: expect.stringContaining('has already finished (commit)'),
      })

      const writer = perf.bulk(Order)
      perf.uninstrument()
      await expect(writer.copyInsert([order(1)])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('uninstrument()'),
      })
      perf = instrument(db.sequelize, { cache })

      const mysql = new lib.Sequelize('mysql://root@127.0.0.1:1/none', { logging: false })
      const Row = mysql.define('Row', { name: lib.DataTypes.STRING })
      const mysqlPerf = instrument(mysql)
      try {
        expect(() => mysqlPerf.bulk(Row)).toThrow(
          expect.objectContaining({ code: 'INVALID_ARGUMENT', context: { model: 'Row', dialect: 'mysql' } }),
        )
      } finally {
        mysqlPerf.uninstrument()
        await mysql.close()
      }
    })
  })
}
