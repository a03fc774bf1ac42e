// 1000 loads by primary key: createLoaders().byId() vs a hand-written `WHERE id = ANY($1)`, raw
// rows and hydrated entities, side by side in one run, on TypeORM 1.x and 0.3 (PostgreSQL).
//
//   pnpm --filter @perf/typeorm build && node packages/typeorm/scripts/loader-vs-any.mjs
//   DATABASE_URL=postgresql://… ITERATIONS=100 KEYS=1000 node packages/typeorm/scripts/loader-vs-any.mjs
//
// Every variant returns the results in key order (the hand-written ones through a Map), so all
// do the same work a resolver needs. Each iteration draws one set of keys and runs every variant
// on it, starting with a different variant each time, so drift and order effects (other load on
// the machine, the first query touching cold pages) hit them alike. Reported: the median wall
// time per variant, and the median of the per-iteration ratios (paired, the steadier figure).
import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import * as typeorm1 from 'typeorm'
import * as typeorm03 from 'typeorm03'
import { createLoaders } from '../dist/index.mjs'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const ITERATIONS = Number(process.env.ITERATIONS ?? 100)
const WARMUP = Number(process.env.WARMUP ?? 10)
const KEYS = Number(process.env.KEYS ?? 1000)
const ROWS = 20_000

const LOADER = 'loader.byId (entities)'
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

async function setup() {
  const schema = `perf_loader_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA "${schema}"`)
  await admin.query(
    `CREATE TABLE "${schema}".items (id serial PRIMARY KEY, name text NOT NULL, price integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  )
  await admin.query(
    `INSERT INTO "${schema}".items (name, price) SELECT 'item ' || g, g % 997 FROM generate_series(1, ${ROWS}) g`,
  )
  await admin.query(`ANALYZE "${schema}".items`)
  return {
    schema,
    async drop() {
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`)
      await admin.end()
    },
  }
}

async function run(label, typeorm, schema) {
  const Item = new typeorm.EntitySchema({
    name: 'Item',
    tableName: 'items',
    columns: {
      id: { type: Number, primary: true, generated: true },
      name: { type: String },
      price: { type: 'int' },
      createdAt: { type: 'timestamptz', name: 'created_at' },
    },
  })
  let statements = 0
  const logger = {
    logQuery: () => void statements++,
    logQueryError() {},
    logQuerySlow() {},
    logSchemaBuild() {},
    logMigration() {},
    log() {},
  }
  const ds = new typeorm.DataSource({
    type: 'postgres',
    url: DATABASE_URL,
    schema,
    entities: [Item],
    logging: ['query'],
    logger,
  })
  await ds.initialize()
  const repo = ds.getRepository(Item)
  const pick = () => Array.from({ length: KEYS }, () => 1 + Math.floor(Math.random() * ROWS))

  const variants = {
    'loader.byId (entities)': async (ids) => {
      const items = createLoaders(ds).byId(Item)
      return Promise.all(ids.map((id) => items.load(id)))
    },
    'QueryBuilder = ANY($1) (entities)': async (ids) => {
      const rows = await repo.createQueryBuilder('Item').where('Item.id = ANY(:ids)', { ids }).getMany()
      const byId = new Map(rows.map((r) => [r.id, r]))
      return ids.map((id) => byId.get(id) ?? null)
    },
    'ds.query = ANY($1) (raw rows)': async (ids) => {
      const rows = await ds.query(`SELECT * FROM "${schema}".items WHERE id = ANY($1)`, [ids])
      const byId = new Map(rows.map((r) => [r.id, r]))
      return ids.map((id) => byId.get(id) ?? null)
    },
  }
  // Same answers, and one statement per variant call.
  const ids = pick()
  for (const [name, fn] of Object.entries(variants)) {
    statements = 0
    const out = await fn(ids)
    if (out.length !== KEYS || out.some((r, i) => r === null || r.id !== ids[i]))
      throw new Error(`${name}: wrong results`)
    if (statements !== 1) throw new Error(`${name}: ${statements} statements for ${KEYS} keys, expected 1`)
  }
  const names = Object.keys(variants)
  const times = Object.fromEntries(names.map((k) => [k, []]))
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const keys = pick()
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]
      const t0 = performance.now()
      await variants[name](keys)
      if (i >= WARMUP) times[name].push(performance.now() - t0)
    }
  }
  // The loader's own cost, free of database noise: its wall time minus the time inside getMany().
  const createQueryBuilder = ds.createQueryBuilder
  let inside = 0
  ds.createQueryBuilder = function (...args) {
    const qb = createQueryBuilder.apply(this, args)
    const getMany = qb.getMany
    qb.getMany = async function () {
      const t0 = performance.now()
      try {
        return await getMany.call(this)
      } finally {
        inside = performance.now() - t0
      }
    }
    return qb
  }
  const overheads = []
  for (let i = 0; i < ITERATIONS; i++) {
    const keys = pick()
    const t0 = performance.now()
    await variants[LOADER](keys)
    overheads.push(performance.now() - t0 - inside)
  }
  ds.createQueryBuilder = createQueryBuilder
  await ds.destroy()
  const overheadMs = median(overheads)
  const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]))
  const loaderTimes = times[LOADER]
  const ratios = Object.fromEntries(names.map((k) => [k, median(loaderTimes.map((t, i) => t / times[k][i]))]))
  return { label, medians, ratios, overheadMs }
}

const db = await setup()
try {
  const results = []
  for (const [label, typeorm] of [
    ['typeorm 1.x', typeorm1],
    ['typeorm 0.3', typeorm03],
  ])
    results.push(await run(label, typeorm, db.schema))
  console.log(
    `\n${KEYS} loads by primary key, median of ${ITERATIONS} runs (after ${WARMUP} warm-up), PostgreSQL, 1 statement each\n`,
  )
  console.log('| TypeORM | variant | median ms | loader ÷ variant (medians) | loader ÷ variant (paired) |')
  console.log('| --- | --- | ---: | ---: | ---: |')
  let worst = 0
  for (const { label, medians, ratios } of results) {
    for (const [name, ms] of Object.entries(medians)) {
      if (name.includes('QueryBuilder')) worst = Math.max(worst, ratios[name])
      const shown = name === LOADER ? '— | —' : `${(medians[LOADER] / ms).toFixed(2)}× | ${ratios[name].toFixed(2)}×`
      console.log(`| ${label} | ${name} | ${ms.toFixed(2)} | ${shown} |`)
    }
  }
  for (const { label, medians, overheadMs } of results)
    console.log(
      `\n${label}: the loader's own cost (its time outside the statement: ${KEYS} load() calls, batching, key checks, ordering) ${overheadMs.toFixed(2)} ms, ${((100 * overheadMs) / medians[LOADER]).toFixed(1)} % of its median`,
    )
  console.log(
    `\nloader vs the hydrated hand-written ANY (paired): ${worst.toFixed(2)}× at worst (target ≤ 1.20×) ${worst <= 1.2 ? 'PASS' : 'FAIL'}`,
  )
} finally {
  await db.drop()
}
