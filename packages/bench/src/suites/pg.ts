import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { formatMB } from '../harness/format.js'
import { INTERLEAVED_METHOD, interleaved, speedTable } from '../harness/rounds.js'
import { loadOrSkip, postgresOrSkip } from '../harness/services.js'
import type { Suite, SuiteContext } from '../harness/suite.js'

type PerfPg = typeof import('@perf/pg')

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'

interface Row {
  id: number
  name: string
  amount: string
  at: Date
  payload: { n: number; tags: string[] }
}

const rowsOf = (n: number, offset = 0): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    id: offset + i + 1,
    name: `customer ${offset + i} "quoted"\ttab`,
    amount: (((i * 37) % 100000) / 100).toFixed(2),
    at: new Date(1_700_000_000_000 + i * 1000),
    payload: { n: i, tags: ['a', 'b'] },
  }))

/** Issue 12: copyInsert vs raw COPY vs multi-row VALUES; bulkUpdate vs hand-written unnest vs one UPDATE per row; streamQuery heap. */
const suite: Suite = {
  name: 'pg',
  title: '@perf/pg bulk writes and streaming (issue 12)',
  libraries: ['@perf/pg', 'pg', 'pg-copy-streams', '@perf/pg>pg-cursor'],
  method: INTERLEAVED_METHOD,
  async run(ctx) {
    if (!(await postgresOrSkip(ctx, DATABASE_URL))) return
    const perf = await loadOrSkip(ctx, '@perf/pg', () => import('@perf/pg'))
    if (!perf) return
    const schema = `perf_bench_pg_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: DATABASE_URL })
    await admin.connect()
    await admin.query(`CREATE SCHEMA "${schema}"`)
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2, options: `-c search_path="${schema}"` })
    try {
      await insertCases(ctx, perf, pool)
      await updateCases(ctx, perf, pool)
      await streamCases(ctx, perf, pool)
    } finally {
      await pool.end()
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`)
      await admin.end()
    }
  },
}

const COLUMNS = ['id', 'name', 'amount', 'at', 'payload'] as const

async function insertCases(ctx: SuiteContext, perf: PerfPg, pool: pg.Pool): Promise<void> {
  const n = ctx.size(100_000, 10_000)
  await pool.query(
    'CREATE TABLE ins (id int PRIMARY KEY, name text NOT NULL, amount numeric NOT NULL, at timestamptz NOT NULL, payload jsonb NOT NULL)',
  )
  const data = rowsOf(n)
  const truncate = async () => void (await pool.query('TRUNCATE ins'))
  const results = await interleaved(ctx, ctx.size(5, 1), [
    {
      name: 'raw COPY',
      prepare: truncate,
      async run() {
        // What a careful hand-written COPY looks like: text format, escaped, one stream.
        const esc = (s: string) =>
          s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
        const client = await pool.connect()
        try {
          function* lines() {
            let chunk = ''
            for (const r of data) {
              chunk += `${r.id}\t${esc(r.name)}\t${r.amount}\t${r.at.toISOString()}\t${esc(JSON.stringify(r.payload))}\n`
              if (chunk.length > 65536) {
                yield chunk
                chunk = ''
              }
            }
            if (chunk) yield chunk
          }
          await pipeline(
            Readable.from(lines()),
            client.query(copyFrom('COPY ins (id, name, amount, at, payload) FROM STDIN')),
          )
        } finally {
          client.release()
        }
      },
    },
    {
      name: 'copyInsert',
      prepare: truncate,
      run: async () => void (await perf.copyInsert(pool, 'ins', COLUMNS, data)),
    },
    {
      name: 'multi-row VALUES',
      prepare: truncate,
      async run() {
        for await (const chunk of perf.parameterChunks(data, COLUMNS.length)) {
          const params: unknown[] = []
          const tuples = chunk.map((r) => {
            const at = params.length
            params.push(r.id, r.name, r.amount, r.at, JSON.stringify(r.payload))
            return `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5})`
          })
          await pool.query(`INSERT INTO ins (id, name, amount, at, payload) VALUES ${tuples.join(', ')}`, params)
        }
      },
    },
  ])
  const { rows } = await pool.query('SELECT count(*)::int AS c FROM ins')
  if (rows[0].c !== n) throw new Error(`[bench pg] expected ${n} rows, found ${rows[0].c}`)
  speedTable(
    ctx,
    `insert ${n.toLocaleString('en-US')} rows (int, text, numeric, timestamptz, jsonb)`,
    n,
    results,
    'copyInsert',
    'Median of the rounds, cases interleaved; the table is truncated before each run (untimed). "raw COPY" builds the COPY text by hand for exactly these five columns; copyInsert reads the column types, encodes any value and reports progress. "multi-row VALUES" sends 13,107 rows (65,535 parameters) per statement.',
  )
  const copy = results.get('copyInsert')!
  ctx.target('copyInsert ≥ 0.9× raw COPY', 'speed', results.get('raw COPY')! / copy, '>=', 0.9)
  ctx.target('copyInsert ≥ 3× multi-row VALUES', 'speed', results.get('multi-row VALUES')! / copy, '>=', 3)
}

/** One row's UPDATE, as row-by-row code sends it. */
const updateOne = (db: pg.Pool | pg.PoolClient, r: Row) =>
  db.query('UPDATE upd SET name = $2, amount = $3, at = $4 WHERE id = $1', [r.id, r.name, r.amount, r.at])

async function updateCases(ctx: SuiteContext, perf: PerfPg, pool: pg.Pool): Promise<void> {
  const n = ctx.size(10_000, 2_000)
  await pool.query(
    'CREATE TABLE upd (id int PRIMARY KEY, name text NOT NULL, amount numeric NOT NULL, at timestamptz NOT NULL)',
  )
  await perf.copyInsert(pool, 'upd', ['id', 'name', 'amount', 'at'], rowsOf(n))
  let round = 0
  const next = () =>
    rowsOf(n).map((r) => ({ ...r, name: `${r.name} v${round}`, amount: (Number(r.amount) + round).toFixed(2) }))
  let data = next()
  const bump = async () => {
    round++
    data = next()
  }
  const results = await interleaved(ctx, ctx.size(5, 1), [
    {
      name: 'hand-written unnest UPDATE',
      prepare: bump,
      async run() {
        await pool.query(
          `UPDATE upd SET name = v.name, amount = v.amount, at = v.at
           FROM unnest($1::int[], $2::text[], $3::numeric[], $4::timestamptz[]) AS v(id, name, amount, at) WHERE upd.id = v.id`,
          [data.map((r) => r.id), data.map((r) => r.name), data.map((r) => r.amount), data.map((r) => r.at)],
        )
      },
    },
    {
      name: 'bulkUpdate',
      prepare: bump,
      run: async () =>
        void (await perf.bulkUpdate(pool, 'upd', 'id', ['name', 'amount', 'at'], data, { batchSize: n })),
    },
    {
      name: 'bulkUpdate, types given',
      prepare: bump,
      run: async () =>
        void (await perf.bulkUpdate(pool, 'upd', 'id', ['name', 'amount', 'at'], data, {
          batchSize: n,
          types: { id: 'integer', name: 'text', amount: 'numeric', at: 'timestamp with time zone' },
        })),
    },
    {
      name: 'one UPDATE per row, autocommit',
      prepare: bump,
      async run() {
        // What an ORM's save() in a loop does: every statement is its own transaction (one WAL flush each).
        for (const r of data) await updateOne(pool, r)
      },
    },
    {
      name: 'one UPDATE per row, one transaction',
      prepare: bump,
      async run() {
        const client = await pool.connect()
        try {
          await client.query('BEGIN')
          for (const r of data) await updateOne(client, r)
          await client.query('COMMIT')
        } finally {
          client.release()
        }
      },
    },
  ])
  speedTable(
    ctx,
    `update ${n.toLocaleString('en-US')} rows, each with its own values`,
    n,
    results,
    'bulkUpdate',
    'Median of the rounds, cases interleaved, new values every run. The hand-written statement passes typed arrays; bulkUpdate passes text arrays cast per column (and reads the column types first, unless given them as the ORM adapters can). "one UPDATE per row, autocommit" is row-by-row ORM code (each statement commits, one WAL flush each); "…, one transaction" is the most favourable per-row baseline: all statements in one transaction on one connection.',
  )
  const bulk = results.get('bulkUpdate')!
  ctx.target(
    'bulkUpdate ≥ 0.9× hand-written unnest UPDATE',
    'speed',
    results.get('hand-written unnest UPDATE')! / bulk,
    '>=',
    0.9,
  )
  ctx.target(
    'bulkUpdate ≥ 20× one UPDATE per row (autocommit, as ORM code runs them)',
    'speed',
    results.get('one UPDATE per row, autocommit')! / bulk,
    '>=',
    20,
  )
  ctx.target(
    'bulkUpdate vs one UPDATE per row in one transaction (issue: 20×; the hand-written unnest UPDATE is the ceiling)',
    'speed',
    results.get('one UPDATE per row, one transaction')! / bulk,
    '>=',
    20,
  )
}

async function streamCases(ctx: SuiteContext, perf: PerfPg, pool: pg.Pool): Promise<void> {
  const n = ctx.size(1_000_000, 100_000)
  const sql = "SELECT g AS id, 'row ' || g AS name, g * 1.5 AS amount FROM generate_series(1, $1::int) g"
  const gc = (globalThis as { gc?: () => void }).gc
  const measure = async (consume: () => Promise<number>): Promise<{ ms: number; growth: number; rows: number }> => {
    gc?.()
    const base = process.memoryUsage().heapUsed
    let peak = base
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5)
    const t = performance.now()
    const rows = await consume()
    const ms = performance.now() - t
    clearInterval(timer)
    peak = Math.max(peak, process.memoryUsage().heapUsed)
    return { ms, growth: peak - base, rows }
  }
  const streamed = await measure(async () => {
    let count = 0
    for await (const _ of perf.streamQuery(pool, sql, [n], { batchSize: 1000 })) {
      count++
      if (count % 50_000 === 0) await new Promise((r) => setImmediate(r)) // let the sampler run
    }
    return count
  })
  const buffered = await measure(async () => (await pool.query(sql, [n])).rows.length)
  if (streamed.rows !== n || buffered.rows !== n) throw new Error('[bench pg] row counts differ')
  ctx.table({
    title: `read ${n.toLocaleString('en-US')} rows`,
    headers: ['case', 'ms', 'peak heap growth'],
    rows: [
      ['streamQuery (batchSize 1000)', streamed.ms.toFixed(0), formatMB(streamed.growth)],
      ['pool.query (all rows at once)', buffered.ms.toFixed(0), formatMB(buffered.growth)],
    ],
    note: 'Peak heap growth over a forced-GC baseline, sampled every 5 ms and at the end (run with --expose-gc).',
  })
  ctx.target(
    'streamQuery over 1M rows: heap growth < 64 MB',
    'speed',
    streamed.growth / 1e6,
    '<=',
    64,
    (v) => `${v.toFixed(1)} MB`,
  )
}

export default suite
