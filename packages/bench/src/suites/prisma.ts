import { availableParallelism } from 'node:os'
import { formatPct, formatRatio } from '../harness/format.js'
import { isReachable, postgresOrSkip } from '../harness/services.js'
import type { Suite, SuiteContext } from '../harness/suite.js'
import {
  cachedCases,
  L1_HIT,
  L2_HIT,
  PLAIN,
  PLAIN_AGAIN,
  reads,
  uncachedCases,
  warmCaches,
  WRAPPED,
  WRAPPED_POOL,
  type Contenders,
  type Read,
} from './prisma/cases.js'
import { overheadTable, pairedOverhead, type PairedOverhead } from './prisma/overhead.js'
import { l1Breakdown } from './prisma/breakdown.js'
import { loadPrismaClient, type PrismaClientClass, type PrismaLike } from './prisma/client.js'
import { BenchDatabase, DATABASE_URL, postgresCpuSeconds } from './prisma/database.js'
import { REDIS_URL } from './redis/setup.js'

type PerfPrisma = typeof import('@perf/prisma')

/** Loads @perf/prisma and the generated client, or skips the suite saying why. */
async function load(
  ctx: SuiteContext,
): Promise<{ perfPrisma: PerfPrisma; PrismaClient: PrismaClientClass } | undefined> {
  let perfPrisma: PerfPrisma
  try {
    perfPrisma = await import('@perf/prisma')
  } catch (error) {
    ctx.skip(`@perf/prisma cannot be loaded (run \`pnpm build\` first): ${(error as Error).message}`)
    return undefined
  }
  try {
    return { perfPrisma, PrismaClient: await loadPrismaClient((m) => ctx.log(m)) }
  } catch (error) {
    ctx.skip(`the suite's Prisma client could not be generated: ${(error as Error).message}`)
    return undefined
  }
}

/** Issue 5: perf() cached reads (L1, L2) vs uncached Prisma and raw pg; the extension's overhead on uncached reads. */
const suite: Suite = {
  name: 'prisma',
  title: 'Prisma extension: cached vs uncached reads (issue 5)',
  libraries: ['@perf/core', '@perf/prisma', '@perf/redis', '@prisma/client', '@prisma/adapter-pg', 'pg', 'ioredis'],
  async run(ctx) {
    if (!(await postgresOrSkip(ctx, DATABASE_URL))) return
    const loaded = await load(ctx)
    if (!loaded) return
    const { perfPrisma, PrismaClient } = loaded
    const [{ createCache }, { PrismaPg }] = await Promise.all([import('@perf/core'), import('@prisma/adapter-pg')])
    const rows = ctx.size(1_000, 200)
    const db = new BenchDatabase()
    const closers: Array<() => unknown> = []
    try {
      await db.create(rows)
      const pool = db.pool()
      const plain = new PrismaClient({ adapter: new PrismaPg(pool, { schema: db.schema }) })
      closers.push(() => plain.$disconnect())
      const wrapped = plain.$extends(perfPrisma.perf())
      const wrappedPool = plain.$extends(perfPrisma.perf({ pool }))
      closers.push(
        () => wrapped.$perf?.close(),
        () => wrappedPool.$perf?.close(),
      )
      const l2 = await l2Client(ctx, plain, perfPrisma, createCache, closers)
      const contenders: Contenders = { plain, wrapped, wrappedPool, l2, rawPool: db.pool() }
      ctx.text(
        `PostgreSQL ${await db.version()} on the same machine (database \`test\`, schema \`${db.schema}\` created for the run and dropped after); table \`Account\` with ${rows.toLocaleString('en-US')} rows \`{ id, email, name, active, score, role, createdAt }\` (~130 bytes as JSON), primary-key lookups.`,
      )

      const pgCpuStart = postgresCpuSeconds()
      const wallStart = performance.now()
      await warmCaches(contenders, rows)
      await uncachedCases(ctx, contenders, rows)
      const read = reads(contenders)
      const pairs = ctx.size(10_000, 200)
      const paired: Array<readonly [string, PairedOverhead]> = []
      for (const [i, name] of [WRAPPED, WRAPPED_POOL, PLAIN_AGAIN].entries()) {
        ctx.log(`overhead of ${name}: ${pairs} paired calls`)
        paired.push([name, await pairedOverhead(read[PLAIN] as Read, read[name] as Read, pairs, rows, 21 + i)])
      }
      overheadTable(ctx, paired, PLAIN)
      const cached = await cachedCases(ctx, contenders, rows)
      await l1Breakdown(ctx, plain, wrapped, perfPrisma, createCache)
      const hits = wrapped.$perf?.stats().operations
      if (!hits || hits.cacheMisses !== rows)
        throw new Error(
          `[bench] the L1 client missed ${hits?.cacheMisses} times; expected ${rows} (one per row, while warming)`,
        )

      const pgCpuEnd = postgresCpuSeconds()
      if (pgCpuStart !== undefined && pgCpuEnd !== undefined) {
        const cores = availableParallelism()
        const share = ((pgCpuEnd - pgCpuStart) * 100_000) / ((performance.now() - wallStart) * cores)
        ctx.warn(
          `PostgreSQL's processes are among the "other processes" in the CPU line above: they used ${share.toFixed(0)} % of ${cores} cores during the measurements, serving this suite (and any other client of the same server).`,
        )
      }
      ctx.target(
        'L1 hit vs the same uncached findUnique (times faster)',
        'speed',
        ctx.ratio(cached, L1_HIT, PLAIN),
        '>=',
        100,
        formatRatio,
      )
      const wrappedOverhead = paired[0]?.[1].share ?? Number.NaN
      ctx.target(
        'perf() overhead on uncached reads (share of the call, paired per call)',
        'speed',
        wrappedOverhead,
        '<=',
        0.05,
        (v) => formatPct(v, 2),
      )
      if (l2)
        ctx.text(
          `L2 (Redis) hit: ${formatRatio(ctx.ratio(cached, L2_HIT, PLAIN))} the speed of the uncached call (no target in the issue).`,
        )
    } finally {
      for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined)
      await db.drop()
    }
  },
}

/** A perf() client whose cache has only a Redis tier, or undefined (with a note) when Redis is absent. */
async function l2Client(
  ctx: SuiteContext,
  plain: PrismaLike,
  perfPrisma: PerfPrisma,
  createCache: typeof import('@perf/core').createCache,
  closers: Array<() => unknown>,
): Promise<PrismaLike | undefined> {
  if (!(await isReachable(REDIS_URL, 6379))) {
    ctx.text(`No L2 row: Redis not reachable at ${REDIS_URL}.`)
    return undefined
  }
  const [{ Redis }, { redisStore }, { randomBytes }] = await Promise.all([
    import('ioredis'),
    import('@perf/redis'),
    import('node:crypto'),
  ])
  const redis = new Redis(REDIS_URL)
  const prefix = `perf-bench:${randomBytes(4).toString('hex')}:prisma:`
  const cache = createCache({ codec: perfPrisma.prismaCodec(), tiers: [redisStore(redis, { prefix })] })
  const client = plain.$extends(perfPrisma.perf({ cache }))
  closers.push(async () => {
    await client.$perf?.close()
    await cache.close()
    // Every key the store wrote (entries, tag records, meta) starts with the prefix.
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await redis.unlink(...keys)
    } while (cursor !== '0')
    await redis.quit()
  })
  return client
}

export default suite
