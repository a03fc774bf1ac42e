// @perf/redis in five steps. Two application instances (two caches; in production, two
// processes) share one Redis: the L2 tier, invalidations over pub/sub, a fenced lock, a shared
// rate limit and a leader election.
import { randomUUID } from 'node:crypto'
import { MemoryStore, createCache, type Cache } from '@perf/core'
import {
  createRedisClient,
  redisBus,
  redisLeaderElection,
  redisRateLimiter,
  redisStore,
  redlockLocker,
} from '@perf/redis'

interface User {
  id: number
  name: string
}

/** What each step showed, so a test can check it (and `main.ts` print it). */
export interface QuickstartReport {
  /** Step 1: the second instance answered from the shared Redis tier, without loading. */
  secondInstanceTier: string
  loads: number
  /** Step 2: after `set()` in one instance, the other reads the new value (ms until it did). */
  seenAfterSet: string
  propagationMs: number
  /** Step 3: after invalidating a tag in one instance, the other loads again. */
  reloadedAfterInvalidate: string
  /** Step 4: fencing tokens of two holders of the same lock, in order. */
  fences: [number, number]
  /** Step 5: a limit of 3 per second shared by both instances: what the 4 calls got. */
  allowed: boolean[]
  retryAfterMs: number
  /** Step 6: the term of the elected leader (a fencing token too). */
  leaderTerm: number | undefined
}

export async function quickstart(
  url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  log: (line: string) => void = console.log,
): Promise<QuickstartReport> {
  // createRedisClient: fail-fast options (no unbounded offline queue, per-command deadlines).
  const redis = createRedisClient(url)
  const run = randomUUID().slice(0, 8) // keeps this run's keys apart from anything else in Redis
  const instance = (): Cache =>
    createCache({
      namespace: 'shop',
      tiers: [new MemoryStore(), redisStore(redis, { prefix: `quickstart:${run}:` })],
      bus: redisBus(redis, { channel: `quickstart:${run}:bus` }),
      lock: redlockLocker(redis, { prefix: `quickstart:${run}:lock:` }),
    })
  const [a, b] = [instance(), instance()]
  const closers: Array<() => Promise<unknown>> = [() => a.close(), () => b.close()]
  try {
    // 1. Instance A loads from the "database"; instance B finds it in Redis.
    let loads = 0
    const loadUser = async (): Promise<User> => {
      loads++
      return { id: 1, name: 'Ada' }
    }
    await a.getOrSet('user:1', loadUser, { ttl: '1m', tags: ['users'] })
    const fromB = await b.getOrSet('user:1', loadUser, { ttl: '1m', tags: ['users'], meta: true })
    log(`1. B read ${JSON.stringify(fromB.value)} from tier "${fromB.meta.tier}"; the loader ran ${loads} time(s)`)

    // 2. B writes; A drops its L1 copy when the bus message arrives and reads the new value.
    const started = performance.now()
    await b.set('user:1', { id: 1, name: 'Grace' }, { ttl: '1m', tags: ['users'] })
    let seen = (await a.get<User>('user:1'))?.name ?? ''
    while (seen !== 'Grace' && performance.now() - started < 2_000) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      seen = (await a.get<User>('user:1'))?.name ?? ''
    }
    const propagationMs = performance.now() - started
    log(`2. A reads "${seen}" ${propagationMs.toFixed(1)} ms after B's set() began`)

    // 3. A invalidates the tag; once the bus message reaches B (about a millisecond), B loads again.
    //    Redis records the invalidation at once, so no instance can refill its L1 from a stale L2.
    const invalidated = performance.now()
    await a.invalidateTags('users')
    const reload = (): Promise<User> =>
      b.getOrSet('user:1', async () => ({ id: 1, name: 'Ada (reloaded)' }), { ttl: '1m', tags: ['users'] })
    let reloaded = await reload()
    while (reloaded.name !== 'Ada (reloaded)' && performance.now() - invalidated < 2_000) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      reloaded = await reload()
    }
    log(
      `3. ${(performance.now() - invalidated).toFixed(1)} ms after invalidateTags('users') in A, B loaded "${reloaded.name}"`,
    )

    // 4. A lock with fencing tokens: pass lock.fence with your write so a stale holder is refused.
    const locker = redlockLocker(redis, { prefix: `quickstart:${run}:lock:` })
    closers.push(() => locker.close())
    const first = await locker.acquire('report:daily', 5_000)
    await first.release()
    const second = await locker.acquire('report:daily', 5_000)
    await second.release()
    log(`4. two holders of "report:daily" got fences ${first.fence} then ${second.fence}`)

    // 5. One limit shared by every instance (GCRA on the Redis server's clock).
    const limiter = redisRateLimiter(redis, { limit: 3, windowMs: '1s', prefix: `quickstart:${run}:rl:` })
    const results = await Promise.all([1, 2, 3, 4].map(() => limiter.consume('login:203.0.113.7')))
    const refused = results.find((r) => !r.allowed)
    log(
      `5. 4 logins at once with a limit of 3/s: ${results.map((r) => (r.allowed ? 'allowed' : 'refused')).join(', ')}; retry after ${refused?.retryAfterMs} ms`,
    )

    // 6. Leader election: one instance runs the scheduled jobs; the term is a fencing token.
    const election = redisLeaderElection(redis, { name: `quickstart:${run}`, leaseMs: 2_000 })
    closers.push(() => election.close())
    const elected = new Promise<number>((resolve) => election.on('elected', ({ term }) => resolve(term)))
    await election.start()
    const term = await Promise.race([
      elected,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2_000)),
    ])
    log(`6. this instance was elected leader with term ${term}`)

    return {
      secondInstanceTier: fromB.meta.tier,
      loads,
      seenAfterSet: seen,
      propagationMs,
      reloadedAfterInvalidate: reloaded.name,
      fences: [first.fence, second.fence],
      allowed: results.map((r) => r.allowed),
      retryAfterMs: refused?.retryAfterMs ?? 0,
      leaderTerm: term,
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined)
    redis.disconnect()
  }
}
