import { isPerfError } from '@perf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BulkWriteError, mappedBulk, type MappedField } from '../src/index.js'
import { freshDatabase, privatePostgres } from './setup/database.js'

const url = await privatePostgres()

/** A model whose fields are stored under other names, one of them through a conversion. */
const fields = new Map<string, MappedField>([
  ['id', { column: 'id' }],
  ['fullName', { column: 'full_name' }],
  ['price', { column: 'price_cents', toDatabase: (v) => Math.round(Number(v) * 100) }],
  ['tags', { column: 'tag_list' }],
  ['meta', { column: 'meta' }],
])
const items = mappedBulk({ model: 'Item', table: 'mapped_items', fields, label: '[perf:test]' })

async function* stream<T>(rows: T[]): AsyncGenerator<T> {
  for (const row of rows) yield row
}

describe.skipIf(!url)('mappedBulk', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase(url!)
    await db.pool.query(`CREATE TABLE mapped_items (id int PRIMARY KEY, full_name text, price_cents int,
      tag_list text[], meta jsonb, note text DEFAULT 'kept')`)
  })
  afterAll(async () => {
    await db?.drop()
  })
  const all = async () => (await db.pool.query('SELECT * FROM mapped_items ORDER BY id')).rows

  it('copyInsert() writes fields to their columns, converting values, with the first row deciding the fields', async () => {
    const result = await items.copyInsert(db.pool, [
      { id: 1, fullName: 'Ada', price: '1.25', tags: ['a', 'b'], meta: { x: 1 } },
      { id: 2, fullName: null, price: 2, tags: null, meta: [1, 2] },
    ])
    expect(result).toMatchObject({ rows: 2, batches: 1, fields: ['id', 'fullName', 'price', 'tags', 'meta'] })
    expect(await all()).toEqual([
      { id: 1, full_name: 'Ada', price_cents: 125, tag_list: ['a', 'b'], meta: { x: 1 }, note: 'kept' },
      { id: 2, full_name: null, price_cents: 200, tag_list: null, meta: [1, 2], note: 'kept' },
    ])
  })

  it('bulkUpdate() finds rows by the key field and updates only the fields given, from a streamed source', async () => {
    const result = await items.bulkUpdate(
      db.pool,
      stream([
        { id: 2, price: 3 },
        { id: 1, price: 4, fullName: 'ignored: not in fields' },
        { id: 99, price: 5 },
      ]),
      { key: 'id', fields: ['price'] },
    )
    expect(result).toMatchObject({ rows: 2, fields: ['id', 'price'] })
    const rows = await all()
    expect(rows.map((r) => [r.id, r.full_name, r.price_cents])).toEqual([
      [1, 'Ada', 400],
      [2, null, 300],
    ])
  })

  it('bulkUpsert() conflicts on a field and updates the listed fields only', async () => {
    const result = await items.bulkUpsert(
      db.pool,
      [
        { id: 1, fullName: 'Ada L.', price: 9 },
        { id: 3, fullName: 'Grace', price: 1 },
      ],
      { conflict: ['id'], update: ['fullName'] },
    )
    expect(result.rows).toBe(2)
    const rows = await all()
    expect(rows.map((r) => [r.id, r.full_name, r.price_cents])).toEqual([
      [1, 'Ada L.', 400],
      [2, null, 300],
      [3, 'Grace', 100],
    ])
  })

  it('an array writes every field some row has; a stream refuses a field its first row did not have', async () => {
    const result = await items.copyInsert(db.pool, [{ id: 20 }, { id: 21, fullName: 'late' }])
    expect(result.fields).toEqual(['id', 'fullName'])
    expect((await db.pool.query('SELECT full_name FROM mapped_items WHERE id = 21')).rows).toEqual([
      { full_name: 'late' },
    ])
    const late = await items
      .copyInsert(db.pool, stream([{ id: 22 }, { id: 23, fullName: 'late' }]))
      .catch((e: unknown) => e)
    expect(late).toBeInstanceOf(BulkWriteError)
    expect((late as BulkWriteError).rowIndex).toBe(1)
    expect((late as Error).message).toContain('pass options.fields')
    expect((await db.pool.query('SELECT count(*)::int AS n FROM mapped_items WHERE id IN (22, 23)')).rows[0].n).toBe(0)
    await db.pool.query('DELETE FROM mapped_items WHERE id >= 20')
  })

  it('default fills an insert, onUpdate fills an update, and an upsert never overwrites a default-only field', async () => {
    await db.pool.query(`CREATE TABLE stamped (id text PRIMARY KEY, email text UNIQUE, n int,
      created timestamptz NOT NULL, updated timestamptz NOT NULL)`)
    let next = 0
    const clock = { now: new Date('2030-01-01T00:00:00Z') }
    const stamped = mappedBulk({
      model: 'Stamped',
      table: 'stamped',
      fields: new Map<string, MappedField>([
        ['id', { column: 'id', default: () => `gen-${++next}` }],
        ['email', { column: 'email' }],
        ['n', { column: 'n' }],
        ['created', { column: 'created', default: () => clock.now }],
        ['updated', { column: 'updated', default: () => clock.now, onUpdate: () => clock.now }],
      ]),
    })
    const inserted = await stamped.copyInsert(db.pool, [
      { email: 'a@x', n: 1 },
      { id: 'given', email: 'b@x', n: 2 },
    ])
    expect(inserted.fields).toEqual(['email', 'n', 'id', 'created', 'updated'])
    const read = async () =>
      (await db.pool.query('SELECT id, email, n, created, updated FROM stamped ORDER BY email')).rows
    expect(await read()).toEqual([
      { id: 'gen-1', email: 'a@x', n: 1, created: clock.now, updated: clock.now },
      { id: 'given', email: 'b@x', n: 2, created: clock.now, updated: clock.now },
    ])
    const later = new Date('2030-06-01T00:00:00Z')
    clock.now = later
    const updated = await stamped.bulkUpdate(db.pool, [{ id: 'given', n: 3 }], { key: 'id' })
    expect(updated.fields).toEqual(['id', 'n', 'updated'])
    const upserted = await stamped.bulkUpsert(
      db.pool,
      [
        { email: 'a@x', n: 4 },
        { email: 'c@x', n: 5 },
      ],
      {
        conflict: ['email'],
      },
    )
    expect(upserted.rows).toBe(2)
    const old = new Date('2030-01-01T00:00:00Z')
    expect(await read()).toEqual([
      // the conflicting row keeps its id and creation time; n and updated change
      { id: 'gen-1', email: 'a@x', n: 4, created: old, updated: later },
      { id: 'given', email: 'b@x', n: 3, created: old, updated: later },
      { id: 'gen-3', email: 'c@x', n: 5, created: later, updated: later },
    ])
  })

  it('an error of a row mapped after committed batches says how many rows are kept; a key-only update is refused', async () => {
    const rows = function* () {
      for (let i = 0; i < 5; i++) yield { id: 100 + i, fullName: `n${i}` }
      yield { id: 105, fullName: 'late', colour: 'red' }
    }
    const error = await items.copyInsert(db.pool, rows(), { atomic: false, batchRows: 2 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BulkWriteError)
    expect((error as BulkWriteError).rowIndex).toBe(5)
    expect((error as BulkWriteError).committedRows).toBe(4)
    expect((await db.pool.query('SELECT count(*)::int AS n FROM mapped_items WHERE id >= 100')).rows[0].n).toBe(4)
    await db.pool.query('DELETE FROM mapped_items WHERE id >= 100')
    const keyOnly = await items.bulkUpdate(db.pool, [{ id: 1 }], { key: 'id' }).catch((e: unknown) => e)
    expect(isPerfError(keyOnly, 'INVALID_ARGUMENT')).toBe(true)
    expect((keyOnly as Error).message).toContain(
      'Item bulkUpdate() has nothing to update: the rows carry only the key (id)',
    )
  })

  it('an empty source writes nothing and sends no statement', async () => {
    expect(await items.copyInsert(db.pool, [])).toEqual({ rows: 0, batches: 0, bytes: 0, fields: [] })
  })

  it('names the model and field of an unknown field, in options or in the first row', async () => {
    const unknownInRow = await items.copyInsert(db.pool, [{ id: 5, colour: 'red' }]).catch((e: unknown) => e)
    expect(isPerfError(unknownInRow, 'INVALID_ARGUMENT')).toBe(true)
    expect((unknownInRow as Error).message).toContain('Item has no field "colour" (row 0)')
    const unknownKey = await items.bulkUpdate(db.pool, [{ id: 1 }], { key: 'uuid' }).catch((e: unknown) => e)
    expect((unknownKey as Error).message).toContain('Item has no field "uuid" (key)')
    const noConflict = await items.bulkUpsert(db.pool, [{ id: 1 }], { conflict: [] }).catch((e: unknown) => e)
    expect(isPerfError(noConflict, 'INVALID_ARGUMENT')).toBe(true)
    expect((noConflict as Error).message).toContain('"conflict" must name at least one field')
  })

  it('a conversion that throws and a value the column refuses name the row and the field, not the column', async () => {
    const throwing = mappedBulk({
      model: 'Item',
      table: 'mapped_items',
      fields: new Map([
        ...fields,
        [
          'price',
          {
            column: 'price_cents',
            toDatabase: () => {
              throw new Error('not a price')
            },
          },
        ],
      ]),
    })
    const converted = await throwing.copyInsert(db.pool, [{ id: 10, price: 1 }]).catch((e: unknown) => e)
    expect(converted).toBeInstanceOf(BulkWriteError)
    expect((converted as BulkWriteError).rowIndex).toBe(0)
    expect((converted as BulkWriteError).column).toBe('price')
    expect((converted as Error).message).toContain('field "price": not a price')

    const refused = await items
      .copyInsert(db.pool, [
        { id: 11, fullName: 'ok' },
        { id: 12, fullName: 'bad', tags: 'not an array' },
      ])
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(BulkWriteError)
    expect((refused as BulkWriteError).rowIndex).toBe(1)
    expect((await all()).map((r) => r.id)).toEqual([1, 2, 3]) // atomic: nothing of the batch committed
  })
})
