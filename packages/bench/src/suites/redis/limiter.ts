import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import { formatNs } from '../../harness/format.js'
import type { BenchCase, CaseResult } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'
import { cpuTable } from './cpu.js'
import { concurrently, serverTime, type RedisRun, type ServerTime } from './setup.js'
import { CONCURRENCY } from './hits.js'

type PerfRedis = typeof import('@perf/redis')

/** Large enough that no key runs out during a run: every check is allowed. */
const LIMIT = 1_000_000
const WINDOW_S = 60
const KEYS = 1_000

export const RLF = 'rate-limiter-flexible RateLimiterRedis.consume'
export const OURS_LIMITER = '@perf redisRateLimiter.consume'

/** One check of key `i`: resolves when allowed, throws when refused (neither must happen here). */
type Check = (key: string) => Promise<void>

/**
 * Rate-limit checks per second: @perf redisRateLimiter (GCRA, one Lua script) vs
 * rate-limiter-flexible's RateLimiterRedis (fixed window, one Lua script), same limit and window,
 * same ioredis client; sequential and 100 concurrent, then on a key already over its limit.
 */
export async function limiterCases(
  ctx: SuiteContext,
  run: RedisRun,
  redis: PerfRedis,
): Promise<{ sequential: Map<string, CaseResult>; concurrent: Map<string, CaseResult> }> {
  const client = await run.client()
  const ours = redis.redisRateLimiter(client, { limit: LIMIT, windowMs: WINDOW_S * 1000, prefix: `${run.prefix}rl:` })
  const rlf = new RateLimiterRedis({
    storeClient: client,
    points: LIMIT,
    duration: WINDOW_S,
    keyPrefix: `${run.prefix}rlf`,
  })
  const keys = Array.from({ length: KEYS }, (_, i) => `client:${i}`)
  const checks: Record<string, Check> = {
    [RLF]: async (key) => {
      await rlf.consume(key) // rejects with a RateLimiterRes when refused
    },
    [OURS_LIMITER]: async (key) => {
      if (!(await ours.consume(key)).allowed) throw new Error(`[bench] @perf limiter refused ${key} below its limit`)
    },
  }
  const sequentialCase = (name: string): BenchCase => {
    const check = checks[name] as Check
    let c = 0
    return {
      name,
      async run(n) {
        for (let i = 0; i < n; i++) await check(keys[c++ % KEYS] as string)
      },
      once: () => check(keys[c++ % KEYS] as string),
    }
  }
  const concurrentCase = (name: string): BenchCase => {
    const check = checks[name] as Check
    let c = 0
    return {
      name,
      opsPerCall: CONCURRENCY,
      async run(n) {
        for (let i = 0; i < n; i++) {
          const base = c
          c += CONCURRENCY
          await concurrently(CONCURRENCY, (j) => check(keys[(base + j) % KEYS] as string))
        }
      },
    }
  }
  const note = `limit ${LIMIT.toLocaleString('en-US')} per ${WINDOW_S} s on each of ${KEYS.toLocaleString('en-US')} keys used in turn, so every check is allowed (a refusal fails the run). rate-limiter-flexible counts a fixed window (SET NX + INCRBY + PTTL in one script); @perf runs GCRA in one script timed by the server's TIME. One default ioredis client shared by both.`
  const sequential = await ctx.compare('Rate limiter checks, sequential', [RLF, OURS_LIMITER].map(sequentialCase), {
    baseline: RLF,
    note,
  })
  const concurrent = await ctx.compare(
    `Rate limiter checks, ${CONCURRENCY} concurrent`,
    [RLF, OURS_LIMITER].map(concurrentCase),
    {
      baseline: RLF,
      note: `One unit is ${CONCURRENCY} checks on distinct keys started at once. ${note}`,
    },
  )
  const n = ctx.size(5_000, 500)
  const server: Array<readonly [string, ServerTime]> = []
  for (const name of [RLF, OURS_LIMITER])
    server.push([
      name,
      await serverTime(client, ['evalsha', 'eval'], n, 1, (i) => (checks[name] as Check)(keys[i % KEYS] as string)),
    ])
  ctx.table({
    title: 'Rate limiter — server time per check (Redis INFO commandstats)',
    headers: ['case', 'script calls counted per check', 'server time per check'],
    rows: server.map(([name, t]) => [name, t.callsPerOp.toFixed(2), formatNs(t.usecPerOp * 1000)]),
    note: `${n.toLocaleString('en-US')} sequential checks of each; EVALSHA and EVAL usec from \`cmdstat_*\` before and after (time inside Redis only; counters are server-wide, best of three attempts kept).`,
  })
  const ops = ctx.size(10_000, 1_000)
  await cpuTable(
    ctx,
    client,
    'CPU per rate-limit check (sequential) — this process vs the Redis server',
    [RLF, OURS_LIMITER].map(sequentialCase),
    ops,
    `About ${ops.toLocaleString('en-US')} sequential checks per row (twice, lower kept); CPU of this process and of the Redis server (INFO cpu) divided by the checks.`,
  )
  await refusedCases(ctx, run, redis, client)
  return { sequential, concurrent }
}

/** Checks on a key that is over its limit (limit 1 per minute, already used): the refusal path. */
async function refusedCases(
  ctx: SuiteContext,
  run: RedisRun,
  redis: PerfRedis,
  client: import('ioredis').Redis,
): Promise<void> {
  const ours = redis.redisRateLimiter(client, { limit: 1, windowMs: 60_000, prefix: `${run.prefix}rl1:` })
  const rlf = new RateLimiterRedis({ storeClient: client, points: 1, duration: 60, keyPrefix: `${run.prefix}rlf1` })
  await ours.consume('spent')
  await rlf.consume('spent')
  await ctx.compare(
    'Rate limiter checks on a key over its limit (limit 1 per 60 s, already used), sequential',
    [
      {
        name: RLF,
        async run(n) {
          for (let i = 0; i < n; i++) {
            try {
              await rlf.consume('spent')
              throw new Error('[bench] rate-limiter-flexible allowed a spent key')
            } catch (refusal) {
              if (!(refusal instanceof RateLimiterRes)) throw refusal
            }
          }
        },
      },
      {
        name: OURS_LIMITER,
        async run(n) {
          for (let i = 0; i < n; i++)
            if ((await ours.consume('spent')).allowed) throw new Error('[bench] @perf limiter allowed a spent key')
        },
      },
    ],
    {
      baseline: RLF,
      note: 'rate-limiter-flexible rejects its promise with a RateLimiterRes (and still increments its counter); @perf resolves { allowed: false, retryAfterMs } and writes nothing.',
    },
  )
}
