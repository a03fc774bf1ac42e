import { isPerfError } from '@perf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BulkWriteError, copyInsert } from '../src/index.js'
import { freshDatabase, privatePostgres } from './setup/database.js'

const url = await privatePostgres()

describe.skipIf(!url)('copyInsert', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase(url!)
  })
  afterAll(async () => {
    await db?.drop()
  })

  it('copyInsert() round-trips text, numeric, bigint, timestamptz, bytea, json, jsonb, arrays and NULL', async () => {
    await db.pool.query(`CREATE TABLE "Types ""q"""(
      id int, t text, n numeric, b bigint, ts timestamptz, by bytea, j json, jb jsonb,
      ta text[], ia int[][], bo boolean, f float8)`)
    const at = new Date('2024-02-29T23:59:58.123Z')
    const weird = 'tab\there\nnew\r\\back "quote" \'single\' {brace},comma NULL \\N é 😀'
    const rows = [
      [
        1,
        weird,
        '12345678901234567890.123456789',
        9007199254740993n,
        at,
        Buffer.from([0, 1, 92, 10, 255]),
        { a: [1, 'x\ty'], b: null },
        [{ k: 'v\\' }, 2],
        [weird, null, '', 'NULL'],
        [
          [1, 2],
          [3, null],
        ],
        true,
        -0.5,
      ],
      [2, '', '0', -1n, new Date(0), Buffer.alloc(0), 'just a string', null, [], [], false, Number.NaN],
      [3, null, null, null, null, null, null, null, null, null, null, null],
    ]
    const result = await copyInsert(
      db.pool,
      'Types "q"',
      ['id', 't', 'n', 'b', 'ts', 'by', 'j', 'jb', 'ta', 'ia', 'bo', 'f'],
      rows,
      {
        json: ['jb', 'j'],
      },
    )
    expect(result).toMatchObject({ rows: 3, batches: 1 })
    const { rows: got } = await db.pool.query(
      `SELECT id, t, n::text, b::text, ts, by, j::text, jb, ta, ia, bo, f FROM "Types ""q""" ORDER BY id`,
    )
    expect(got[0]).toEqual({
      id: 1,
      t: weird,
      n: '12345678901234567890.123456789',
      b: '9007199254740993',
      ts: at,
      by: Buffer.from([0, 1, 92, 10, 255]),
      j: '{"a":[1,"x\\ty"],"b":null}',
      jb: [{ k: 'v\\' }, 2],
      ta: [weird, null, '', 'NULL'],
      ia: [
        [1, 2],
        [3, null],
      ],
      bo: true,
      f: -0.5,
    })
    expect(got[1]).toMatchObject({
      t: '',
      b: '-1',
      ts: new Date(0),
      by: Buffer.alloc(0),
      j: '"just a string"',
      ta: [],
      bo: false,
    })
    expect(got[1].f).toBeNaN()
    expect(got[2]).toEqual({
      id: 3,
      t: null,
      n: null,
      b: null,
      ts: null,
      by: null,
      j: null,
      jb: null,
      ta: null,
      ia: null,
      bo: null,
      f: null,
    })
  })

  it('copyInsert() takes object rows and an async iterable, with bounded memory and progress', async () => {
    await db.pool.query('CREATE TABLE big (id int PRIMARY KEY, name text, payload text)')
    const total = 200_000
    async function* source() {
      for (let i = 0; i < total; i++) yield { id: i, name: `row ${i}`, payload: 'x'.repeat(100) }
    }
    const progress: number[] = []
    const before = process.memoryUsage().heapUsed
    let peak = before
    const result = await copyInsert(db.pool, 'big', ['id', 'name', 'payload'], source(), {
      onProgress: (p) => {
        progress.push(p.rows)
        peak = Math.max(peak, process.memoryUsage().heapUsed)
      },
    })
    expect(result.rows).toBe(total)
    expect(result.bytes).toBeGreaterThan(total * 100)
    expect(progress.length).toBeGreaterThan(100)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    // ~24 MB of COPY data went through; the heap never held more than a small part of it
    expect(peak - before).toBeLessThan(20 * 2 ** 20)
    const { rows } = await db.pool.query('SELECT count(*)::int AS n, max(id) AS m FROM big')
    expect(rows[0]).toEqual({ n: total, m: total - 1 })
  })

  it('copyInsert() names the row the server refused and commits nothing by default', async () => {
    await db.pool.query('CREATE TABLE strict_t (id int PRIMARY KEY, n int NOT NULL)')
    const rows = Array.from({ length: 50 }, (_, i) => [i, i === 37 ? 'not a number' : i])
    const error = await copyInsert(db.pool, 'strict_t', ['id', 'n'], rows).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BulkWriteError)
    expect(isPerfError(error, 'BATCH_FAILED')).toBe(true)
    expect((error as BulkWriteError).rowIndex).toBe(37)
    expect((error as BulkWriteError).column).toBe('n')
    expect((error as BulkWriteError).committedRows).toBe(0)
    expect((error as Error).message).toMatch(/row 37.*"n".*nothing committed/)
    const { rows: count } = await db.pool.query('SELECT count(*)::int AS n FROM strict_t')
    expect(count[0].n).toBe(0)
  })

  it('copyInsert() with atomic: false keeps the batches before the failing one', async () => {
    await db.pool.query('CREATE TABLE partial_t (id int PRIMARY KEY)')
    const rows = Array.from({ length: 95 }, (_, i) => [i === 72 ? 5 : i]) // duplicate key at row 72
    const error = (await copyInsert(db.pool, 'partial_t', ['id'], rows, { atomic: false, batchRows: 20 }).catch(
      (e: unknown) => e,
    )) as BulkWriteError
    expect(isPerfError(error, 'BATCH_FAILED')).toBe(true)
    expect(error.rowIndex).toBe(72)
    expect(error.committedRows).toBe(60)
    const { rows: count } = await db.pool.query('SELECT count(*)::int AS n FROM partial_t')
    expect(count[0].n).toBe(60)
  })

  it("copyInsert() inside the caller's transaction rolls back only its own COPY when refused, leaving the transaction usable", async () => {
    await db.pool.query('CREATE TABLE tx_c (id int PRIMARY KEY)')
    const client = await db.pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('INSERT INTO tx_c VALUES (1)')
      const refused = await copyInsert(client, 'tx_c', ['id'], [[2], [1]]).catch((e: unknown) => e)
      expect(refused).toMatchObject({ code: 'BATCH_FAILED', rowIndex: 1 })
      const unencodable = await copyInsert(client, 'tx_c', ['id'], [[3], [() => 1]]).catch((e: unknown) => e)
      expect(unencodable).toMatchObject({ code: 'INVALID_ARGUMENT', rowIndex: 1 })
      await copyInsert(client, 'tx_c', ['id'], [[4]])
      await client.query('COMMIT')
    } finally {
      client.release()
    }
    expect((await db.pool.query('SELECT id FROM tx_c ORDER BY id')).rows.map((r) => r.id)).toEqual([1, 4])
  })

  it("copyInsert() rejects with the caller's own error when the row source throws, and keeps nothing", async () => {
    await db.pool.query('CREATE TABLE src_fail (id int)')
    const boom = new Error('the upstream file is truncated')
    async function* rows() {
      yield [1]
      yield [2]
      throw boom
    }
    await expect(copyInsert(db.pool, 'src_fail', ['id'], rows())).rejects.toBe(boom)
    expect((await db.pool.query('SELECT count(*)::int AS n FROM src_fail')).rows[0].n).toBe(0)
    // The connection went back to the pool in a usable state.
    expect((await db.pool.query('SELECT 1 AS ok')).rows[0].ok).toBe(1)
    // A source that throws something other than an Error gets it back too (and the COPY ends).
    const odd = function* () {
      yield [3]
      throw 'not an Error' // eslint-disable-line no-throw-literal
    }
    await expect(copyInsert(db.pool, 'src_fail', ['id'], odd())).rejects.toBe('not an Error')
  })

  it('copyInsert() refuses a value it cannot encode before sending it, naming row and column', async () => {
    await db.pool.query('CREATE TABLE enc_t (id int, t text)')
    const rows = [
      [1, 'ok'],
      [2, 'nul\0byte'],
    ]
    const error = (await copyInsert(db.pool, 'enc_t', ['id', 't'], rows).catch((e: unknown) => e)) as BulkWriteError
    expect(isPerfError(error, 'INVALID_ARGUMENT')).toBe(true)
    expect(error.rowIndex).toBe(1)
    expect(error.column).toBe('t')
    const bad = (await copyInsert(db.pool, 'enc_t', ['id', 't'], [[1]]).catch((e: unknown) => e)) as BulkWriteError
    expect(bad.message).toMatch(/row 0 .* 1 values for 2 columns/)
    const { rows: count } = await db.pool.query('SELECT count(*)::int AS n FROM enc_t')
    expect(count[0].n).toBe(0)
    // the pool's connection is still usable after the aborted COPY
    expect((await db.pool.query('SELECT 1 AS one')).rows[0].one).toBe(1)
  })

  it('copyInsert() rejects with ABORTED when its signal fires and the server discards the batch', async () => {
    await db.pool.query('CREATE TABLE abort_t (id int)')
    const controller = new AbortController()
    async function* slow() {
      for (let i = 0; ; i++) {
        if (i === 5000) controller.abort()
        yield [i]
        if (i % 1000 === 0) await new Promise((r) => setImmediate(r))
      }
    }
    const error = await copyInsert(db.pool, 'abort_t', ['id'], slow(), {
      signal: controller.signal,
      chunkBytes: 1024,
    }).catch((e: unknown) => e)
    expect(isPerfError(error, 'ABORTED')).toBe(true)
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM abort_t')
    expect(rows[0].n).toBe(0)
  })

  it('copyInsert() with types skips the catalog and still JSON-encodes a jsonb column', async () => {
    await db.pool.query('CREATE TABLE typed_c (id int, doc jsonb)')
    const result = await copyInsert(db.pool, 'typed_c', ['id', 'doc'], [[1, [1, 'two']]], {
      types: { id: 'integer', doc: 'jsonb' },
    })
    expect(result.rows).toBe(1)
    expect((await db.pool.query('SELECT doc FROM typed_c')).rows[0].doc).toEqual([1, 'two'])
    await expect(copyInsert(db.pool, 'typed_c', ['id'], [[1]], { types: { id: 'int)' } })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    })
  })

  it('copyInsert() quotes identifiers and rejects bad ones', async () => {
    await expect(copyInsert(db.pool, 'x', [], [])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(copyInsert(db.pool, 'x', ['a', 'a'], [])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(copyInsert(db.pool, 'x'.repeat(64), ['a'], [])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(copyInsert({} as never, 'x', ['a'], [])).rejects.toMatchObject({ code: 'CLIENT_INVALID' })
    await expect(copyInsert(db.pool, 'no_such_table', ['a'], [[1]])).rejects.toThrow(/does not exist/)
    await expect(copyInsert(db.pool, 'big', ['id', 'nope'], [[1, 2]])).rejects.toThrow(/no column "nope"/)
    await db.pool.query('CREATE TABLE "drop table x; --" ("select" int)')
    await copyInsert(db.pool, 'drop table x; --', ['select'], [[1]])
    const { rows } = await db.pool.query('SELECT "select" FROM "drop table x; --"')
    expect(rows).toEqual([{ select: 1 }])
  })
})

describe('encodeValue', () => {
  it('encodes BigInt inside JSON as a string and refuses cycles as an encode error', async () => {
    const { encodeValue, EncodeError } = await import('../src/bulk/encode.js')
    expect(encodeValue({ a: 1n, b: [2n] }, 'json')).toBe('{"a":"1","b":["2"]}')
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(() => encodeValue(cycle, 'json')).toThrow(EncodeError)
  })
})
