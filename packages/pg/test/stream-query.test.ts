import { isPerfError } from '@perf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maxRowsPerStatement, parameterChunks, streamQuery } from '../src/index.js'
import { freshDatabase, privatePostgres } from './setup/database.js'

const url = await privatePostgres()

describe('parameterChunks', () => {
  it('maxRowsPerStatement() divides the 65,535-parameter limit by the row width', () => {
    expect(maxRowsPerStatement(1)).toBe(65_535)
    expect(maxRowsPerStatement(7)).toBe(9362)
    expect(() => maxRowsPerStatement(0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => maxRowsPerStatement(70_000)).toThrow(/cannot fit/)
    expect(() => maxRowsPerStatement(2, 70_000)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('parameterChunks() yields chunks that never pass the limit or maxRows', async () => {
    const sizes: number[] = []
    for await (const chunk of parameterChunks(
      Array.from({ length: 50_000 }, (_, i) => i),
      3,
    ))
      sizes.push(chunk.length)
    expect(sizes).toEqual([21_845, 21_845, 6310])
    const small: number[] = []
    for await (const chunk of parameterChunks([1, 2, 3, 4, 5], 2, { maxParameters: 6, maxRows: 2 }))
      small.push(chunk.length)
    expect(small).toEqual([2, 2, 1])
  })
})

describe.skipIf(!url)('streamQuery', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase(url!, { max: 2 })
  })
  afterAll(async () => {
    await db?.drop()
  })

  it('streamQuery() yields every row of a large result with bounded memory', async () => {
    const before = process.memoryUsage().heapUsed
    let peak = before
    let n = 0
    let sum = 0
    for await (const row of streamQuery<{ g: number; pad: string }>(
      db.pool,
      "SELECT g, repeat('x', 200) AS pad FROM generate_series(1, $1::int) g",
      [300_000],
      { batchSize: 2000 },
    )) {
      n++
      sum += row.g
      if (n % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed)
    }
    expect(n).toBe(300_000)
    expect(sum).toBe((300_000 * 300_001) / 2)
    // ~70 MB of rows went by; only a batch or two was ever held
    expect(peak - before).toBeLessThan(40 * 2 ** 20)
    expect(db.pool.idleCount + db.pool.waitingCount).toBe(db.pool.totalCount)
  })

  it('streamQuery() on a client uses it as it is and leaves it connected', async () => {
    const client = await db.pool.connect()
    try {
      const ids: number[] = []
      for await (const row of streamQuery<{ g: number }>(client, 'SELECT g FROM generate_series(1, 25) g', [], {
        batchSize: 10,
      }))
        ids.push(row.g)
      expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
      expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1)
    } finally {
      client.release()
    }
  })

  it('streamQuery() stops fetching and releases the connection on break', async () => {
    let seen = 0
    for await (const _ of streamQuery(db.pool, 'SELECT g FROM generate_series(1, 1000000) g', [], { batchSize: 100 })) {
      if (++seen === 250) break
    }
    expect(seen).toBe(250)
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0)
    // both connections usable afterwards
    const [a, b] = await Promise.all([db.pool.query('SELECT 1 AS x'), db.pool.query('SELECT 2 AS x')])
    expect([a.rows[0].x, b.rows[0].x]).toEqual([1, 2])
  })

  it('streamQuery() rejects with ABORTED when the signal fires and with the server error on a bad query', async () => {
    const controller = new AbortController()
    const seen: number[] = []
    const error = await (async () => {
      for await (const row of streamQuery<{ g: number }>(db.pool, 'SELECT g FROM generate_series(1, 100000) g', [], {
        batchSize: 50,
        signal: controller.signal,
      })) {
        seen.push(row.g)
        if (row.g === 120) controller.abort()
      }
    })().catch((e: unknown) => e)
    expect(isPerfError(error, 'ABORTED')).toBe(true)
    expect(seen.length).toBeLessThanOrEqual(150)
    await expect(
      (async () => {
        for await (const _ of streamQuery(db.pool, 'SELECT * FROM no_such_table')) void _
      })(),
    ).rejects.toMatchObject({ code: '42P01' })
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0)
    expect(() => streamQuery(db.pool, '')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => streamQuery(db.pool, 'SELECT 1', [], { batchSize: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
  })
})
