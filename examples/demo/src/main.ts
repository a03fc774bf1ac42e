/**
 * The @perf main job: seeds a shop, runs the same API workload with plain Prisma and with
 * `prisma.$extends(perf())` (or, with `--orm typeorm`, plain TypeORM and `instrument(dataSource)`;
 * with `--orm sequelize`, plain Sequelize and `instrument(sequelize)`),
 * prints the side-by-side table, checks that sampled results are identical, and writes a
 * self-contained HTML report.
 *
 *   pnpm demo                 # embedded PGlite + in-memory cache, ~1 minute
 *   pnpm demo -- --smoke      # small and short (CI)
 *   pnpm demo -- --orm typeorm
 *   pnpm demo -- --orm sequelize
 *   pnpm demo --serve         # then keep the wrapped app running with the live dashboard (@perf/http)
 *   DATABASE_URL=postgresql://... REDIS_URL=redis://... pnpm demo
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  createCache,
  createMonitor,
  MemoryStore,
  type CacheStore,
  type InvalidationBus,
  type Monitor,
} from '@perf/core'
import { instrumentPgPool, perf, prismaCodec, type PgPoolInstrumentation } from '@perf/prisma'
import { createRedisClient, redisBus, redisStore } from '@perf/redis'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { openDatabase } from './database.js'
import { PrismaClient } from './generated/client.js'
import { ProgressBar } from './progress.js'
import { typeormSide } from './typeorm/clients.js'
import { sequelizeSide } from './sequelize/clients.js'
import { renderReport } from './report/html.js'
import { serveDashboard } from './serve.js'
import { runPhase, type PhaseConfig } from './run-phase.js'
import { FULL_SIZES, SMOKE_SIZES, seed } from './seed.js'
import { formatTable } from './table.js'
import { verify } from './verify.js'
import { prismaShop, type ShopApp } from './workload.js'

const argv = process.argv.slice(2)
const smoke = argv.includes('--smoke')
const serveAfter = argv.includes('--serve')
const reportArg = argv.indexOf('--report')
const ormArg = argv.indexOf('--orm')
const orm = ormArg >= 0 ? argv[ormArg + 1] : 'prisma'
if (orm !== 'prisma' && orm !== 'typeorm' && orm !== 'sequelize') {
  console.error(`[demo] --orm must be "prisma", "typeorm" or "sequelize" (got ${JSON.stringify(orm ?? '')})`)
  process.exit(2)
}
const LABELS =
  orm === 'typeorm'
    ? { plain: 'plain TypeORM', wrapped: 'instrument() wrapped', what: 'plain TypeORM vs instrument(dataSource)' }
    : orm === 'sequelize'
      ? { plain: 'plain Sequelize', wrapped: 'instrument() wrapped', what: 'plain Sequelize vs instrument(sequelize)' }
      : { plain: 'plain Prisma', wrapped: 'perf() wrapped', what: 'plain Prisma vs prisma.$extends(perf())' }
/** What the verdict says was compared, per ORM. */
const COMPARED_TYPES: Record<string, string> = {
  prisma: 'Decimal, BigInt, Date, Json',
  typeorm: 'entity classes, Date, numeric and bigint strings, jsonb',
  sequelize: 'instances rendered with get({ plain: true }): Date, DECIMAL and BIGINT strings, jsonb',
}
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
  console.log(`@perf demo${smoke ? ' (--smoke)' : ''}: one shop API workload, ${LABELS.what}\n`)
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

    const newMonitor = () => createMonitor({ eventLoopDelay: true, slowQueryMs: 50 })
    const prismaClient = (monitor: Monitor, monitorName: string) => {
      const pool = new pg.Pool(database.poolConfig(POOL_MAX))
      const instrumentation = instrumentPgPool(pool, { monitor, name: monitorName })
      const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: database.schema }) })
      cleanups.push(async () => {
        await prisma.$disconnect()
        instrumentation.close()
        await pool.end()
      })
      return { pool, instrumentation, prisma }
    }

    const plainMonitor = newMonitor()
    cleanups.push(async () => plainMonitor.close())
    let plainApp: ShopApp
    let plainPg: PgPoolInstrumentation
    if (orm === 'typeorm') {
      const side = await typeormSide(database, POOL_MAX, plainMonitor, 'plain')
      cleanups.push(() => side.close())
      plainApp = side.app
      plainPg = side.instrumentation
    } else if (orm === 'sequelize') {
      const side = await sequelizeSide(database, POOL_MAX, plainMonitor)
      cleanups.push(() => side.close())
      plainApp = side.app
      plainPg = side.instrumentation
    } else {
      const plain = prismaClient(plainMonitor, 'plain')
      plainApp = prismaShop(plain.prisma)
      plainPg = plain.instrumentation
    }
    const plainResult = await phaseProgress(LABELS.plain, (tick) =>
      runPhase(LABELS.plain, plainApp, plainMonitor, plainPg, config, tick),
    )

    const codec = orm === 'prisma' ? prismaCodec() : undefined
    const tiers: CacheStore[] = [new MemoryStore({ maxBytes: 128 * 1024 * 1024 })]
    let bus: InvalidationBus | undefined
    if (redis) {
      tiers.push(redisStore(redis, codec ? { codec } : {}))
      bus = redisBus(redis)
    }
    const cache = createCache({
      ...(codec ? { codec } : {}),
      tiers,
      bus,
      namespace: `demo-${database.schema.replace(/[^a-z0-9_]/gi, '')}-${Date.now()}`,
      // --serve shows the hottest keys on the dashboard (sampled; off otherwise).
      ...(serveAfter ? { hotKeys: 64 } : {}),
    })
    // Leave nothing behind in a shared Redis: the namespace is this run's own.
    cleanups.push(async () => {
      if (redis) await cache.clear()
      await cache.close()
    })
    const wrappedMonitor = newMonitor()
    cleanups.push(async () => wrappedMonitor.close())
    let wrappedApp: ShopApp
    let wrappedPg: PgPoolInstrumentation
    let cacheHits: () => number
    if (orm === 'typeorm') {
      const side = await typeormSide(database, POOL_MAX, wrappedMonitor, 'wrapped', cache)
      cleanups.push(() => side.close())
      wrappedApp = side.app
      wrappedPg = side.instrumentation
      cacheHits = () => side.cacheHits()
    } else if (orm === 'sequelize') {
      const side = await sequelizeSide(database, POOL_MAX, wrappedMonitor, cache)
      cleanups.push(() => side.close())
      wrappedApp = side.app
      wrappedPg = side.instrumentation
      cacheHits = () => side.cacheHits()
    } else {
      const wrapped = prismaClient(wrappedMonitor, 'wrapped')
      const db = wrapped.prisma.$extends(
        perf({ cache, monitor: wrappedMonitor, pool: wrapped.instrumentation, models: MODEL_DEFAULTS }),
      )
      // The workload is typed against the plain client; the extended client is call-compatible.
      wrappedApp = prismaShop(db as unknown as PrismaClient)
      wrappedPg = wrapped.instrumentation
      cacheHits = () => db.$perf.stats().operations.cacheHits
    }
    const wrappedResult = await phaseProgress(LABELS.wrapped, (tick) =>
      runPhase(LABELS.wrapped, wrappedApp, wrappedMonitor, wrappedPg, config, tick),
    )

    const verification = await verify(plainApp, wrappedApp, cacheHits, config.sizes, samples)
    console.log(`\n${formatTable(plainResult, wrappedResult)}\n`)
    const ok = verification.identical === verification.samples
    console.log(
      ok
        ? `✔ Sampled results identical: ${verification.identical}/${verification.samples} requests equal in values and classes (${COMPARED_TYPES[orm ?? ''] ?? orm}), ${verification.cachedReads.toLocaleString('en-US')} wrapped reads served from cache.`
        : `✘ Sampled results DIFFER: ${verification.identical}/${verification.samples} identical; first mismatch ${verification.firstMismatch}`,
    )
    mkdirSync(dirname(reportPath), { recursive: true })
    writeFileSync(
      reportPath,
      renderReport({
        title: `@perf demo: ${LABELS.what}`,
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
    if (serveAfter)
      await serveDashboard({
        label: LABELS.wrapped,
        app: wrappedApp,
        monitor: wrappedMonitor,
        cache,
        probe: wrappedPg.probe,
        sizes: config.sizes,
      })
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
