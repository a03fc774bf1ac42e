/**
 * @perf/prisma in six steps, against your PostgreSQL (DATABASE_URL). Creates a scratch schema
 * `perf_quickstart_<random>` and drops it at the end. Set REDIS_URL to add a Redis tier.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test pnpm --filter @perf/prisma-quickstart start
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createCache, createMonitor, MemoryStore, type CacheStore } from '@perf/core'
import { serviceMissing } from '@perf/core/testing'
import { perf, prismaCodec } from '@perf/prisma'
import { createRedisClient, redisBus, redisStore } from '@perf/redis'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { Prisma, PrismaClient } from './generated/client.js'

const url = process.env.DATABASE_URL
if (!url) {
  // The smoke run skips without a database (exit 0), and fails under PERF_REQUIRE_SERVICES=1 (exit 1).
  try {
    serviceMissing(
      'PostgreSQL',
      'set DATABASE_URL to a PostgreSQL database, e.g. postgresql://postgres@127.0.0.1:5432/test',
      { scope: '[quickstart]', skipping: 'the quickstart' },
    )
    process.exit(0)
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
}

const schema = `perf_quickstart_${randomBytes(4).toString('hex')}`
const admin = new pg.Client({ connectionString: url })
await admin.connect()
await admin.query(
  `CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"; ${readFileSync(new URL('./schema.sql', import.meta.url), 'utf8')}`,
)

// 1. Your existing client: Prisma 7 with @prisma/adapter-pg on a pg.Pool.
const pool = new pg.Pool({ connectionString: url, options: `-c search_path="${schema}"` })
const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) })

// 2. Wrap it. prismaCodec() lets Decimal values round-trip through the cache.
const codec = prismaCodec()
const redis = process.env.REDIS_URL ? createRedisClient(process.env.REDIS_URL) : undefined
const tiers: CacheStore[] = [new MemoryStore({ maxBytes: 64 * 1024 * 1024 })]
if (redis) tiers.push(redisStore(redis, { codec }))
const cache = createCache({ codec, tiers, bus: redis ? redisBus(redis) : undefined })
const monitor = createMonitor()
const db = prisma.$extends(perf({ cache, monitor, pool }))

try {
  const ada = await db.author.create({
    data: { email: 'ada@example.com', name: 'Ada', posts: { create: [{ title: 'Notes', price: '19.99' }] } },
  })

  // 3. A first cached query: cacheStrategy takes seconds (ttl, swr) like Prisma Accelerate.
  const query = { where: { id: ada.id }, include: { posts: true }, cacheStrategy: { ttl: 60, swr: 30 } }
  const first = await db.author.findUnique(query).withPerfInfo()
  const second = await db.author.findUnique(query).withPerfInfo()
  console.log(`first read:  ${first.info.status} from ${first.info.tier}`)
  console.log(
    `second read: ${second.info.status} from ${second.info.tier}, price is still a Prisma.Decimal: ${second.data?.posts[0]?.price instanceof Prisma.Decimal}`,
  )

  // 4. Writes invalidate what they touch (here: Ada's posts), after commit inside transactions.
  await db.$transaction(async (tx) => tx.post.updateMany({ where: { authorId: ada.id }, data: { price: '24.99' } }))
  const third = await db.author.findUnique(query).withPerfInfo()
  console.log(`after write: ${third.info.status}, price ${third.data?.posts[0]?.price.toFixed(2)}`)

  // 5. Monitoring: a request scope catches N+1 patterns; health() and stats() summarise.
  await monitor.scope(
    async () => {
      for (let i = 0; i < 6; i++) await db.post.count({ where: { authorId: ada.id + i } })
    },
    { name: 'GET /authors' },
  )
  const [finding] = monitor.nPlusOne()
  console.log(`N+1 found:   ${finding?.model}.${finding?.operation} x${finding?.count} in ${finding?.scope}`)
  const stats = db.$perf.stats()
  console.log(
    `health ${db.$perf.health().score}/100, cache hit ratio ${(stats.cache.hitRatio * 100).toFixed(0)}%, ${stats.pool?.statements} SQL statements`,
  )
  // 6. Bulk writes in Prisma's terms: COPY for inserts, one UPDATE ... FROM unnest for per-row updates.
  const catalogue = Array.from({ length: 10_000 }, (_, i) => ({
    title: `Chapter ${i}`,
    price: new Prisma.Decimal(i % 100).plus('0.99'),
    authorId: ada.id,
  }))
  const count = { where: { authorId: ada.id }, cacheStrategy: { ttl: 60 } }
  await db.post.count(count)
  const inserted = await db.post.copyInsert(catalogue)
  const posts = await db.post.findMany({ where: { authorId: ada.id }, select: { id: true, price: true } })
  const repriced = await db.post.bulkUpdate(posts.map((p) => ({ id: p.id, price: p.price.mul(2) })))
  const after = await db.post.count(count).withPerfInfo()
  console.log(
    `bulk:        ${inserted.rows} posts copied in, ${repriced.rows} repriced in ${repriced.batches} statements; cached count ${after.info.status} → ${after.data}`,
  )
  if (after.info.status !== 'miss' || after.data !== 10_001 || repriced.rows !== 10_001)
    throw new Error('[quickstart] unexpected bulk write result')

  if (first.info.status !== 'miss' || second.info.status !== 'hit' || third.info.status !== 'miss' || !finding)
    throw new Error('[quickstart] unexpected cache behaviour')
  console.log('quickstart: OK')
} finally {
  await db.$perf.close()
  await cache.close()
  monitor.close()
  await prisma.$disconnect()
  await pool.end()
  await redis?.quit()
  await admin.query(`DROP SCHEMA "${schema}" CASCADE`)
  await admin.end()
}
