import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Model, ModelStatic, Sequelize as SequelizeType } from 'sequelize'
import { loadOrSkip, postgresOrSkip } from '../harness/services.js'
import { INTERLEAVED_METHOD, interleaved, speedTable } from '../harness/rounds.js'
import type { Suite, SuiteContext } from '../harness/suite.js'

type PerfSequelize = typeof import('@perf/sequelize')
type SequelizeModule = typeof import('sequelize')

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const CHUNK = 1000

type Row = {
  id: number
  customerName: string
  amount: string
  placedAt: Date
  payload: { n: number; tags: string[] }
}

const rowsOf = (n: number, version = 0): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    customerName: `customer ${i} "quoted" v${version}`,
    amount: ((((i * 37) % 100000) + version) / 100).toFixed(2),
    placedAt: new Date(1_700_000_000_000 + i * 1000 + version),
    payload: { n: i, tags: ['a', 'b'] },
  }))

function defineOrder(lib: SequelizeModule, sequelize: SequelizeType): ModelStatic<Model> {
  const { DataTypes } = lib
  return sequelize.define(
    'Order',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      customerName: { type: DataTypes.STRING, allowNull: false },
      amount: { type: DataTypes.DECIMAL(12, 2), allowNull: false },
      placedAt: { type: DataTypes.DATE, allowNull: false },
      payload: { type: DataTypes.JSONB, allowNull: false },
    },
    { tableName: 'orders', underscored: true },
  )
}

/** Issue 12: perf.bulk(Model) vs Sequelize's own bulkCreate and per-row updates, on the same instance. */
const suite: Suite = {
  name: 'sequelize-bulk',
  title: '@perf/sequelize bulk writes vs bulkCreate and per-row updates (issue 12)',
  libraries: ['@perf/sequelize', '@perf/pg', 'sequelize', 'pg'],
  method: INTERLEAVED_METHOD,
  async run(ctx) {
    if (!(await postgresOrSkip(ctx, DATABASE_URL))) return
    const perf = await loadOrSkip(ctx, '@perf/sequelize', () => import('@perf/sequelize'))
    if (!perf) return
    const lib = (await import('sequelize')) as SequelizeModule
    const core = await import('@perf/core')
    const schema = `perf_bench_sqbulk_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: DATABASE_URL })
    await admin.connect()
    await admin.query(`CREATE SCHEMA "${schema}"`)
    const sequelize = new lib.Sequelize(DATABASE_URL, {
      dialect: 'postgres',
      logging: false,
      pool: { max: 2 },
      dialectOptions: { options: `-c search_path="${schema}"` },
    })
    const cache = core.createCache()
    try {
      const Order = defineOrder(lib, sequelize)
      await Order.sync()
      const instrumented = perf.instrument(sequelize, { cache })
      ctx.text(
        `PostgreSQL on the same machine, schema \`${schema}\` created for the run and dropped after. One Sequelize instance (pool of 2), instrumented with a memory cache, so every case pays invalidation. Model \`Order\` (\`underscored: true\`, timestamps): integer id, STRING, DECIMAL(12,2), DATE, JSONB, createdAt, updatedAt.`,
      )
      await insertCases(ctx, instrumented, Order, sequelize)
      await updateCases(ctx, instrumented, Order, sequelize)
      instrumented.uninstrument()
    } finally {
      await sequelize.close()
      await cache.close()
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`)
      await admin.end()
    }
  },
}

async function insertCases(
  ctx: SuiteContext,
  perf: ReturnType<PerfSequelize['instrument']>,
  Order: ModelStatic<Model>,
  sequelize: SequelizeType,
): Promise<void> {
  const n = ctx.size(100_000, 10_000)
  const data = rowsOf(n)
  const truncate = async () => void (await sequelize.query('TRUNCATE orders'))
  const check = async () => {
    const count = await Order.count()
    if (count !== n) throw new Error(`[bench] expected ${n} rows after the insert, found ${count}`)
  }
  const results = await interleaved(ctx, ctx.size(5, 1), [
    {
      name: 'perf.bulk(Order).copyInsert',
      prepare: truncate,
      run: async () => void (await perf.bulk(Order).copyInsert(data)),
    },
    {
      name: `Order.bulkCreate, chunks of ${CHUNK.toLocaleString('en-US')}`,
      prepare: truncate,
      async run() {
        for (let i = 0; i < n; i += CHUNK) await Order.bulkCreate(data.slice(i, i + CHUNK))
      },
    },
  ])
  await check()
  speedTable(
    ctx,
    `insert ${n.toLocaleString('en-US')} rows`,
    n,
    results,
    'perf.bulk(Order).copyInsert',
    `Median of the rounds, cases interleaved; the table is truncated before each run (untimed). copyInsert sends one COPY (atomic); bulkCreate sends one INSERT … VALUES per ${CHUNK.toLocaleString('en-US')} rows (its defaults: hooks on, no validation), each its own statement outside a transaction. Both fill createdAt/updatedAt.`,
  )
  const copy = results.get('perf.bulk(Order).copyInsert')!
  ctx.target(
    `copyInsert ≥ 3× bulkCreate in chunks of ${CHUNK}`,
    'speed',
    results.get(`Order.bulkCreate, chunks of ${CHUNK.toLocaleString('en-US')}`)! / copy,
    '>=',
    3,
  )
}

async function updateCases(
  ctx: SuiteContext,
  perf: ReturnType<PerfSequelize['instrument']>,
  Order: ModelStatic<Model>,
  sequelize: SequelizeType,
): Promise<void> {
  const n = ctx.size(10_000, 1_000)
  await sequelize.query('TRUNCATE orders')
  await perf.bulk(Order).copyInsert(rowsOf(n))
  let version = 0
  let data = rowsOf(n)
  const bump = async () => {
    version++
    data = rowsOf(n, version).map(({ id, customerName, amount }) => ({ id, customerName, amount }) as Row)
  }
  const instances = (await Order.findAll({ order: [['id', 'ASC']] })) as Model[]
  // Three rounds, not five: the per-row cases take about a minute each at 10,000 rows.
  const results = await interleaved(ctx, ctx.size(3, 1), [
    {
      name: 'perf.bulk(Order).bulkUpdate',
      prepare: bump,
      run: async () => void (await perf.bulk(Order).bulkUpdate(data)),
    },
    {
      name: 'Order.update per row, one transaction',
      prepare: bump,
      async run() {
        await sequelize.transaction(async (transaction) => {
          for (const r of data)
            await Order.update({ customerName: r.customerName, amount: r.amount }, { where: { id: r.id }, transaction })
        })
      },
    },
    {
      name: 'instance.update per row',
      prepare: bump,
      async run() {
        for (let i = 0; i < data.length; i++) {
          const r = data[i]!
          await instances[i]!.update({ customerName: r.customerName, amount: r.amount })
        }
      },
    },
  ])
  const [last] = (await Order.findAll({ where: { id: n } })) as Model[]
  if (last?.get('customerName') !== data[n - 1]!.customerName)
    throw new Error(`[bench] the last update did not land: ${String(last?.get('customerName'))}`)
  speedTable(
    ctx,
    `update ${n.toLocaleString('en-US')} rows, each with its own values (2 columns + updatedAt)`,
    n,
    results,
    'perf.bulk(Order).bulkUpdate',
    'Median of the rounds, cases interleaved, new values every run. bulkUpdate sends one `UPDATE … FROM unnest(…)` per 5,000 rows in one transaction; "Order.update per row" sends one UPDATE per row inside one managed transaction; "instance.update per row" saves fetched instances one by one (autocommit each), as application code often does.',
  )
  const bulk = results.get('perf.bulk(Order).bulkUpdate')!
  ctx.target(
    'bulkUpdate ≥ 20× Order.update per row',
    'speed',
    results.get('Order.update per row, one transaction')! / bulk,
    '>=',
    20,
  )
}

export default suite
