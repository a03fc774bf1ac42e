import { type Cache, createCache, createMonitor, isPerfError, MemoryStore, type QueryEvent, tableTag } from '@perf/core'
import { randomUUID } from 'node:crypto'
import type * as typeorm1 from 'typeorm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { BulkWriteError, bulkWriter, instrument, type TypeormPerf } from '../src/index.js'
import { Article, bulkEntities, Item, Money, Owner } from './fixtures/bulk-entities.js'
import { mariaUp, openBlog, pgUp } from './fixtures/inst-harness.js'
import { createMariaDatabase, createPgSchema, TYPEORM_VERSIONS } from './setup/databases.js'

const BULK_OPS = new Set(['copyInsert', 'bulkUpdate', 'bulkUpsert'])

/** Caches a value tagged like a result read from `table`; returns its key. */
async function cachedFrom(cache: Cache, table: string): Promise<string> {
  const key = `${table}:${randomUUID()}`
  await cache.getOrSet(key, () => `rows of ${table}`, { ttl: 60_000, tags: [tableTag(table)] })
  return key
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** A row with the required properties; `extra` may hold values of the wrong type on purpose. */
function itemRow(sku: string, extra: Record<string, unknown> = {}): typeorm1.DeepPartial<Item> {
  return { sku, title: sku.toUpperCase(), qty: 1, ...extra } as typeorm1.DeepPartial<Item>
}

for (const { label, typeorm } of TYPEORM_VERSIONS) {
  describe.skipIf(!pgUp)(`bulkWriter() — ${label} on PostgreSQL`, () => {
    let db: Awaited<ReturnType<typeof createPgSchema>>
    let ds: typeorm1.DataSource
    let cache: Cache
    let monitor: ReturnType<typeof createMonitor>
    let perf: TypeormPerf
    const events: QueryEvent[] = []
    const bulkEvents = () => events.filter((e) => e.operation !== undefined && BULK_OPS.has(e.operation))
    const items = () => perf.bulk(Item)
    const col = (path: string) => ds.getMetadata(Item).findColumnWithPropertyPath(path)!.databaseName
    const count = async () => Number((await db.sql('SELECT count(*)::int AS n FROM items')).rows[0].n)

    beforeAll(async () => {
      db = await createPgSchema()
      ds = new typeorm.DataSource({
        ...db.options,
        entities: bulkEntities(typeorm).all,
        synchronize: true,
      } as typeorm1.DataSourceOptions)
      await ds.initialize()
      cache = createCache({ tiers: [new MemoryStore()] })
      monitor = createMonitor({ eventLoopDelay: false })
      const record = monitor.record.bind(monitor)
      monitor.record = (event: QueryEvent) => {
        events.push(event)
        record(event)
      }
      perf = instrument(ds, { cache, monitor, entities: { Item: { ttl: '1m' }, Owner: { ttl: '1m' } } })
    })
    afterAll(async () => {
      perf?.uninstrument()
      await ds?.destroy().catch(() => undefined)
      await cache?.close().catch(() => undefined)
      monitor?.close()
      await db?.drop()
    })
    beforeEach(async () => {
      await db.sql('TRUNCATE items, owners, contents RESTART IDENTITY CASCADE')
      await cache.clear()
      events.length = 0
    })

    it('copyInsert() writes each property to its column as TypeORM stores it', async () => {
      const owner = await ds.getRepository(Owner).save({ name: 'o1' })
      const happenedAt = new Date('2024-01-02T03:04:05.678Z')
      const result = await items().copyInsert([
        {
          sku: 'a',
          title: 'A',
          qty: 3,
          price: '9.90',
          tier: 'gold',
          tags: ['x', 'y'],
          meta: { n: 1 },
          doc: { deep: [1, 'two'] },
          note: null,
          cost: new Money(1250),
          code: '  ab ',
          big: '9007199254740993',
          happenedAt,
          active: false,
          dims: { w: 2, h: null },
          owner: { id: owner.id },
        },
        {
          sku: 'b',
          title: 'B',
          qty: 0,
          price: '0.10',
          tier: 'silver',
          tags: [],
          meta: null,
          doc: ['arr', { k: true }],
          note: 'hi',
          cost: new Money(0),
          code: 'cd',
          big: null,
          happenedAt: null,
          active: true,
          dims: { w: 5, h: 6 },
          owner: owner.id as never, // a raw key, as TypeORM accepts
        },
      ])
      expect(result.rows).toBe(2)
      expect(result.batches).toBe(1)
      expect(result.fields).toEqual(expect.arrayContaining(['sku', 'qty', 'dims.w', 'dims.h', 'owner.id', 'version']))

      // The stored forms: renamed and embedded columns, join column, transformer output, simple-* text.
      const raw = await db.sql(
        `SELECT stock_code, quantity, "${col('dims.w')}" AS w, "${col('dims.h')}" AS h, "${col('owner.id')}" AS owner,
                tags, meta, doc, cost, code, tier::text AS tier, version, big::text AS big, active FROM items ORDER BY stock_code`,
      )
      expect(raw.rows).toEqual([
        {
          stock_code: 'a',
          quantity: 3,
          w: 2,
          h: null,
          owner: owner.id,
          tags: 'x,y',
          meta: '{"n":1}',
          doc: { deep: [1, 'two'] },
          cost: 1250,
          code: 'AB',
          tier: 'gold',
          version: 1,
          big: '9007199254740993',
          active: false,
        },
        {
          stock_code: 'b',
          quantity: 0,
          w: 5,
          h: 6,
          owner: owner.id,
          tags: '',
          meta: null,
          doc: ['arr', { k: true }],
          cost: 0,
          code: 'CD',
          tier: 'silver',
          version: 1,
          big: null,
          active: true,
        },
      ])

      // And TypeORM reads back what was written.
      const [a, b] = await ds
        .getRepository(Item)
        .find({ order: { sku: 'ASC' }, relations: { owner: true }, cache: false })
      expect(a).toBeInstanceOf(Item)
      expect(a!.cost).toEqual(new Money(1250))
      expect(a!.tags).toEqual(['x', 'y'])
      expect(a!.meta).toEqual({ n: 1 })
      expect(a!.price).toBe('9.90')
      expect(a!.happenedAt?.toISOString()).toBe(happenedAt.toISOString())
      expect(a!.createdAt).toBeInstanceOf(Date) // the column default, as insert() leaves it
      expect(a!.dims).toEqual({ w: 2, h: null })
      expect(a!.owner?.id).toBe(owner.id)
      expect(b!.tags).toEqual([])
      expect(b!.meta).toBeNull()
      expect(b!.happenedAt).toBeNull()
    })

    it('copyInsert() leaves out properties the first row leaves out (column defaults) and writes null for later rows missing one', async () => {
      await items().copyInsert([itemRow('a', { note: 'n' }), itemRow('b')])
      const rows = (await db.sql('SELECT stock_code, note, tier::text AS tier, cost, version FROM items ORDER BY 1'))
        .rows
      expect(rows).toEqual([
        { stock_code: 'a', note: 'n', tier: 'silver', cost: 0, version: 1 },
        { stock_code: 'b', note: null, tier: 'silver', cost: 0, version: 1 },
      ])
    })

    it('copyInsert() writes the discriminator of a single-table-inheritance child, as insert() does', async () => {
      const result = await perf.bulk(Article).copyInsert([
        { title: 't1', body: 'b' },
        { title: 't2', body: null },
      ])
      expect(result.rows).toBe(2)
      expect((await db.sql('SELECT title, body, kind FROM contents ORDER BY id')).rows).toEqual([
        { title: 't1', body: 'b', kind: 'article' },
        { title: 't2', body: null, kind: 'article' },
      ])
      const found = await ds.getRepository(Article).find({ order: { id: 'ASC' }, cache: false })
      expect(found.map((a) => [a.constructor.name, a.title])).toEqual([
        ['Article', 't1'],
        ['Article', 't2'],
      ])
    })

    it('copyInsert({ fields }) writes only those properties, plus the version TypeORM fills on insert', async () => {
      const result = await items().copyInsert([itemRow('a', { note: 'left out' })], { fields: ['sku', 'title'] })
      expect(result.fields).toEqual(['sku', 'title', 'version'])
      expect((await db.sql('SELECT stock_code, title, note, quantity, version FROM items')).rows).toEqual([
        { stock_code: 'a', title: 'A', note: null, quantity: 0, version: 1 },
      ])
    })

    it('bulkUpdate() finds rows by the primary key by default and writes only the given properties', async () => {
      await items().copyInsert([itemRow('a', { dims: { w: 1, h: 2 } }), itemRow('b', { dims: { w: 3, h: 4 } })])
      const result = await items().bulkUpdate([
        { id: 1, title: 'A2', dims: { w: 10 } },
        { id: 2, title: 'B2', dims: { w: 30 } },
        { id: 99, title: 'nobody', dims: { w: 0 } },
      ])
      expect(result.rows).toBe(2)
      expect(result.fields).toEqual(['id', 'title', 'dims.w'])
      const rows = (
        await db.sql(
          `SELECT id, title, quantity, "${col('dims.w')}" AS w, "${col('dims.h')}" AS h FROM items ORDER BY id`,
        )
      ).rows
      expect(rows).toEqual([
        { id: 1, title: 'A2', quantity: 1, w: 10, h: 2 },
        { id: 2, title: 'B2', quantity: 1, w: 30, h: 4 },
      ])
    })

    it('bulkUpdate() takes a key by property name (renamed column) and a relation by its name', async () => {
      const [o1, o2] = await ds.getRepository(Owner).save([{ name: 'o1' }, { name: 'o2' }])
      await items().copyInsert([itemRow('a', { owner: o1 }), itemRow('b', { owner: o1 })])
      await items().bulkUpdate([{ sku: 'b', qty: 7, owner: { id: o2!.id } }], { key: 'sku' })
      const rows = (await db.sql(`SELECT stock_code, quantity, "${col('owner.id')}" AS owner FROM items ORDER BY 1`))
        .rows
      expect(rows).toEqual([
        { stock_code: 'a', quantity: 1, owner: o1!.id },
        { stock_code: 'b', quantity: 7, owner: o2!.id },
      ])
      // `fields: ['owner']` names the relation's join column.
      const r = await items().bulkUpdate([{ sku: 'a', qty: 100, owner: o2 }], { key: 'sku', fields: ['owner'] })
      expect(r.fields).toEqual(['sku', 'owner.id'])
      const a = (await db.sql(`SELECT quantity, "${col('owner.id')}" AS owner FROM items WHERE stock_code = 'a'`))
        .rows[0]
      expect(a).toEqual({ quantity: 1, owner: o2!.id })
    })

    it('bulkUpsert() inserts new rows and updates conflicting ones, keeping createdAt and version', async () => {
      await items().copyInsert([itemRow('a')])
      const before = (await db.sql('SELECT "createdAt", version FROM items')).rows[0]
      const result = await items().bulkUpsert([itemRow('a', { title: 'A3' }), itemRow('c', { title: 'C' })], {
        conflict: ['sku'],
      })
      expect(result.rows).toBe(2)
      const rows = (await db.sql('SELECT stock_code, title, "createdAt", version FROM items ORDER BY 1')).rows
      expect(rows.map((r) => [r.stock_code, r.title, r.version])).toEqual([
        ['a', 'A3', 1],
        ['c', 'C', 1],
      ])
      expect(rows[0].createdAt).toEqual(before.createdAt)
      // update: [] keeps existing rows.
      await items().bulkUpsert([itemRow('a', { title: 'ignored' })], { conflict: ['sku'], update: [] })
      expect((await db.sql(`SELECT title FROM items WHERE stock_code = 'a'`)).rows[0].title).toBe('A3')
    })

    it('a cached find sees each bulk write: copyInsert, bulkUpdate and bulkUpsert invalidate its table', async () => {
      const owners = ds.getRepository(Owner)
      const repo = ds.getRepository(Item)
      await perf.bulk(Owner).copyInsert([{ id: 1, name: 'o1' }])
      await items().copyInsert([itemRow('a')])
      expect((await owners.findOneBy({ id: 1 }))!.name).toBe('o1')
      expect(await repo.countBy({ title: 'A' })).toBe(1)
      // Changed behind TypeORM's back: the cached entries still answer, so they are cached.
      await db.sql(`UPDATE owners SET name = 'behind'`)
      await db.sql(`UPDATE items SET title = 'behind'`)
      expect((await owners.findOneBy({ id: 1 }))!.name).toBe('o1')
      expect(await repo.countBy({ title: 'A' })).toBe(1)
      const invalidations = perf.stats().invalidations

      await perf.bulk(Owner).bulkUpdate([{ id: 1, name: 'o2' }])
      expect((await owners.findOneBy({ id: 1 }))!.name).toBe('o2')
      expect(await repo.countBy({ title: 'A' })).toBe(0) // owners ← items cascades on update: dropped too

      expect(await repo.countBy({ title: 'B' })).toBe(0)
      await items().copyInsert([itemRow('b')])
      expect(await repo.countBy({ title: 'B' })).toBe(1)

      await perf.bulk(Owner).bulkUpsert([{ id: 1, name: 'o3' }], { conflict: ['id'] })
      expect((await owners.findOneBy({ id: 1 }))!.name).toBe('o3')
      expect(perf.stats().invalidations - invalidations).toBe(3)
    })

    it('a write that changes nothing invalidates nothing', async () => {
      const key = await cachedFrom(cache, 'items')
      const invalidations = perf.stats().invalidations
      expect((await items().bulkUpdate([{ id: 42, title: 'none' }])).rows).toBe(0)
      expect((await items().copyInsert([])).rows).toBe(0)
      expect(await cache.get(key)).toBeDefined()
      expect(perf.stats().invalidations).toBe(invalidations)
    })

    it('foreign keys widen invalidation as for statements: an owners update reaches items (ON UPDATE CASCADE), an insert does not', async () => {
      const owners = perf.bulk(Owner)
      await owners.copyInsert([{ id: 1, name: 'o1' }])
      const itemsKey = await cachedFrom(cache, 'items')
      const ownersKey = await cachedFrom(cache, 'owners')
      await owners.copyInsert([{ id: 2, name: 'o2' }])
      expect(await cache.get(ownersKey)).toBeUndefined()
      expect(await cache.get(itemsKey)).toBeDefined()
      await owners.bulkUpdate([{ id: 1, name: 'renamed' }])
      expect(await cache.get(itemsKey)).toBeUndefined()
    })

    it('records one QueryEvent per bulk write, failures included', async () => {
      await items().copyInsert([itemRow('a'), itemRow('b')])
      await items().bulkUpdate([{ id: 1, title: 'x' }])
      await rejection(items().copyInsert([itemRow('a')])) // duplicate sku
      expect(bulkEvents()).toEqual([
        expect.objectContaining({
          source: 'typeorm',
          operation: 'copyInsert',
          model: 'Item',
          rows: 2,
          tables: ['items'],
          inTransaction: false,
          error: undefined,
        }),
        expect.objectContaining({ source: 'typeorm', operation: 'bulkUpdate', model: 'Item', rows: 1 }),
        expect.objectContaining({
          source: 'typeorm',
          operation: 'copyInsert',
          rows: undefined,
          error: expect.any(BulkWriteError),
        }),
      ])
      expect(bulkEvents().every((e) => e.durationMs >= 0 && e.sql === undefined)).toBe(true)
      const fingerprint = monitor.fingerprints().find((f) => f.fingerprint === 'typeorm:Item.copyInsert')
      expect(fingerprint).toMatchObject({ model: 'Item', operation: 'copyInsert' })
      expect(fingerprint!.errors).toBeGreaterThanOrEqual(1)
    })

    it('a value the column refuses fails with BulkWriteError naming the property and row; nothing is written', async () => {
      const bad = await rejection(items().copyInsert([itemRow('a'), itemRow('b', { qty: 'many' })]))
      expect(bad).toBeInstanceOf(BulkWriteError)
      expect(bad).toMatchObject({ code: 'BATCH_FAILED', column: 'qty', rowIndex: 1, committedRows: 0 })
      expect((bad as Error).message).toContain('field "qty" (column "quantity")')

      const date = await rejection(items().copyInsert([itemRow('a', { happenedAt: new Date('nope') })]))
      expect(date).toMatchObject({
        name: 'BulkWriteError',
        code: 'INVALID_ARGUMENT',
        column: 'happenedAt',
        rowIndex: 0,
      })

      const transformer = await rejection(
        items().copyInsert([itemRow('a', { cost: new Money(1) }), itemRow('b', { cost: 'cheap' })]),
      )
      expect(transformer).toMatchObject({
        name: 'BulkWriteError',
        code: 'INVALID_ARGUMENT',
        column: 'cost',
        rowIndex: 1,
      })
      expect((transformer as Error).message).toContain('property "cost": cost must be a Money')
      // The transformer sees null too, as TypeORM's own writes do.
      const nullCost = await rejection(items().copyInsert([itemRow('a', { cost: null })]))
      expect(nullCost).toMatchObject({ name: 'BulkWriteError', code: 'INVALID_ARGUMENT', column: 'cost', rowIndex: 0 })

      const enumValue = await rejection(items().bulkUpsert([itemRow('a', { tier: 'bronze' })], { conflict: ['sku'] }))
      // unnest statements: the server names no column for a cast error, the row is found by bisection.
      expect(enumValue).toMatchObject({ name: 'BulkWriteError', code: 'BATCH_FAILED', failedRows: [0] })
      expect((enumValue as Error).message).toContain('bronze')
      expect(await count()).toBe(0)
    })

    it('atomic: false keeps the batches before a failing row, says how many, and still invalidates', async () => {
      const key = await cachedFrom(cache, 'items')
      const rows = [0, 1, 2, 3, 4].map((i) => itemRow(`s${i}`, { cost: i === 3 ? 'bad' : new Money(i) }))
      const error = await rejection(items().copyInsert(rows, { atomic: false, batchRows: 2 }))
      expect(error).toMatchObject({ name: 'BulkWriteError', column: 'cost', rowIndex: 3, committedRows: 2 })
      expect(await count()).toBe(2)
      expect(await cache.get(key)).toBeUndefined()
    })

    it('an unknown property is refused with INVALID_ARGUMENT naming it, before anything is written', async () => {
      const top = await rejection(items().copyInsert([itemRow('a'), itemRow('b', { colour: 'red' })]))
      expect(isPerfError(top, 'INVALID_ARGUMENT')).toBe(true)
      expect((top as { context: Record<string, unknown> }).context).toMatchObject({
        model: 'Item',
        property: 'colour',
        rowIndex: 1,
      })
      const nested = await rejection(items().copyInsert([itemRow('a', { dims: { w: 1, depth: 2 } })]))
      expect((nested as { context: Record<string, unknown> }).context).toMatchObject({
        property: 'dims.depth',
        rowIndex: 0,
      })
      for (const call of [
        () => items().copyInsert([itemRow('a')], { fields: ['sku', 'nope'] }),
        () => items().bulkUpdate([itemRow('a')], { key: 'nope' }),
        () => items().bulkUpsert([itemRow('a')], { conflict: ['nope'] }),
        () => items().bulkUpsert([itemRow('a')], { conflict: ['sku'], update: ['nope'] }),
      ]) {
        const error = await rejection(call())
        expect(isPerfError(error, 'INVALID_ARGUMENT')).toBe(true)
        expect((error as { context: Record<string, unknown> }).context).toMatchObject({ property: 'nope' })
      }
      expect(await count()).toBe(0)
      // Properties TypeORM does not store in the table (a one-to-many) are skipped, as insert() does.
      await perf.bulk(Owner).copyInsert([{ name: 'o', items: [] }])
      expect(Number((await db.sql('SELECT count(*)::int AS n FROM owners')).rows[0].n)).toBe(1)
    })

    it('inside dataSource.transaction({ manager }): runs on its connection and invalidates after COMMIT', async () => {
      const key = await cachedFrom(cache, 'items')
      await ds.transaction(async (manager) => {
        await items().copyInsert([itemRow('a'), itemRow('b')], { manager })
        expect(await manager.getRepository(Item).count()).toBe(2) // same connection: sees its rows
        expect(await count()).toBe(0) // another connection does not, yet
        expect(await cache.get(key)).toBeDefined()
        await items().bulkUpdate([{ sku: 'a', title: 'tx' }], { key: 'sku', manager })
      })
      expect(await cache.get(key)).toBeUndefined()
      expect(await count()).toBe(2)
      expect(bulkEvents().map((e) => e.inTransaction)).toEqual([true, true])
    })

    it('a rolled-back transaction keeps the cache and writes no rows', async () => {
      const key = await cachedFrom(cache, 'items')
      const invalidations = perf.stats().invalidations
      await expect(
        ds.transaction(async (manager) => {
          await items().copyInsert([itemRow('a')], { manager })
          await items().bulkUpsert([itemRow('b')], { conflict: ['sku'], manager })
          throw new Error('abort')
        }),
      ).rejects.toThrow('abort')
      expect(await cache.get(key)).toBeDefined()
      expect(perf.stats().invalidations).toBe(invalidations)
      expect(await count()).toBe(0)
    })

    it('a QueryRunner you manage: the write waits for commitTransaction(); a failed bulkUpdate leaves its transaction usable', async () => {
      const key = await cachedFrom(cache, 'items')
      const qr = ds.createQueryRunner()
      try {
        await qr.startTransaction()
        await items().copyInsert([itemRow('a')], { queryRunner: qr })
        const error = await rejection(
          items().bulkUpdate([{ sku: 'a', qty: 'many' as never }], { key: 'sku', queryRunner: qr }),
        )
        expect(error).toMatchObject({ name: 'BulkWriteError', code: 'BATCH_FAILED', failedRows: [0] })
        await qr.query(`UPDATE items SET title = 'still usable'`)
        expect(await cache.get(key)).toBeDefined()
        await qr.commitTransaction()
      } finally {
        if (qr.isTransactionActive) await qr.rollbackTransaction()
        await qr.release()
      }
      expect(await cache.get(key)).toBeUndefined()
      expect((await db.sql('SELECT title FROM items')).rows).toEqual([{ title: 'still usable' }])
    })

    it('refuses a manager of another DataSource and a released QueryRunner', async () => {
      const other = new typeorm.DataSource({
        ...db.options,
        entities: bulkEntities(typeorm).all,
      } as typeorm1.DataSourceOptions)
      await other.initialize()
      try {
        const error = await rejection(items().copyInsert([itemRow('a')], { manager: other.manager }))
        expect(isPerfError(error, 'INVALID_OPTION')).toBe(true)
      } finally {
        await other.destroy()
      }
      const qr = ds.createQueryRunner()
      await qr.release()
      expect(
        isPerfError(await rejection(items().copyInsert([itemRow('a')], { queryRunner: qr })), 'INVALID_OPTION'),
      ).toBe(true)
      expect(await count()).toBe(0)
    })

    it('streams an async-iterable source in batches, without reading it ahead', async () => {
      let produced = 0
      async function* generate(n: number) {
        for (let i = 0; i < n; i++) {
          produced++
          yield itemRow(`s${i}`, { qty: i, dims: { w: i, h: null } })
        }
      }
      const seen: number[] = []
      const result = await items().copyInsert(generate(2500), {
        atomic: false,
        batchRows: 1000,
        onProgress: (p) => {
          seen.push(p.committedRows)
          // Never more than one batch (plus the row that shows it is full) read ahead of what is committed.
          expect(produced - p.committedRows).toBeLessThanOrEqual(1001)
        },
      })
      expect(result).toMatchObject({ rows: 2500, batches: 3 })
      expect(seen.at(-1)).toBe(2500)
      expect(await count()).toBe(2500)
      const sum = (await db.sql(`SELECT sum(quantity)::int AS q, sum("${col('dims.w')}")::int AS w FROM items`)).rows[0]
      expect(sum).toEqual({ q: (2499 * 2500) / 2, w: (2499 * 2500) / 2 })

      async function* updates() {
        for (let i = 0; i < 2500; i += 2) yield { sku: `s${i}`, title: 'even' }
      }
      expect((await items().bulkUpdate(updates(), { key: 'sku', batchSize: 300 })).rows).toBe(1250)
      expect((await db.sql(`SELECT count(*)::int AS n FROM items WHERE title = 'even'`)).rows[0].n).toBe(1250)
    })

    it('bulkWriter(dataSource, Entity) works without instrument() and refuses an unknown entity', async () => {
      class NotAnEntity {}
      expect(() => bulkWriter(ds, NotAnEntity)).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL' }))
      const plain = new typeorm.DataSource({
        ...db.options,
        entities: bulkEntities(typeorm).all,
      } as typeorm1.DataSourceOptions)
      expect(() => bulkWriter(plain, Item)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
      await plain.initialize()
      try {
        const before = events.length
        const writer = bulkWriter(plain, Item)
        expect((await writer.copyInsert([itemRow('a')])).rows).toBe(1)
        expect(events.length).toBe(before) // not instrumented: nothing recorded
        // Instrumented later: the same writer now invalidates; after uninstrument() it stops again.
        const other = createCache({ tiers: [new MemoryStore()] })
        const instrumented = instrument(plain, { cache: other })
        const key = await cachedFrom(other, 'items')
        await writer.copyInsert([itemRow('b')])
        expect(await other.get(key)).toBeUndefined()
        instrumented.uninstrument()
        const again = await cachedFrom(other, 'items')
        await writer.copyInsert([itemRow('c')])
        expect(await other.get(again)).toBeDefined()
        await other.close()
      } finally {
        await plain.destroy()
      }
      expect(await count()).toBe(3)
    })
  })
}

describe.skipIf(!mariaUp)('bulkWriter() on MariaDB', () => {
  it('throws CLIENT_INVALID naming the driver', async () => {
    const blog = await openBlog(TYPEORM_VERSIONS[0].typeorm, createMariaDatabase)
    try {
      let error: unknown
      try {
        bulkWriter(blog.ds, blog.entities.Widget)
      } catch (err) {
        error = err
      }
      expect(isPerfError(error, 'CLIENT_INVALID')).toBe(true)
      expect((error as Error).message).toContain('"mariadb"')
    } finally {
      await blog.close()
    }
  })
})
