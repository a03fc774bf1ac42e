import { availableParallelism } from 'node:os'
import { formatRatio } from '../harness/format.js'
import { isReachable } from '../harness/services.js'
import type { Suite, SuiteContext } from '../harness/suite.js'
import { breakdownCases } from './redis/breakdown.js'
import { serverCpuSeconds } from './redis/cpu.js'
import { CONCURRENCY, hitCases, OURS, RAW, RAW_PIPELINED } from './redis/hits.js'
import { limiterCases, OURS_LIMITER, RLF } from './redis/limiter.js'
import { lockCases, OURS_LOCK, REDLOCK } from './redis/locks.js'
import { REDIS_URL, RedisRun } from './redis/setup.js'

type PerfRedis = typeof import('@perf/redis')

/** Loads the built @perf/redis, or skips the suite saying why. */
async function loadPerfRedis(ctx: SuiteContext): Promise<PerfRedis | undefined> {
  try {
    const redis = await import('@perf/redis')
    if (
      typeof redis.redisStore === 'function' &&
      typeof redis.redlockLocker === 'function' &&
      typeof redis.redisRateLimiter === 'function'
    )
      return redis
    ctx.skip('@perf/redis does not export redisStore, redlockLocker and redisRateLimiter yet')
  } catch (error) {
    ctx.skip(`@perf/redis cannot be loaded (run \`pnpm build\` first): ${(error as Error).message}`)
  }
  return undefined
}

/** Issue 4: the Redis tier, lock and rate limiter against raw ioredis, bentocache, cache-manager, redlock and rate-limiter-flexible. */
const suite: Suite = {
  name: 'redis',
  title: 'Redis tier, locks and rate limiter (issue 4)',
  libraries: [
    '@perf/core',
    '@perf/redis',
    'ioredis',
    'bentocache',
    'cache-manager',
    '@keyv/redis',
    'redlock',
    'rate-limiter-flexible',
  ],
  async run(ctx) {
    if (!(await isReachable(REDIS_URL, 6379))) {
      ctx.skip(`Redis not reachable at ${REDIS_URL} (set REDIS_URL)`)
      return
    }
    const redis = await loadPerfRedis(ctx)
    if (!redis) return
    const run = new RedisRun()
    try {
      const admin = await run.client()
      const serverCpuStart = await serverCpuSeconds(admin)
      const wallStart = performance.now()
      const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? 'unknown'
      ctx.text(
        `Redis ${version} on the same machine (${REDIS_URL.replace(/\/\/[^@]*@/, '//')}), reached over TCP loopback; every figure includes the round trip. Rows are ~110 bytes as JSON (\`{ id, name, email, active, score, role }\`).`,
      )

      const hits = await hitCases(ctx, run, redis)
      if (hits.pipelinedProblem) ctx.warn(`Defect found: ${hits.pipelinedProblem}`)
      const p50 = (name: string) => hits.sequential.get(name)?.p50Ns ?? Number.NaN
      ctx.text(
        `Single-call latency at the median (p50 of the sequential table): @perf getOrSet takes ${formatRatio(p50(OURS) / p50(RAW))} the time of the raw GET + JSON.parse.`,
      )
      await breakdownCases(ctx, run, redis, hits.keys, hits.cache)
      const locks = await lockCases(ctx, run, redis)
      const limiter = await limiterCases(ctx, run, redis)

      const serverShare = (await serverCpuSeconds(admin)) - serverCpuStart
      const cores = availableParallelism()
      ctx.warn(
        `The Redis server is one of the "other processes" in the CPU line above: it used ${((serverShare * 100_000) / ((performance.now() - wallStart) * cores)).toFixed(0)} % of ${cores} cores during the measurements, serving this suite (and any other client of the same Redis).`,
      )
      ctx.target(
        'L2 hit latency vs raw ioredis GET + JSON.parse (sequential; lower is better)',
        'speed',
        1 / ctx.ratio(hits.sequential, OURS, RAW),
        '<=',
        1.2,
      )
      ctx.target(
        `${CONCURRENCY}-concurrent L2 hit throughput vs raw ioredis GET with auto-pipelining`,
        'speed',
        ctx.ratio(hits.concurrent, OURS, RAW_PIPELINED),
        '>=',
        1,
      )
      ctx.target(
        'Lock acquire + release vs redlock, uncontended',
        'speed',
        ctx.ratio(locks.uncontended, OURS_LOCK, REDLOCK),
        '>=',
        1,
      )
      ctx.target(
        'Lock acquire + release vs redlock (defaults), 5 contenders',
        'speed',
        ctx.ratio(locks.contended, OURS_LOCK, REDLOCK),
        '>=',
        1,
      )
      ctx.target(
        'Rate limiter checks/s vs rate-limiter-flexible, sequential',
        'speed',
        ctx.ratio(limiter.sequential, OURS_LIMITER, RLF),
        '>=',
        1,
      )
      ctx.target(
        `Rate limiter checks/s vs rate-limiter-flexible, ${CONCURRENCY} concurrent`,
        'speed',
        ctx.ratio(limiter.concurrent, OURS_LIMITER, RLF),
        '>=',
        1,
      )
    } finally {
      await run.cleanup()
    }
  },
}

export default suite
