import { createCache, type Cache } from '@perf/core'
import { createKeyv } from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { redisDriver } from 'bentocache/drivers/redis'
import { createCache as createCacheManager } from 'cache-manager'
import type { Redis } from 'ioredis'
import type { BenchCase, CaseResult } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'
import { accessOrder, ORDER_MASK, userKey, userRow, type UserRow } from '../cache/data.js'
import { cpuTable } from './cpu.js'
import { concurrently, REDIS_URL, TTL_MS, type RedisRun } from './setup.js'

type PerfRedis = typeof import('@perf/redis')

/** Calls in flight at once in the concurrent table (the issue's "100 concurrent"). */
export const CONCURRENCY = 100

/** A loader that must never run: every key is present before the measurement. */
function neverLoaded(): UserRow {
  throw new Error('[bench] an L2 hit benchmark called its loader: the key was missing')
}

function check(row: UserRow | null | undefined, id: number, name: string): void {
  if (row == null || row.id !== id) throw new Error(`[bench] ${name} returned ${JSON.stringify(row)} for user ${id}`)
}

/** One contender: reads key number `i` and checks the row. */
type Read = (i: number) => Promise<void>

/** What the hit tables return, plus handles the breakdown reuses. */
export interface HitResults {
  sequential: Map<string, CaseResult>
  concurrent: Map<string, CaseResult>
  /** The L2-only cache on the default client, its store and the key list. */
  cache: Cache
  store: import('@perf/redis').RedisStore
  keys: string[]
  /** Why RedisStore cannot run on an auto-pipelining client, when it cannot. */
  pipelinedProblem: string | undefined
}

export const RAW = 'ioredis GET + JSON.parse'
export const RAW_PIPELINED = 'ioredis GET + JSON.parse (enableAutoPipelining)'
export const OURS = '@perf getOrSet (L2 only)'
export const OURS_PIPELINED = '@perf getOrSet (L2 only, enableAutoPipelining client)'

/**
 * L2 hits: every read goes to Redis. @perf `createCache({ tiers: [redisStore(redis)] })`, raw
 * ioredis GET of the same row as JSON (with and without auto-pipelining), bentocache with only its
 * Redis driver (no L1) and cache-manager v7 with only a @keyv/redis store.
 */
export async function hitCases(ctx: SuiteContext, run: RedisRun, redis: PerfRedis): Promise<HitResults> {
  const keyCount = ctx.size(10_000, 1_000)
  const plain = await run.client()
  const pipelined = await run.client({ enableAutoPipelining: true })
  const failFast = redis.createRedisClient(REDIS_URL)
  run.onCleanup(() => failFast.quit())
  await failFast.ping()
  const prefix = `${run.prefix}perf:`
  const store = redis.redisStore(plain, { prefix })
  const ours = createCache({ tiers: [store] })
  const pipelinedProblem = await probeAutoPipelining(run, redis, prefix)
  const oursPipelined = createCache({ tiers: [redis.redisStore(pipelined, { prefix })] })
  const oursFailFast = createCache({ tiers: [redis.redisStore(failFast, { prefix })] })
  const bentoClient = await run.client()
  const bento = new BentoCache({
    default: 'redis',
    stores: { redis: bentostore().useL2Layer(redisDriver({ connection: bentoClient, prefix: `${run.prefix}bento` })) },
  })
  const keyv = createKeyv(REDIS_URL, { namespace: `${run.prefix}cm` })
  const cm = createCacheManager({ stores: [keyv], ttl: TTL_MS })
  run.onCleanup(async () => {
    await Promise.all([
      ours.close(),
      oursPipelined.close(),
      oursFailFast.close(),
      bento.disconnectAll(),
      cm.disconnect(),
    ])
  })

  ctx.log(`writing ${keyCount} rows per contender`)
  const keys = Array.from({ length: keyCount }, (_, i) => userKey(i))
  const rawKeys = keys.map((key) => `${run.prefix}raw:${key}`)
  for (let start = 0; start < keyCount; start += 500) {
    const batch = keys.slice(start, start + 500)
    await Promise.all(
      batch.map(async (key, j) => {
        const i = start + j
        await ours.set(key, userRow(i), { ttl: TTL_MS })
        await bento.set({ key, value: userRow(i), ttl: TTL_MS })
        await cm.set(key, userRow(i), TTL_MS)
        await plain.set(rawKeys[i] as string, JSON.stringify(userRow(i)), 'PX', TTL_MS)
      }),
    )
  }

  const order = accessOrder(keyCount, 7)
  const reads: Record<string, Read> = {
    [RAW]: async (i) => check(JSON.parse((await plain.get(rawKeys[i] as string)) as string) as UserRow, i, RAW),
    'ioredis GET (string, no parse)': async (i) => {
      if ((await plain.get(rawKeys[i] as string)) === null) throw new Error('[bench] raw GET missed')
    },
    [RAW_PIPELINED]: async (i) =>
      check(JSON.parse((await pipelined.get(rawKeys[i] as string)) as string) as UserRow, i, RAW_PIPELINED),
    [OURS]: async (i) => check(await ours.getOrSet(keys[i] as string, neverLoaded, { ttl: TTL_MS }), i, OURS),
    [OURS_PIPELINED]: async (i) =>
      check(await oursPipelined.getOrSet(keys[i] as string, neverLoaded, { ttl: TTL_MS }), i, OURS_PIPELINED),
    '@perf getOrSet (L2 only, createRedisClient() fail-fast client)': async (i) =>
      check(await oursFailFast.getOrSet(keys[i] as string, neverLoaded, { ttl: TTL_MS }), i, 'fail-fast'),
    'bentocache getOrSet (Redis driver only)': async (i) =>
      check(await bento.getOrSet({ key: keys[i] as string, factory: neverLoaded, ttl: TTL_MS }), i, 'bentocache'),
    'cache-manager wrap (@keyv/redis only)': async (i) =>
      check(await cm.wrap(keys[i] as string, neverLoaded, TTL_MS), i, 'cache-manager'),
  }

  // Each case gets its own counter and loop (see BenchCase: a shared loop would go megamorphic).
  const sequentialCase = (name: string): BenchCase => {
    const read = reads[name] as Read
    let c = 0
    return {
      name,
      async run(n) {
        for (let k = 0; k < n; k++) await read(order[c++ & ORDER_MASK] as number)
      },
      once: () => read(order[c++ & ORDER_MASK] as number),
    }
  }
  const concurrentCase = (name: string): BenchCase => {
    const read = reads[name] as Read
    let c = 0
    return {
      name,
      opsPerCall: CONCURRENCY,
      async run(n) {
        for (let k = 0; k < n; k++) {
          const base = c
          c += CONCURRENCY
          await concurrently(CONCURRENCY, (j) => read(order[(base + j) & ORDER_MASK] as number))
        }
      },
    }
  }

  const common =
    'bentocache and cache-manager serialize to JSON strings read with GET; @perf stores one string per entry (a one-line header with times and tags, then the codec bytes) read with MGET: the reads issued in one tick share one MGET, which also fetches the invalidation times of the tags the caller expects. Every value is checked.'
  const sequential = await ctx.compare(
    `L2 hit, sequential (one call at a time), ${keyCount.toLocaleString('en-US')} keys`,
    [
      RAW,
      'ioredis GET (string, no parse)',
      OURS,
      '@perf getOrSet (L2 only, createRedisClient() fail-fast client)',
      'bentocache getOrSet (Redis driver only)',
      'cache-manager wrap (@keyv/redis only)',
    ].map(sequentialCase),
    {
      baseline: RAW,
      note: `Keys drawn at random (seeded) from the ${keyCount.toLocaleString('en-US')} present ones; ~110-byte rows. Every cache has Redis as its only tier, so each hit is one round trip to a local Redis 7. ioredis clients use ioredis defaults except the fail-fast row (\`createRedisClient()\`: per-command timeout, no offline queue). ${common}`,
    },
  )
  const concurrent = await ctx.compare(
    `L2 hit, ${CONCURRENCY} concurrent calls`,
    [
      RAW_PIPELINED,
      RAW,
      OURS,
      ...(pipelinedProblem ? [] : [OURS_PIPELINED]),
      'bentocache getOrSet (Redis driver only)',
      'cache-manager wrap (@keyv/redis only)',
    ].map(concurrentCase),
    {
      baseline: RAW_PIPELINED,
      note: `ops/s counts reads: one unit is ${CONCURRENCY} reads of random keys started at once, then awaited together. With \`enableAutoPipelining\`, ioredis sends the commands issued in one tick as a single write. ${common}${pipelinedProblem ? ` No "${OURS_PIPELINED}" row: ${pipelinedProblem}` : ''}`,
    },
  )
  const cpuNames = [RAW, OURS, 'bentocache getOrSet (Redis driver only)', 'cache-manager wrap (@keyv/redis only)']
  const ops = ctx.size(20_000, 2_000)
  await cpuTable(
    ctx,
    plain,
    'CPU per L2 hit — this process vs the Redis server',
    [
      ...cpuNames.map((name) => ({ ...sequentialCase(name), name: `${name} — sequential` })),
      ...[RAW_PIPELINED, ...cpuNames].map((name) => ({
        ...concurrentCase(name),
        name: `${name} — ${CONCURRENCY} concurrent`,
      })),
    ],
    ops,
    `About ${ops.toLocaleString('en-US')} reads per row (twice, lower kept): CPU time of this process (\`process.cpuUsage()\`, user + system) and of the Redis server (INFO cpu, user + system) divided by the reads. Client and server share the machine's 2 cores, so their sum bounds the concurrent throughput. Other clients of the same Redis would add to the server column.`,
  )
  return { sequential, concurrent, cache: ours, store, keys, pipelinedProblem }
}

/**
 * Whether RedisStore.get works on an ioredis client with `enableAutoPipelining: true`. Run on a
 * throwaway connection with an uncaughtException listener in place, because the failure seen
 * with ioredis 5 is an exception thrown from ioredis's own setImmediate (it would end the process).
 * Returns a description of the failure, or undefined when the read works.
 */
async function probeAutoPipelining(run: RedisRun, redis: PerfRedis, prefix: string): Promise<string | undefined> {
  const client = await run.client({ enableAutoPipelining: true })
  const store = redis.redisStore(client, { prefix })
  let uncaught: unknown
  const listener = (error: unknown) => {
    uncaught ??= error
  }
  process.prependListener('uncaughtException', listener)
  let rejected: unknown
  try {
    await store.get('probe:absent')
  } catch (error) {
    rejected = error
  }
  await new Promise((resolve) => setTimeout(resolve, 20))
  process.removeListener('uncaughtException', listener)
  client.disconnect()
  if (uncaught === undefined && rejected === undefined) return undefined
  const what =
    uncaught !== undefined
      ? `an uncaught ${String(uncaught)} thrown inside ioredis (it ends the process)`
      : `a rejection: ${String(rejected)}`
  return `RedisStore.get() on a client with \`enableAutoPipelining: true\` fails with ${what}${rejected !== undefined && uncaught !== undefined ? ', and the read itself times out' : ''}.`
}
