import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RateLimitResult } from '@perf/core'
import { rateLimiterSuite } from '@perf/core/testing'
import { redisRateLimiter } from '../src/index.js'
import { RedisServer, hasRedisServerBinary } from './redis-server.js'
import { REDIS_PORT, hasRedis } from './services.js'

const ok = await hasRedis()
const redis = new Redis({ port: REDIS_PORT, lazyConnect: !ok })
afterAll(() => redis.disconnect())

if (ok) rateLimiterSuite('redisRateLimiter', (options) => redisRateLimiter(redis, options), { describe, it, expect })
else
  describe.skip('rateLimiterSuite: redisRateLimiter (skipped: Redis not available)', () =>
    it('needs Redis', () => undefined))

describe.skipIf(!ok || !hasRedisServerBinary())('redisRateLimiter batching', () => {
  // A private server: MONITOR then sees only this block's commands. On the shared one, other
  // processes' traffic broke ioredis's monitor connection ("Command queue state error").
  let server: RedisServer
  let redis: Redis
  beforeAll(async () => {
    server = await RedisServer.start()
    redis = new Redis({ port: server.port })
  }, 30_000)
  afterAll(async () => {
    redis?.disconnect()
    await server?.stop()
  })
  /** Script calls (EVALSHA/EVAL) that touched keys under `prefix` while `fn` ran. */
  async function scriptCalls(prefix: string, fn: () => Promise<unknown>): Promise<string[]> {
    const other = new Redis({ port: server.port })
    const monitor = await other.monitor()
    // ioredis emits "Command queue state error" for commands other clients sent in the same packet as
    // MONITOR's OK, before the connection counts as monitoring: those precede what is counted here.
    monitor.on('error', () => undefined)
    const scripts: string[] = []
    const fence = `fence:${prefix}`
    const fenced = new Promise<void>((resolve) =>
      monitor.on('monitor', (_t: string, args: string[]) => {
        if (String(args[0]).toLowerCase().startsWith('eval') && args.some((a) => a.startsWith(prefix)))
          scripts.push(String(args[0]))
        if (String(args[0]).toLowerCase() === 'echo' && args[1] === fence) resolve()
      }),
    )
    await fn()
    await redis.echo(fence)
    await fenced // every command sent before the echo has reached the monitor
    monitor.disconnect()
    other.disconnect()
    return scripts
  }

  it('checks issued in one tick share one script call, in arrival order, each key counted exactly', async () => {
    const prefix = `t:rl:${Math.random().toString(36).slice(2)}:`
    const limiter = redisRateLimiter(redis, { limit: 10, windowMs: 60_000, prefix })
    await limiter.consume('warm') // loads the script, so the measured tick is steady state
    // 30 checks on "a" and 5 on "b" at once: "a" allows exactly its first 10, "b" all 5.
    const keys = [...Array.from({ length: 30 }, () => 'a'), ...Array.from({ length: 5 }, () => 'b')]
    let results: RateLimitResult[] = []
    const scripts = await scriptCalls(prefix, async () => {
      results = await Promise.all(keys.map((key) => limiter.consume(key)))
    })
    expect(results.slice(0, 30).map((r) => r.allowed)).toEqual([...Array(10).fill(true), ...Array(20).fill(false)])
    expect(results.slice(0, 10).map((r) => r.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    expect(results.slice(30).every((r) => r.allowed)).toBe(true)
    expect(results[29]).toMatchObject({ allowed: false, remaining: 0 })
    expect(results[29]!.retryAfterMs).toBeGreaterThan(5_000)
    expect(results[29]!.retryAfterMs).toBeLessThanOrEqual(6_000)
    expect(scripts).toEqual(['evalsha']) // one script call for all 35 checks
  })

  it('a burst of 250 checks in one tick goes out as script calls of at most 100, still in arrival order', async () => {
    const prefix = `t:rl:${Math.random().toString(36).slice(2)}:`
    const limiter = redisRateLimiter(redis, { limit: 200, windowMs: 60_000, prefix })
    await limiter.consume('warm')
    let results: RateLimitResult[] = []
    const scripts = await scriptCalls(prefix, async () => {
      results = await Promise.all(Array.from({ length: 250 }, () => limiter.consume('burst')))
    })
    expect(scripts).toEqual(['evalsha', 'evalsha', 'evalsha'])
    expect(results.map((r) => r.allowed)).toEqual([...Array(200).fill(true), ...Array(50).fill(false)])
    expect(results.slice(0, 200).map((r) => r.remaining)).toEqual(Array.from({ length: 200 }, (_, i) => 199 - i))
  })

  it('a bad check rejects alone; the others of its tick are answered', async () => {
    const limiter = redisRateLimiter(redis, {
      limit: 5,
      windowMs: 1_000,
      prefix: `t:rl:${Math.random().toString(36).slice(2)}:`,
    })
    const [good, bad, alsoGood] = await Promise.allSettled([
      limiter.consume('x'),
      limiter.consume('x', 99),
      limiter.consume('y', 2),
    ])
    expect(good).toMatchObject({ status: 'fulfilled', value: { allowed: true, remaining: 4 } })
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_ARGUMENT' } })
    expect(alsoGood).toMatchObject({ status: 'fulfilled', value: { allowed: true, remaining: 3 } })
  })
})
