#!/usr/bin/env node
// Side-by-side read latency of one findOneBy-by-primary-key, on TypeORM 1.x and 0.3 in one run:
// uncached, our fast path (L1 hit, Redis-only hit), our provider (L1 hit, Redis hit) and TypeORM's
// built-in `cache: { type: 'ioredis' }`. Medians in µs, sequential calls, after a warm-up.
//
//   pnpm --filter @perf/typeorm build && node packages/typeorm/scripts/hit-latency.mjs [iterations]
//
// Needs PostgreSQL (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test) and Redis
// (REDIS_HOST/REDIS_PORT, default 127.0.0.1:6379). Our tiers use Redis db 15 under a random
// prefix (cleared at the end); the built-in cache uses db 14, because its clear() is FLUSHDB.
import { randomBytes } from 'node:crypto'
import { createCache, MemoryStore } from '@perf/core'
import { createRedisClient, redisStore } from '@perf/redis'
import pg from 'pg'
import * as typeorm1 from 'typeorm'
import * as typeorm03 from 'typeorm03'
import { instrument, queryResultCache } from '../dist/index.mjs'

const ITERATIONS = Number(process.argv[2] ?? 2000)
const WARMUP = Math.min(500, ITERATIONS)
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const REDIS_HOST = process.env.REDIS_HOST ?? '127.0.0.1'
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379)
const OUR_DB = 15
const BUILTIN_DB = 14

class Product {}

function entity(typeorm) {
  return new typeorm.EntitySchema({
    name: 'Product',
    target: Product,
    tableName: 'bench_products',
    columns: {
      id: { type: Number, primary: true, generated: true },
      name: { type: String },
      price: { type: 'numeric', precision: 10, scale: 2 },
      stock: { type: 'bigint' },
      createdAt: { type: 'timestamptz' },
      attributes: { type: 'jsonb', nullable: true },
    },
  })
}

const ROUNDS = 10

/**
 * Medians of every path. Each path runs in blocks of consecutive calls (its steady state), and the
 * blocks rotate over the paths ROUNDS times, so that a load change on a busy machine hits every
 * path alike instead of whichever ran at that moment.
 */
async function medians(paths) {
  const names = Object.keys(paths)
  for (const name of names) for (let i = 0; i < WARMUP; i++) await paths[name]()
  const block = Math.max(1, Math.floor(ITERATIONS / ROUNDS))
  const samples = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const fn = paths[name]
      for (let i = 0; i < block; i++) {
        const t = process.hrtime.bigint()
        await fn()
        samples[name].push(Number(process.hrtime.bigint() - t) / 1000)
      }
    }
  }
  return Object.fromEntries(
    names.map((n) => [n, Float64Array.from(samples[n]).sort()[Math.floor(samples[n].length / 2)]]),
  )
}

function redisCache(prefix, withL1) {
  const client = createRedisClient(`redis://${REDIS_HOST}:${REDIS_PORT}/${OUR_DB}`)
  const tiers = [redisStore(client, { prefix })]
  if (withL1) tiers.unshift(new MemoryStore())
  const cache = createCache({ namespace: 'bench', tiers })
  return { cache, client }
}

async function dataSource(typeorm, schema, extra = {}) {
  const ds = new typeorm.DataSource({
    type: 'postgres',
    url: DATABASE_URL,
    schema,
    extra: { options: `-c search_path="${schema}"`, max: 4 },
    entities: [entity(typeorm)],
    ...extra,
  })
  await ds.initialize()
  return ds
}

async function measure(label, typeorm) {
  const schema = `perf_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA "${schema}"`)
  const closers = []
  try {
    const setup = await dataSource(typeorm, schema, { synchronize: true })
    await setup.getRepository(Product).save({
      name: 'widget',
      price: '12.50',
      stock: '9007199254740993',
      createdAt: new Date('2024-01-02T03:04:05.678Z'),
      attributes: { color: 'red', sizes: [1, 2, 3] },
    })
    await setup.destroy()
    const prefix = `perf:bench:${randomBytes(4).toString('hex')}:`
    const paths = {}
    const stats = []

    // Uncached.
    const plain = await dataSource(typeorm, schema)
    closers.push(() => plain.destroy())
    paths['uncached findOneBy'] = () => plain.getRepository(Product).findOneBy({ id: 1 })

    // Fast path: instrument() with a ttl for Product, L1 + Redis, then Redis only.
    for (const [row, withL1] of [
      ['fast path, L1 hit', true],
      ['fast path, Redis-only hit', false],
    ]) {
      const { cache, client } = redisCache(prefix + (withL1 ? 'f1:' : 'f2:'), withL1)
      const ds = await dataSource(typeorm, schema)
      const perf = instrument(ds, { cache, entities: { Product: { ttl: '10m' } } })
      closers.push(async () => {
        perf.uninstrument()
        await ds.destroy()
        await cache.clear()
        await cache.close()
        client.disconnect()
      })
      paths[row] = () => ds.getRepository(Product).findOneBy({ id: 1 })
      stats.push([row, cache])
    }

    // Provider: find({ cache }) through TypeORM's query-result cache (no instrument(): the fast path stays off).
    for (const [row, withL1] of [
      ['provider, L1 hit', true],
      ['provider, Redis hit', false],
    ]) {
      const { cache, client } = redisCache(prefix + (withL1 ? 'p1:' : 'p2:'), withL1)
      const ds = await dataSource(typeorm, schema, { cache: { provider: () => queryResultCache(cache) } })
      closers.push(async () => {
        await ds.destroy()
        await cache.clear()
        await cache.close()
        client.disconnect()
      })
      paths[row] = () => ds.getRepository(Product).findOne({ where: { id: 1 }, cache: 600_000 })
      stats.push([row, cache])
    }

    // TypeORM's built-in ioredis cache, on its own Redis db.
    const builtin = await dataSource(typeorm, schema, {
      cache: { type: 'ioredis', options: { host: REDIS_HOST, port: REDIS_PORT, db: BUILTIN_DB } },
    })
    closers.push(() => builtin.destroy())
    paths['built-in ioredis hit'] = () => builtin.getRepository(Product).findOne({ where: { id: 1 }, cache: 600_000 })
    const rows = await medians(paths)
    // Every cached path must really have been hits (one miss to fill it).
    for (const [row, cache] of stats) {
      const { misses } = cache.stats()
      if (misses > 1) throw new Error(`${label} ${row}: ${misses} misses, expected 1`)
    }
    return rows
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined)
    await admin.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined)
    await admin.end()
  }
}

const versions = [
  ['typeorm 1.x', typeorm1],
  ['typeorm 0.3', typeorm03],
]
const results = {}
for (const [label, typeorm] of versions) results[label] = await measure(label, typeorm)

const fmt = (n) => n.toFixed(1).padStart(9)
console.log(`\nfindOneBy({ id }) median latency, µs (${ITERATIONS} sequential calls after ${WARMUP} warm-up)\n`)
console.log(`${'path'.padEnd(28)}${versions.map(([l]) => l.padStart(14)).join('')}`)
for (const row of Object.keys(results['typeorm 1.x'])) {
  console.log(`${row.padEnd(28)}${versions.map(([l]) => fmt(results[l][row]).padStart(14)).join('')}`)
}
console.log('\nratios (targets: L1 vs uncached ≥ 50×, L1 vs built-in ≥ 10×, our Redis / built-in Redis ≤ 1.0×)\n')
for (const [label] of versions) {
  const r = results[label]
  const line = [
    `fast L1 vs uncached ${(r['uncached findOneBy'] / r['fast path, L1 hit']).toFixed(1)}×`,
    `fast L1 vs built-in ${(r['built-in ioredis hit'] / r['fast path, L1 hit']).toFixed(1)}×`,
    `fast Redis / built-in ${(r['fast path, Redis-only hit'] / r['built-in ioredis hit']).toFixed(2)}×`,
    `provider L1 vs uncached ${(r['uncached findOneBy'] / r['provider, L1 hit']).toFixed(1)}×`,
    `provider Redis / built-in ${(r['provider, Redis hit'] / r['built-in ioredis hit']).toFixed(2)}×`,
  ]
  console.log(`${label}: ${line.join(' · ')}`)
}
process.exit(0)
