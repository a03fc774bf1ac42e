/**
 * The @perf main job: seeds a shop, runs the same API workload with plain Prisma and with
 * `prisma.$extends(perf())`, prints the side-by-side table, checks that sampled results are
 * identical, and writes a self-contained HTML report.
 *
 *   pnpm demo                 # embedded PGlite + in-memory cache, ~1 minute
 *   pnpm demo -- --smoke      # small and short (CI)
 *   DATABASE_URL=postgresql://... REDIS_URL=redis://... pnpm demo
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCache, createMonitor, MemoryStore, type CacheStore, type InvalidationBus } from '@perf/core'
import { instrumentPgPool, perf, prismaCodec } from '@perf/prisma'
import { createRedisClient, redisBus, redisStore } from '@perf/redis'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { openDatabase } from './database.js'
import { PrismaClient } from './generated/client.js'
import { ProgressBar } from './progress.js'
import { renderReport } from './report/html.js'
import { runPhase, type PhaseConfig } from './run-phase.js'
import { FULL_SIZES, SMOKE_SIZES, seed } from './seed.js'
import { formatTable } from './table.js'
import { verify } from './verify.js'

const argv = process.argv.slice(2)
const smoke = argv.includes('--smoke')
const reportArg = argv.indexOf('--report')
const POOL_MAX = 10
const config: PhaseConfig = smoke
  ? { seconds: 4, warmupSeconds: 1, users: 8, thinkMs: 10, writesPerSecond: 10, sizes: SMOKE_SIZES, bucketMs: 250 }
  : {
      seconds: 20,
      warmupSeconds: 2,
      users: 16,
      thinkMs: Number(process.env.DEMO_THINK_MS ?? 20),
      writesPerSecond: 20,
      sizes: FULL_SIZES,
      bucketMs: 500,
    }
const samples = smoke ? 60 : 200
const here = dirname(fileURLToPath(import.meta.url))
const reportPath =
  reportArg >= 0 && argv[reportArg + 1]
    ? resolve(argv[reportArg + 1] as string)
    : resolve(here, '..', 'reports', `perf-demo-${new Date().toISOString().replace(/[:.]/g, '-')}.html`)

/** Caching defaults: the application code in workload.ts is not changed to get caching. */
const MODEL_DEFAULTS = {
  Category: { ttl: 300 },
  Product: { ttl: 60, swr: 30 },
  Review: { ttl: 30, swr: 10 },
  Customer: { ttl: 60 },
}

async function phaseProgress<T>(label: string, run: (tick: (f: number) => void) => Promise<T>): Promise<T> {
  const bar = new ProgressBar(label.padEnd(15), 100, '')
  const result = await run((f) => bar.set(Math.round(f * 100)))
  bar.finish()
  return result
}

async function main(): Promise<void> {
  const started = performance.now()
  console.log(
    `@perf demo${smoke ? ' (--smoke)' : ''}: one shop API workload, plain Prisma vs prisma.$extends(perf())\n`,
  )
  const database = await openDatabase(process.env.DATABASE_URL)
  const redis = process.env.REDIS_URL ? createRedisClient(process.env.REDIS_URL) : undefined
  const cleanups: (() => Promise<unknown>)[] = []
  try {
    console.log(`database: ${database.label}`)
    console.log(
      `cache:    ${redis ? `memory L1 + Redis L2 (${process.env.REDIS_URL}) with invalidation bus` : 'in-memory (set REDIS_URL for a Redis L2)'}`,
    )
    const { rows, seconds } = await seed(database.poolConfig(1), database.schema, config.sizes)
    console.log(`seeded ${rows.toLocaleString('en-US')} rows in 6 related tables in ${seconds.toFixed(1)} s`)
    console.log(
      `workload: ${config.users} concurrent users (${config.thinkMs} ms think time), ${config.writesPerSecond} writes/s, ${config.seconds} s measured after ${config.warmupSeconds} s warm-up, per run\n`,
    )

    const clientFor = (monitorName: string) => {
      const pool = new pg.Pool(database.poolConfig(POOL_MAX))
      const monitor = createMonitor({ eventLoopDelay: true, slowQueryMs: 50 })
      const instrumentation = instrumentPgPool(pool, { monitor, name: monitorName })
      const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: database.schema }) })
      cleanups.push(async () => {
        await prisma.$disconnect()
        instrumentation.close()
        monitor.close()
        await pool.end()
      })
      return { pool, monitor, instrumentation, prisma }
    }

    const plain = clientFor('plain')
    const plainResult = await phaseProgress('plain Prisma', (tick) =>
      runPhase('plain Prisma', plain.prisma, plain.monitor, plain.instrumentation, config, tick),
    )

    const wrapped = clientFor('wrapped')
    const codec = prismaCodec()
    const tiers: CacheStore[] = [new MemoryStore({ maxBytes: 128 * 1024 * 1024 })]
    let bus: InvalidationBus | undefined
    if (redis) {
      tiers.push(redisStore(redis, { codec }))
      bus = redisBus(redis)
    }
    const cache = createCache({
      codec,
      tiers,
      bus,
      namespace: `demo-${database.schema.replace(/[^a-z0-9_]/gi, '')}-${Date.now()}`,
    })
    // Leave nothing behind in a shared Redis: the namespace is this run's own.
    cleanups.push(async () => {
      if (redis) await cache.clear()
      await cache.close()
    })
    const db = wrapped.prisma.$extends(
      perf({ cache, monitor: wrapped.monitor, pool: wrapped.instrumentation, models: MODEL_DEFAULTS }),
    )
    // The workload is typed against the plain client; the extended client is call-compatible.
    const app = db as unknown as PrismaClient
    const wrappedResult = await phaseProgress('perf() wrapped', (tick) =>
      runPhase('perf() wrapped', app, wrapped.monitor, wrapped.instrumentation, config, tick),
    )

    const verification = await verify(
      plain.prisma,
      app,
      () => db.$perf.stats().operations.cacheHits,
      config.sizes,
      samples,
    )
    console.log(`\n${formatTable(plainResult, wrappedResult)}\n`)
    const ok = verification.identical === verification.samples
    console.log(
      ok
        ? `✔ Sampled results identical: ${verification.identical}/${verification.samples} requests equal in values and classes (Decimal, BigInt, Date, Json), ${verification.cachedReads.toLocaleString('en-US')} wrapped reads served from cache.`
        : `✘ Sampled results DIFFER: ${verification.identical}/${verification.samples} identical; first mismatch ${verification.firstMismatch}`,
    )
    mkdirSync(dirname(reportPath), { recursive: true })
    writeFileSync(
      reportPath,
      renderReport({
        title: '@perf demo: plain Prisma vs perf()',
        database: database.label,
        rows,
        generatedAt: new Date(),
        plain: plainResult,
        wrapped: wrappedResult,
        verification,
        bucketMs: config.bucketMs,
      }),
    )
    console.log(`report: ${reportPath}`)
    console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
    if (!ok) process.exitCode = 1
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
    await redis?.quit().catch(() => undefined)
    await database.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
