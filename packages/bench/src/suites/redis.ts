import type { Suite } from '../harness/suite.js'

/**
 * TODO(@perf/redis, issue 4) — owned by the engineer building @perf/redis. Replace this stub;
 * keep `name: 'redis'` (its docs section is `<!-- bench:redis:start -->`).
 *
 * What issue 4 asks for, side by side in one run:
 * - L2 hit latency and throughput, sequential and 100 concurrent: `createCache({ tiers: [redisStore(redis)] })`
 *   (no L1, so every hit goes to Redis) vs raw ioredis GET (and with `enableAutoPipelining`), vs
 *   bentocache and cache-manager with their Redis stores.
 *   Targets: L2 hit ≤ 1.2× raw ioredis GET latency; 100-concurrent hit throughput ≥ raw ioredis
 *   with auto-pipelining.
 * - Lock acquire+release throughput: `redlockLocker([redis])` vs `redlock` used directly. Target ≥ 1×.
 * - Rate limiter checks/s: `redisRateLimiter(redis)` vs `rate-limiter-flexible` RateLimiterRedis. Target ≥ 1×.
 *
 * How to build it with the harness (see suites/breaker.ts for a small complete example):
 * - `const core = await requireCore(ctx, [...])` for core names (add them to CoreApi in
 *   src/core.ts); load `@perf/redis` with `await import('@perf/redis')` inside run(), so a missing
 *   build skips the suite instead of breaking the others.
 * - Connect to `process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'`; when
 *   `await isReachable(url, 6379)` (harness/services.ts) is false, `ctx.skip('Redis not reachable
 *   at …')` and return, so `pnpm test` (quick mode) still passes on a machine without Redis. A
 *   skipped suite leaves its docs section as it was. Use a key prefix of your own, delete it after.
 * - Sizes: `ctx.size(full, quick)`; the quick run must stay within a few seconds.
 * - `await ctx.compare(title, cases, { baseline, note })` for throughput tables: each case has
 *   `run(n)` (the loop lives in the case), and `once()` for p50/p99 latency. For "100
 *   concurrent", make one unit of `run` issue 100 calls with Promise.all and set `opsPerCall: 100`.
 * - `ctx.target(name, 'speed', ratio, '>=' | '<=', threshold)` for each target above.
 * - Add 'ioredis', 'redlock', 'rate-limiter-flexible', '@perf/redis' to `libraries`.
 */
const suite: Suite = {
  name: 'redis',
  title: 'Redis tier, locks and rate limiter (issue 4)',
  libraries: ['@perf/core', '@perf/redis', 'ioredis', 'redlock', 'rate-limiter-flexible'],
  async run(ctx) {
    ctx.skip('not yet: waits for @perf/redis')
  },
}

export default suite
