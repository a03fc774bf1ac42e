import { randomBytes } from 'node:crypto'
import type * as typeorm1 from 'typeorm'
import { formatPct, formatRatio } from '../harness/format.js'
import type { CaseResult } from '../harness/measure.js'
import { isReachable, loadOrSkip, postgresOrSkip } from '../harness/services.js'
import type { Suite, SuiteContext } from '../harness/suite.js'
import { BenchDatabase, DATABASE_URL } from './prisma/database.js'
import { overheadTable, pairedOverhead, type PairedOverhead } from './prisma/overhead.js'
import { REDIS_URL } from './redis/setup.js'
import {
  accessOrder,
  AGAIN,
  BUILTIN_HIT,
  cachedRead,
  CACHE_TTL_MS,
  INSTRUMENTED,
  L1_HIT,
  L2_HIT,
  PROVIDER_HIT,
  PROVIDER_L2_HIT,
  sequentialCase,
  UNCACHED,
  uncachedRead,
  warm,
  type Contender,
  type Read,
} from './typeorm/cases.js'
import { HAND_WRITTEN, LOADER, loaderCases } from './typeorm/loaders.js'
import { openDataSource, typeormLines, type TypeormLine } from './typeorm/setup.js'

type PerfTypeorm = typeof import('@perf/typeorm')
type PerfCore = typeof import('@perf/core')

/** TypeORM's built-in Redis cache FLUSHDBs on clear(): it gets a database of its own, never 0. */
const BUILTIN_REDIS_DB = 14

interface Shared {
  perf: PerfTypeorm
  core: PerfCore
  db: BenchDatabase
  rows: number
  hasRedis: boolean
  closers: Array<() => unknown>
}

/** Issue 10: @perf/typeorm cached reads vs uncached TypeORM and its built-in Redis cache; instrument()'s overhead; loaders. */
const suite: Suite = {
  name: 'typeorm',
  title: "TypeORM adapter: cached vs uncached finds, vs TypeORM's built-in Redis cache, loaders (issue 10)",
  libraries: ['@perf/core', '@perf/typeorm', '@perf/redis', 'typeorm', 'pg', 'ioredis'],
  async run(ctx) {
    if (!(await postgresOrSkip(ctx, DATABASE_URL))) return
    const perf = await loadOrSkip(ctx, '@perf/typeorm', () => import('@perf/typeorm'))
    if (!perf) return
    const lines = await typeormLines()
    if (lines.length === 0) {
      ctx.skip('neither typeorm nor typeorm03 (npm:typeorm@0.3) is installed')
      return
    }
    const rows = ctx.size(1_000, 100)
    const shared: Shared = {
      perf,
      core: await import('@perf/core'),
      db: new BenchDatabase(),
      rows,
      hasRedis: await isReachable(REDIS_URL, 6379),
      closers: [],
    }
    try {
      await shared.db.create(rows)
      ctx.text(
        `PostgreSQL ${await shared.db.version()} on the same machine (database \`test\`, schema \`${shared.db.schema}\` created for the run and dropped after); table \`Account\` with ${rows.toLocaleString('en-US')} rows \`{ id, email, name, active, score, role, createdAt }\` (~130 bytes as JSON), mapped with an \`EntitySchema\`; primary-key reads one at a time, ids drawn at random (seeded). TypeORM lines measured: ${lines.map((l) => l.version).join(' and ')} (0.3 installed as the npm alias \`typeorm03\`). Each contender is its own DataSource (pool of 10) on the same schema.${shared.hasRedis ? '' : ` Redis not reachable at ${REDIS_URL}: no Redis rows.`}`,
      )
      for (const line of lines) await measureLine(ctx, shared, line)
    } finally {
      for (const close of shared.closers.reverse()) await Promise.resolve(close()).catch(() => undefined)
      await shared.db.drop()
    }
  },
}

async function contender(shared: Shared, line: TypeormLine, extra?: Record<string, unknown>): Promise<Contender> {
  const c = await openDataSource(line, shared.db.schema, extra)
  shared.closers.push(() => c.dataSource.destroy())
  return c
}

/** A cache whose only tier is Redis under a prefix of its own, removed at the end. */
async function redisOnlyCache(shared: Shared): Promise<import('@perf/core').Cache> {
  const [{ Redis }, { redisStore }] = await Promise.all([import('ioredis'), import('@perf/redis')])
  const redis = new Redis(REDIS_URL)
  const prefix = `perf-bench:${randomBytes(4).toString('hex')}:typeorm:`
  const cache = shared.core.createCache({ tiers: [redisStore(redis, { prefix })] })
  shared.closers.push(async () => {
    await cache.close()
    await deleteMatching(redis, `${prefix}*`)
    await redis.quit()
  })
  return cache
}

async function deleteMatching(redis: import('ioredis').Redis, pattern: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await redis.unlink(...keys)
  } while (cursor !== '0')
}

async function measureLine(ctx: SuiteContext, shared: Shared, line: TypeormLine): Promise<void> {
  const { perf, core, rows } = shared
  ctx.log(`${line.label}: opening contenders`)
  const plain = await contender(shared, line)
  const l1 = await contender(shared, line)
  const monitor = core.createMonitor()
  shared.closers.push(() => monitor.close())
  const l1Cache = core.createCache()
  shared.closers.push(() => l1Cache.close())
  const l1Perf = perf.instrument(l1.dataSource, { cache: l1Cache, monitor })
  shared.closers.push(() => l1Perf.uninstrument())

  const reads: Record<string, Read> = {
    [UNCACHED]: uncachedRead(plain, UNCACHED),
    [AGAIN]: uncachedRead(plain, AGAIN),
    [INSTRUMENTED]: uncachedRead(l1, INSTRUMENTED),
    [L1_HIT]: cachedRead(l1, L1_HIT),
  }
  const cached: Array<[string, Contender]> = [[L1_HIT, l1]]
  // TypeORM's provider path (its own cache lookup, JSON rows, hydration on every hit), on our cache.
  const queryResultCache = (perf as unknown as { queryResultCache?: (cache: unknown) => unknown }).queryResultCache
  if (typeof queryResultCache === 'function') {
    const providerCache = core.createCache()
    shared.closers.push(() => providerCache.close())
    const provider = await contender(shared, line, { cache: { provider: () => queryResultCache(providerCache) } })
    reads[PROVIDER_HIT] = cachedRead(provider, PROVIDER_HIT)
    cached.push([PROVIDER_HIT, provider])
  }
  if (shared.hasRedis) {
    const builtin = await contender(shared, line, {
      cache: { type: 'ioredis', options: { ...redisOptions(), db: BUILTIN_REDIS_DB }, duration: CACHE_TTL_MS },
    })
    // Its keys are the query texts, which name this run's schema; removed key by key, never FLUSHDB.
    shared.closers.push(async () => {
      const { Redis } = await import('ioredis')
      const redis = new Redis({ ...redisOptions(), db: BUILTIN_REDIS_DB })
      await deleteMatching(redis, `*${shared.db.schema}*`)
      await redis.quit()
    })
    const l2 = await contender(shared, line)
    const l2Perf = perf.instrument(l2.dataSource, { cache: await redisOnlyCache(shared) })
    shared.closers.push(() => l2Perf.uninstrument())
    reads[BUILTIN_HIT] = cachedRead(builtin, BUILTIN_HIT)
    reads[L2_HIT] = cachedRead(l2, L2_HIT)
    cached.push([BUILTIN_HIT, builtin], [L2_HIT, l2])
    if (typeof queryResultCache === 'function') {
      // The drop-in replacement for the built-in cache: the same provider path, on a Redis-only cache.
      const providerRedisCache = await redisOnlyCache(shared)
      const providerL2 = await contender(shared, line, {
        cache: { provider: () => queryResultCache(providerRedisCache) },
      })
      reads[PROVIDER_L2_HIT] = cachedRead(providerL2, PROVIDER_L2_HIT)
      cached.push([PROVIDER_L2_HIT, providerL2])
    }
  }

  // A contender that still sends statements after warming does not cache these finds in this build.
  const hitting: string[] = []
  // Said under the table they qualify.
  const notes: string[] = []
  for (const [name, c] of cached) {
    const sent = await warm(c, reads[name] as Read, rows)
    if (sent === 0) hitting.push(name)
    const row = await (reads[name] as Read)(1)
    if (!(row?.createdAt instanceof Date))
      notes.push(
        `Fidelity: a "${name}" on ${line.label} returns \`createdAt\` as ${typeof row?.createdAt} ${JSON.stringify(row?.createdAt)}, where the uncached find returns a Date.`,
      )
    if (sent !== 0)
      notes.push(
        `No "${name}" row for ${line.label}: after every row was read once, re-reading a sample still sent ${sent} statements, so this build does not cache these finds.`,
      )
  }

  const order = accessOrder(rows, 9)
  const names = [UNCACHED, AGAIN, ...hitting]
  const results = await ctx.compare(
    `findOneBy by primary key, cached vs uncached — ${line.label}`,
    names.map((name) => sequentialCase(name, reads[name] as Read, order)),
    {
      baseline: UNCACHED,
      note: `Cached rows call \`findOne({ where: { id }, cache: ${CACHE_TTL_MS} })\` (TypeORM's own option) after every row was read once, so each call is a hit. L1: \`instrument(dataSource, { cache: createCache(), monitor })\` (one MemoryStore, isolate: true). Provider: a DataSource with \`cache: { provider: () => queryResultCache(createCache()) }\` and no instrument(), so TypeORM's own cache path (raw rows, entity hydration on every hit) runs on our cache. L2: \`instrument()\` with a cache whose only tier is \`redisStore(redis)\`; the provider's Redis row is the same provider on such a cache, the drop-in replacement for the built-in one. Built-in: the DataSource option \`cache: { type: 'ioredis', options: { db: ${BUILTIN_REDIS_DB} } }\` (TypeORM stores the raw rows as JSON and hydrates entities on every hit). The A/A row repeats the uncached call as a separate case: its distance from 1.00× is the noise floor of this table.`,
    },
  )

  for (const note of notes) ctx.text(note)

  const pairs = ctx.size(10_000, 100)
  const paired: Array<readonly [string, PairedOverhead]> = []
  const call = (name: string) => async (id: number) => void (await (reads[name] as Read)(id))
  for (const [i, name] of [INSTRUMENTED, AGAIN].entries()) {
    ctx.log(`overhead of ${name}: ${pairs} paired calls`)
    paired.push([name, await pairedOverhead(call(UNCACHED), call(name), pairs, rows, 31 + i)])
  }
  overheadTable(ctx, paired, `${UNCACHED} — ${line.label}`)

  judgeCached(ctx, line, results, hitting)
  ctx.target(
    `${line.label}: instrument() overhead on uncached findOneBy (share of the call, paired per call)`,
    'speed',
    paired[0]?.[1].share ?? Number.NaN,
    '<=',
    0.05,
    (v) => formatPct(v, 2),
  )

  const createLoaders = (perf as unknown as { createLoaders?: Parameters<typeof loaderCases>[2] }).createLoaders
  if (typeof createLoaders !== 'function') {
    ctx.text(`No loader table for ${line.label}: this build of @perf/typeorm has no createLoaders().`)
    return
  }
  const loader = await loaderCases(ctx, plain, createLoaders, rows, line.label)
  ctx.target(
    `${line.label}: statements for ${Math.min(1000, rows)} loads through createLoaders().byId`,
    'exact',
    loader.statements,
    '==',
    1,
    String,
  )
  ctx.target(
    `${line.label}: hand-written \`= ANY($1)\` time over loader time (loader ≤ 1.2× its latency)`,
    'speed',
    ctx.ratio(loader.results, LOADER, HAND_WRITTEN),
    '>=',
    1 / 1.2,
  )
}

function judgeCached(ctx: SuiteContext, line: TypeormLine, results: Map<string, CaseResult>, hitting: string[]): void {
  if (hitting.includes(L1_HIT))
    ctx.target(
      `${line.label}: L1 hit vs the same uncached findOneBy (times faster)`,
      'speed',
      ctx.ratio(results, L1_HIT, UNCACHED),
      '>=',
      50,
      formatRatio,
    )
  if (hitting.includes(L1_HIT) && hitting.includes(BUILTIN_HIT))
    ctx.target(
      `${line.label}: L1 hit vs a built-in ioredis cache hit (times faster)`,
      'speed',
      ctx.ratio(results, L1_HIT, BUILTIN_HIT),
      '>=',
      10,
      formatRatio,
    )
  if (hitting.includes(PROVIDER_L2_HIT) && hitting.includes(BUILTIN_HIT))
    ctx.text(
      `${line.label}: the provider's Redis hit runs at ${formatRatio(ctx.ratio(results, PROVIDER_L2_HIT, BUILTIN_HIT))} the speed of a built-in ioredis hit (no target of its own: the issue's Redis target is judged on the fast path above).`,
    )
  if (hitting.includes(L2_HIT) && hitting.includes(BUILTIN_HIT))
    ctx.target(
      `${line.label}: our Redis-only hit vs a built-in ioredis hit (speed; ≥ 1.00× means latency ≤ 1.0×)`,
      'speed',
      ctx.ratio(results, L2_HIT, BUILTIN_HIT),
      '>=',
      1,
    )
}

function redisOptions(): { host: string; port: number } {
  const { hostname, port } = new URL(REDIS_URL)
  return { host: hostname || '127.0.0.1', port: Number(port || 6379) }
}

export default suite
