import { AdaptiveBatchSize, isPerfError } from '@perf/core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BulkWriteError, bulkUpdate, bulkUpsert, instrumentPgPool } from '../src/index.js'
import { freshDatabase, privatePostgres } from './setup/database.js'

const url = await privatePostgres()

describe.skipIf(!url)('bulkUpdate / bulkUpsert', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase(url!)
  })
  afterAll(async () => {
    await db?.drop()
  })

  const count = async (sql: string) => (await db.pool.query(sql)).rows[0].n as number

  it('bulkUpdate() sets per-row values of every type in chunks and counts the rows it updated', async () => {
    await db.pool.query(`CREATE TABLE items (id bigint PRIMARY KEY, name varchar(20), price numeric(10,2),
      tags text[], meta jsonb, at timestamptz, blob bytea, flag boolean)`)
    await db.pool.query(`INSERT INTO items (id, name) SELECT g, 'n' || g FROM generate_series(1, 12000) g`)
    const at = new Date('2030-01-02T03:04:05.678Z')
    const rows = Array.from({ length: 12000 }, (_, i) => ({
      id: BigInt(i + 1),
      name: i % 2 ? `name "${i}"\t,{}` : null,
      price: (i * 1.25).toFixed(2),
      tags: [`t${i}`, 'a,b', null],
      meta: [i, { nested: 'x\\y' }],
      at,
      blob: Buffer.from([i & 255, 0]),
      flag: i % 3 === 0,
    }))
    const progress: number[] = []
    const result = await bulkUpdate(
      db.pool,
      'items',
      'id',
      ['name', 'price', 'tags', 'meta', 'at', 'blob', 'flag'],
      rows,
      {
        batchSize: 5000,
        onProgress: (p) => progress.push(p.rows),
      },
    )
    expect(result).toEqual({ rows: 12000, batches: 3, bytes: 0 })
    expect(progress).toEqual([5000, 10000, 12000])
    const { rows: got } = await db.pool.query('SELECT * FROM items WHERE id IN (1, 2) ORDER BY id')
    expect(got[0]).toEqual({
      id: '1',
      name: null,
      price: '0.00',
      tags: ['t0', 'a,b', null],
      meta: [0, { nested: 'x\\y' }],
      at,
      blob: Buffer.from([0, 0]),
      flag: true,
    })
    expect(got[1]).toMatchObject({ name: 'name "1"\t,{}', price: '1.25', flag: false })
    // unknown keys are not an error; they update nothing
    expect((await bulkUpdate(db.pool, 'items', 'id', ['flag'], [[999999, true]])).rows).toBe(0)
  })

  it('bulkUpdate() with a composite key keeps the last row of a repeated key', async () => {
    await db.pool.query('CREATE TABLE stock (shop int, sku text, qty int, PRIMARY KEY (shop, sku))')
    await db.pool.query("INSERT INTO stock VALUES (1, 'a', 0), (1, 'b', 0), (2, 'a', 0)")
    const result = await bulkUpdate(
      db.pool,
      'stock',
      ['shop', 'sku'],
      ['qty'],
      [
        [1, 'a', 5],
        [2, 'a', 7],
        [1, 'a', 6],
      ],
    )
    expect(result.rows).toBe(2)
    const { rows } = await db.pool.query('SELECT shop, sku, qty FROM stock ORDER BY shop, sku')
    expect(rows).toEqual([
      { shop: 1, sku: 'a', qty: 6 },
      { shop: 1, sku: 'b', qty: 0 },
      { shop: 2, sku: 'a', qty: 7 },
    ])
  })

  it('bulkUpdate() is atomic by default: a refused chunk rolls back the chunks before it', async () => {
    await db.pool.query('CREATE TABLE atomic_u (id int PRIMARY KEY, code varchar(3))')
    await db.pool.query('INSERT INTO atomic_u SELECT g, NULL FROM generate_series(1, 100) g')
    const rows = Array.from({ length: 100 }, (_, i) => [i + 1, i === 77 ? 'toolong' : 'ok'])
    const error = (await bulkUpdate(db.pool, 'atomic_u', 'id', ['code'], rows, { batchSize: 10 }).catch(
      (e: unknown) => e,
    )) as BulkWriteError
    expect(error).toBeInstanceOf(BulkWriteError)
    expect(isPerfError(error, 'BATCH_FAILED')).toBe(true)
    expect(error.context.batchStart).toBe(70)
    // The chunk is bisected (rolled back) to name the row the server refused.
    expect(error.rowIndex).toBe(77)
    expect(error.failedRows).toEqual([77])
    expect(error.message).toMatch(/at row 77.*too long.*nothing committed/)
    expect(await count("SELECT count(*)::int AS n FROM atomic_u WHERE code = 'ok'")).toBe(0)
    // varchar(3) is checked on assignment, never silently truncated by the cast
    const partial = (await bulkUpdate(db.pool, 'atomic_u', 'id', ['code'], rows, {
      batchSize: 10,
      atomic: false,
    }).catch((e: unknown) => e)) as BulkWriteError
    expect(partial.committedRows).toBe(70)
    expect(partial.failedRows).toEqual([77])
    expect(await count("SELECT count(*)::int AS n FROM atomic_u WHERE code = 'ok'")).toBe(70)
  })

  it('bulkUpsert() names every failing row of a refused chunk (failedRows), and the probes leave nothing behind', async () => {
    await db.pool.query('CREATE TABLE probe_u (id int PRIMARY KEY, qty int NOT NULL CHECK (qty >= 0))')
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, qty: i === 123 || i === 400 ? -1 : i }))
    const error = (await bulkUpsert(db.pool, 'probe_u', ['id', 'qty'], rows, { conflict: ['id'] }).catch(
      (e: unknown) => e,
    )) as BulkWriteError
    expect(isPerfError(error, 'BATCH_FAILED')).toBe(true)
    expect(error.failedRows).toEqual([123, 400])
    expect(error.rowIndex).toBe(123)
    expect(error.message).toMatch(/at rows 123, 400: .*check constraint/)
    expect(await count('SELECT count(*)::int AS n FROM probe_u')).toBe(0)
    // Inside the caller's transaction: the probes run in savepoints, the transaction stays usable.
    const client = await db.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('INSERT INTO probe_u VALUES (9999, 1)')
      const inTx = (await bulkUpsert(client, 'probe_u', ['id', 'qty'], rows, { conflict: ['id'] }).catch(
        (e: unknown) => e,
      )) as BulkWriteError
      expect(inTx.failedRows).toEqual([123, 400])
      await client.query('COMMIT')
    } finally {
      client.release()
    }
    expect(await count('SELECT count(*)::int AS n FROM probe_u')).toBe(1)
  })

  it('bulkUpdate() reads the column types once per pool and table; a new column or a refused write reads them again', async () => {
    await db.pool.query('CREATE TABLE cached_u (id int PRIMARY KEY, v int)')
    await db.pool.query('INSERT INTO cached_u SELECT g, 0 FROM generate_series(1, 10) g')
    const pool = new pg.Pool({ connectionString: db.url, max: 2 })
    const sql: string[] = []
    const instrumentation = instrumentPgPool(pool)
    const collect = <T>(fn: () => Promise<T>): Promise<T> => instrumentation.collect((s) => sql.push(s.sql), fn)
    const catalogReads = (): number => sql.filter((s) => s.includes('pg_attribute')).length
    try {
      const rows = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, v: i }))
      await collect(() => bulkUpdate(pool, 'cached_u', 'id', ['v'], rows))
      await collect(() => bulkUpdate(pool, 'cached_u', 'id', ['v'], rows))
      expect(catalogReads()).toBe(1)
      expect(sql.filter((s) => s.startsWith('UPDATE'))).toHaveLength(2)
      await pool.query('ALTER TABLE cached_u ADD COLUMN w text')
      await collect(() =>
        bulkUpdate(
          pool,
          'cached_u',
          'id',
          ['w'],
          rows.map((r) => ({ ...r, w: 'x' })),
        ),
      )
      expect(catalogReads()).toBe(2)
      // A column whose type changed: the refused write forgets the types, the next call works.
      await pool.query('ALTER TABLE cached_u ALTER COLUMN v TYPE boolean USING v > 0')
      await expect(collect(() => bulkUpdate(pool, 'cached_u', 'id', ['v'], rows))).rejects.toBeInstanceOf(
        BulkWriteError,
      )
      const result = await collect(() =>
        bulkUpdate(
          pool,
          'cached_u',
          'id',
          ['v'],
          rows.map((r) => ({ id: r.id, v: true })),
        ),
      )
      expect(result.rows).toBe(10)
      expect(await count('SELECT count(*)::int AS n FROM cached_u WHERE v')).toBe(10)
    } finally {
      instrumentation.close()
      await pool.end()
    }
  })

  it("bulkUpdate() inside the caller's transaction uses a savepoint and leaves the transaction usable", async () => {
    await db.pool.query('CREATE TABLE tx_u (id int PRIMARY KEY, v int NOT NULL)')
    await db.pool.query('INSERT INTO tx_u VALUES (1, 0), (2, 0)')
    const client = await db.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('UPDATE tx_u SET v = 10 WHERE id = 2')
      await expect(
        bulkUpdate(
          client,
          'tx_u',
          'id',
          ['v'],
          [
            [1, 1],
            [2, null],
          ],
        ),
      ).rejects.toMatchObject({ code: 'BATCH_FAILED' })
      await bulkUpdate(client, 'tx_u', 'id', ['v'], [[1, 5]])
      await client.query('COMMIT')
    } finally {
      client.release()
    }
    const { rows } = await db.pool.query('SELECT id, v FROM tx_u ORDER BY id')
    expect(rows).toEqual([
      { id: 1, v: 5 },
      { id: 2, v: 10 },
    ])
    // a client outside a transaction gets one of its own
    const solo = new pg.Client({ connectionString: db.url })
    await solo.connect()
    try {
      await expect(
        bulkUpdate(
          solo,
          'tx_u',
          'id',
          ['v'],
          [
            [1, 7],
            [2, null],
          ],
          { batchSize: 1 },
        ),
      ).rejects.toMatchObject({
        code: 'BATCH_FAILED',
      })
      expect((await solo.query('SELECT v FROM tx_u WHERE id = 1')).rows[0].v).toBe(5)
      // Outside a transaction the client's status says so: BEGIN straight away, no failing SAVEPOINT first.
      const sent: string[] = []
      const query = solo.query.bind(solo)
      solo.query = ((text: unknown, ...rest: unknown[]) => {
        if (typeof text === 'string') sent.push(text.split(' ')[0]!)
        return (query as (...args: unknown[]) => unknown)(text, ...rest)
      }) as typeof solo.query
      await bulkUpdate(solo, 'tx_u', 'id', ['v'], [[1, 8]])
      // (SELECT: the refused write above made it forget the column types.)
      expect(sent).toEqual(['SELECT', 'BEGIN', 'UPDATE', 'COMMIT'])
    } finally {
      await solo.end()
    }
  })

  it('bulkUpdate() refuses unknown tables and columns and a key listed as a column, naming them', async () => {
    await expect(bulkUpdate(db.pool, 'nope', 'id', ['v'], [[1, 2]])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(bulkUpdate(db.pool, 'tx_u', 'id', ['missing'], [[1, 2]])).rejects.toThrow(/no column "missing"/)
    await expect(bulkUpdate(db.pool, 'tx_u', 'id', ['id', 'v'], [])).rejects.toThrow(/part of the key/)
    const bad = (await bulkUpdate(
      db.pool,
      'tx_u',
      'id',
      ['v'],
      [
        [1, 2],
        [2, () => 1],
      ],
    ).catch((e: unknown) => e)) as BulkWriteError
    expect(bad).toMatchObject({ code: 'INVALID_ARGUMENT', rowIndex: 1, column: 'v' })
  })

  it('bulkUpdate() with types skips the catalog and refuses a type that is not a plain name', async () => {
    await db.pool.query('CREATE TABLE typed_u (id int PRIMARY KEY, at timestamptz, tags text[], n numeric(6,2))')
    await db.pool.query('INSERT INTO typed_u VALUES (1, NULL, NULL, NULL)')
    const at = new Date('2031-05-06T07:08:09.010Z')
    const types = { id: 'integer', at: 'timestamp with time zone', tags: 'text[]', n: 'numeric(6,2)' }
    const result = await bulkUpdate(db.pool, 'typed_u', 'id', ['at', 'tags', 'n'], [[1, at, ['a', 'b c'], '12.345']], {
      types,
    })
    expect(result.rows).toBe(1)
    const { rows } = await db.pool.query('SELECT at, tags, n::text FROM typed_u')
    expect(rows[0]).toEqual({ at, tags: ['a', 'b c'], n: '12.35' })
    await expect(
      bulkUpdate(db.pool, 'typed_u', 'id', ['n'], [[1, 1]], {
        types: { id: 'integer', n: 'int; DROP TABLE typed_u; --' },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' })
    await expect(
      bulkUpdate(db.pool, 'typed_u', 'id', ['n'], [[1, 1]], { types: { id: 'integer', n: 'int"' } }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
  })

  it('bulkUpsert() inserts new rows and updates existing ones, with DO NOTHING and a subset of columns', async () => {
    await db.pool.query('CREATE TABLE prices (sku text PRIMARY KEY, price numeric, note text, seen int DEFAULT 0)')
    await db.pool.query("INSERT INTO prices VALUES ('a', 1, 'old a', 1), ('b', 2, 'old b', 1)")
    const result = await bulkUpsert(
      db.pool,
      'prices',
      ['sku', 'price', 'note'],
      [
        { sku: 'a', price: '1.5', note: 'new a' },
        { sku: 'c', price: '3', note: null },
        { sku: 'a', price: '1.75', note: 'newer a' }, // same key twice: the last one wins
      ],
      { conflict: ['sku'], update: ['price'] },
    )
    expect(result.rows).toBe(2)
    const { rows } = await db.pool.query('SELECT sku, price::text, note, seen FROM prices ORDER BY sku')
    expect(rows).toEqual([
      { sku: 'a', price: '1.75', note: 'old a', seen: 1 },
      { sku: 'b', price: '2', note: 'old b', seen: 1 },
      { sku: 'c', price: '3', note: null, seen: 0 },
    ])
    const nothing = await bulkUpsert(
      db.pool,
      'prices',
      ['sku', 'price'],
      [
        ['b', 99],
        ['d', 4],
      ],
      { conflict: ['sku'], update: [] },
    )
    expect(nothing.rows).toBe(1)
    expect(await count('SELECT count(*)::int AS n FROM prices WHERE price = 99')).toBe(0)
    await expect(bulkUpsert(db.pool, 'prices', ['sku'], [['x']], { conflict: ['nope'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    // no unique index on the conflict target: the server's refusal, named
    await expect(
      bulkUpsert(db.pool, 'prices', ['sku', 'note'], [['x', 'y']], { conflict: ['note'] }),
    ).rejects.toMatchObject({
      code: 'BATCH_FAILED',
    })
  })

  it('bulkUpsert() streams 50k rows from an async iterable with an adaptive batch size', async () => {
    await db.pool.query('CREATE TABLE events (id int PRIMARY KEY, payload jsonb, at timestamptz)')
    async function* source() {
      for (let i = 0; i < 50_000; i++) yield [i, { i, tags: ['x'] }, new Date(1_700_000_000_000 + i)]
    }
    const size = new AdaptiveBatchSize({ targetBatchMs: 50, min: 100, max: 20_000, initial: 500 })
    const result = await bulkUpsert(db.pool, 'events', ['id', 'payload', 'at'], source(), {
      conflict: ['id'],
      batchSize: size,
    })
    expect(result.rows).toBe(50_000)
    expect(result.batches).toBeGreaterThan(1)
    expect(size.size).not.toBe(500)
    const { rows } = await db.pool.query('SELECT payload, at FROM events WHERE id = 49999')
    expect(rows[0]).toEqual({ payload: { i: 49999, tags: ['x'] }, at: new Date(1_700_000_049_999) })
  })
})
