import diagnosticsChannel from 'node:diagnostics_channel'
import { isPerfError, type QueryEvent } from '@perf/core'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { BulkWriteError } from '../src/index.js'
import { Prisma } from './generated/client.js'
import { postgresAvailable, type TestDatabase } from './setup/database.js'
import { wrap } from './setup/harness.js'
import { freshBlog, type BlogIds } from './setup/seed.js'

const available = await postgresAvailable()
const ttl = { ttl: 60 }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

async function* stream<T>(rows: Iterable<T>): AsyncGenerator<T> {
  for (const row of rows) yield row
}

describe.skipIf(!available)('model-level bulk writes (copyInsert, bulkUpdate, bulkUpsert)', () => {
  let tdb: TestDatabase | undefined
  let ids: BlogIds
  let w: ReturnType<typeof wrap>
  beforeEach(async () => void ({ tdb, ids, w } = await freshBlog(tdb)))
  afterAll(async () => tdb?.drop())

  /** Prisma's events from here on (the perf:query channel; the pool's own 'pg' events excluded). */
  const events: QueryEvent[] = []
  const listener = (message: unknown) => {
    if ((message as QueryEvent).source === 'prisma') events.push(message as QueryEvent)
  }
  const record = () => {
    events.length = 0
    diagnosticsChannel.subscribe('perf:query', listener)
  }
  afterAll(() => diagnosticsChannel.unsubscribe('perf:query', listener))

  it('copyInsert() writes Prisma field names to @map columns of the @@map table, with every value type and the client-side defaults', async () => {
    const before = Date.now()
    const result = await w.db.event.copyInsert([
      {
        code: 'a',
        kind: 'signup',
        level: 'WARN',
        amount: new Prisma.Decimal('12345.67'),
        count: 9007199254740993n,
        payload: { nested: [1, 'two', null], quote: 'tab\t"q"' },
        data: new Uint8Array([0, 1, 254]),
        labels: ['x', 'y,z'],
        at: new Date('2024-02-29T12:34:56.789Z'),
      },
      { code: 'b', kind: 'login', payload: Prisma.JsonNull, amount: '0.5' },
      { code: 'c', kind: 'login', payload: Prisma.DbNull, amount: 3 },
    ])
    expect(result).toMatchObject({ rows: 3, batches: 1 })
    const rows = await w.prisma.event.findMany({ orderBy: { code: 'asc' } })
    expect(rows[0]).toMatchObject({
      code: 'a',
      kind: 'signup',
      level: 'WARN',
      count: 9007199254740993n,
      payload: { nested: [1, 'two', null], quote: 'tab\t"q"' },
      labels: ['x', 'y,z'],
      at: new Date('2024-02-29T12:34:56.789Z'),
    })
    expect(rows[0]!.amount.toFixed(2)).toBe('12345.67')
    expect([...rows[0]!.data!]).toEqual([0, 1, 254])
    // Defaults Prisma fills itself: uuid(), the literals, now() and @updatedAt.
    for (const row of rows) expect(row.id).toMatch(UUID)
    expect(new Set(rows.map((r) => r.id)).size).toBe(3)
    expect(rows[1]).toMatchObject({ level: 'INFO', count: 1n, labels: [], data: null })
    expect(rows[1]!.amount.toFixed(2)).toBe('0.50')
    expect(rows[1]!.at.getTime()).toBeGreaterThanOrEqual(before - 1000)
    expect(rows[1]!.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1000)
    // JsonNull is JSON null, DbNull is SQL NULL.
    const nulls = await tdb!.sql(
      `SELECT event_code, payload IS NULL AS sql_null, payload::text AS text FROM events WHERE event_code IN ('b', 'c') ORDER BY 1`,
    )
    expect(nulls.rows).toEqual([
      { event_code: 'b', sql_null: false, text: 'null' },
      { event_code: 'c', sql_null: true, text: null },
    ])
  })

  it('a cached findMany is invalidated by each bulk write, and one monitor event per write counts its rows', async () => {
    await w.db.event.copyInsert([{ code: 'a', kind: 'k', amount: 1 }])
    const read = () => w.db.event.findMany({ orderBy: { code: 'asc' }, cacheStrategy: ttl }).withPerfInfo()
    expect((await read()).info.status).toBe('miss')
    expect((await read()).info.status).toBe('hit')
    record()
    await w.db.event.copyInsert(
      stream([
        { code: 'b', kind: 'k' },
        { code: 'c', kind: 'k' },
      ]),
    )
    let after = await read()
    expect(after.info.status).toBe('miss')
    expect(after.data.map((e) => e.code)).toEqual(['a', 'b', 'c'])

    await w.db.event.bulkUpdate(after.data.map((e) => ({ id: e.id, kind: `k-${e.code}` })))
    after = await read()
    expect(after.info.status).toBe('miss')
    expect(after.data.map((e) => e.kind)).toEqual(['k-a', 'k-b', 'k-c'])

    await w.db.event.bulkUpsert(
      [
        { code: 'a', kind: 'upserted' },
        { code: 'd', kind: 'new' },
      ],
      { conflict: ['code'] },
    )
    after = await read()
    expect(after.info.status).toBe('miss')
    expect(after.data.map((e) => [e.code, e.kind])).toEqual([
      ['a', 'upserted'],
      ['b', 'k-b'],
      ['c', 'k-c'],
      ['d', 'new'],
    ])
    const writes = events.filter((e) => e.operation !== 'findMany')
    expect(writes.map((e) => [e.source, e.model, e.operation, e.rows])).toEqual([
      ['prisma', 'Event', 'copyInsert', 2],
      ['prisma', 'Event', 'bulkUpdate', 3],
      ['prisma', 'Event', 'bulkUpsert', 2],
    ])
    expect(writes[0]!.sql).toBe(
      'COPY "events" ("event_code", "event_kind", "id", "level", "amount", "count", "labels", "occurred_at", "updated_at") FROM STDIN',
    )
    expect(writes[1]!.sql).toContain('UPDATE "events" AS t SET "event_kind" = v."event_kind", "updated_at"')
    expect(writes[2]!.sql).toContain('ON CONFLICT ("event_code") DO UPDATE SET "event_kind"')
  })

  it('bulkUpsert() keeps the stored id and creation time of a conflicting row and refreshes @updatedAt', async () => {
    await w.db.event.copyInsert([{ code: 'a', kind: 'k', at: new Date('2020-01-01T00:00:00Z') }])
    const [before] = await w.prisma.event.findMany()
    await new Promise((r) => setTimeout(r, 5))
    await w.db.event.bulkUpsert([{ code: 'a', kind: 'again' }], { conflict: ['code'] })
    const [after] = await w.prisma.event.findMany()
    expect(after).toMatchObject({ id: before!.id, code: 'a', kind: 'again', at: new Date('2020-01-01T00:00:00Z') })
    expect(after!.updatedAt.getTime()).toBeGreaterThan(before!.updatedAt.getTime())
  })

  it('bulkUpdate() defaults its key to @id and updates a model whose table other models reference', async () => {
    await w.db.user.findMany({ cacheStrategy: ttl })
    const result = await w.db.user.bulkUpdate([
      { id: ids.alice.id, name: 'Alicia', balance: new Prisma.Decimal('1.10') },
      { id: ids.bob.id, name: 'Robert', balance: 2 },
    ])
    expect(result.rows).toBe(2)
    expect(result.fields).toEqual(['id', 'name', 'balance'])
    const users = await w.db.user.findMany({ orderBy: { id: 'asc' }, cacheStrategy: ttl }).withPerfInfo()
    expect(users.info.status).toBe('miss')
    expect(users.data.map((u) => [u.name, u.balance.toFixed(2)])).toEqual([
      ['Alicia', '1.10'],
      ['Robert', '2.00'],
    ])
  })

  it('a value the column refuses names the row and the Prisma field; an atomic write keeps nothing', async () => {
    const error = await w.db.event
      .copyInsert([
        { code: 'a', kind: 'k' },
        { code: 'b', kind: 'k', amount: 'not a number' },
      ])
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BulkWriteError)
    expect((error as BulkWriteError).rowIndex).toBe(1)
    expect(await w.prisma.event.count()).toBe(0)

    const dup = await w.db.event
      .bulkUpsert(
        [
          { code: 'x', kind: 'k' },
          { code: 'y', kind: 'k', amount: 1e12 },
          { code: 'z', kind: 'k' },
        ],
        {
          conflict: ['code'],
        },
      )
      .catch((e: unknown) => e)
    // numeric(12, 2) overflows: the server refuses the chunk, the bisection names the row.
    expect(dup).toBeInstanceOf(BulkWriteError)
    expect((dup as BulkWriteError).failedRows).toEqual([1])
  })

  it('refuses unknown fields, a missing pool and an interactive transaction with typed errors', async () => {
    const unknown = await w.db.event
      .copyInsert([{ code: 'a', kind: 'k', colour: 'red' } as never])
      .catch((e: unknown) => e)
    expect(isPerfError(unknown, 'INVALID_ARGUMENT')).toBe(true)
    expect((unknown as Error).message).toContain('Event has no field "colour"')

    const relation = await w.db.user.copyInsert([{ email: 'x@y', posts: [] } as never]).catch((e: unknown) => e)
    expect((relation as Error).message).toContain('User has no field "posts"')

    const noPool = wrap(tdb!, { pool: undefined })
    const { prisma } = tdb!.createClient()
    const { perf } = await import('../src/index.js')
    const bare = prisma.$extends(perf({ cache: noPool.cache }))
    const missing = await bare.event.copyInsert([{ code: 'a', kind: 'k' }]).catch((e: unknown) => e)
    expect(isPerfError(missing, 'INVALID_OPTION')).toBe(true)
    expect((missing as Error).message).toContain('needs option "pool"')

    const inTx = await w.db
      .$transaction(async (tx) => tx.event.copyInsert([{ code: 'a', kind: 'k' }]))
      .catch((e: unknown) => e)
    expect(isPerfError(inTx, 'INVALID_ARGUMENT')).toBe(true)
    expect((inTx as Error).message).toContain('cannot join an interactive $transaction')
    expect(await w.prisma.event.count()).toBe(0)
  })

  it('streams 20,000 rows from an async source in batches, committing each with atomic: false', async () => {
    const progress: number[] = []
    const result = await w.db.event.copyInsert(
      stream(Array.from({ length: 20_000 }, (_, i) => ({ code: `c${i}`, kind: 'bulk', amount: i / 100 }))),
      { atomic: false, batchRows: 8000, onProgress: (p) => progress.push(p.committedRows) },
    )
    expect(result).toMatchObject({ rows: 20_000, batches: 3 })
    expect(progress.at(-1)).toBe(20_000)
    expect(await w.prisma.event.count()).toBe(20_000)
    const sum = await tdb!.sql('SELECT sum(amount)::text AS s FROM events')
    expect(sum.rows[0].s).toBe('1999900.00')
  })
})
