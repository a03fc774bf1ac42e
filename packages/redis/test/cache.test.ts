import { randomUUID } from 'node:crypto'
import { MemoryStore, createCache } from '@perf/core'
import type { Cache, CacheEvent, CacheOptions } from '@perf/core'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { redisBus, redisStore, redlockLocker } from '../src/index.js'
import { RedisServer, hasRedisServerBinary } from './redis-server.js'
import { REDIS_PORT, describeIf, hasRedis, need } from './services.js'

const ok = await hasRedis()
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(5)
  }
}

/** One application instance: its own Redis connection, L1, the shared L2, the bus and the locker. */
function instance(redis: Redis, scope: string, options: Partial<CacheOptions> = {}) {
  const bus = redisBus(redis, { channel: `perf:bus:${scope}` })
  const locker = redlockLocker(redis, { prefix: `perf:lock:${scope}:` })
  const cache = createCache({
    namespace: 'app',
    tiers: [new MemoryStore(), redisStore(redis, { prefix: `perf:${scope}:` })],
    bus,
    lock: locker,
    ...options,
  })
  return { cache, close: async () => Promise.all([cache.close(), bus.close(), locker.close()]) }
}

describeIf(ok, 'Redis not available')('createCache with redisStore, redisBus and redlockLocker', () => {
  const clients: Redis[] = []
  const closers: (() => Promise<unknown>)[] = []
  const scopes: string[] = []
  const pair = (options: Partial<CacheOptions> = {}): [Cache, Cache] => {
    const scope = randomUUID()
    scopes.push(scope)
    const made = [0, 1].map(() => {
      const redis = new Redis({ port: REDIS_PORT })
      clients.push(redis)
      const it = instance(redis, scope, options)
      closers.push(it.close)
      return it.cache
    })
    return made as [Cache, Cache]
  }
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })
  afterAll(async () => {
    for (const scope of scopes) await clients[0]?.del(`perf:lock:${scope}:fence`)
    clients.forEach((c) => c.disconnect())
  })

  it('getOrSet() in one instance fills the shared tier for the other; set() there reaches the first through the bus', async () => {
    const [a, b] = pair()
    let loads = 0
    expect(await a.getOrSet('user:1', () => ++loads && { id: 1, name: 'Ada' })).toEqual({ id: 1, name: 'Ada' })
    expect(await b.getOrSet('user:1', () => ++loads && { id: 1, name: 'other' })).toEqual({ id: 1, name: 'Ada' })
    expect(loads).toBe(1)
    expect(await a.get('user:1')).toEqual({ id: 1, name: 'Ada' }) // now in a's L1
    await b.set('user:1', { id: 1, name: 'Grace' })
    expect(await b.get('user:1')).toEqual({ id: 1, name: 'Grace' }) // read-your-writes
    await until(async () => (await a.get<{ name: string }>('user:1'))?.name === 'Grace')
  })

  it('delete() and invalidateTags() in one instance drop the entries from the other instance', async () => {
    const [a, b] = pair()
    await a.getOrSet('post:1', () => 'p1', { tags: ['posts'] })
    await a.getOrSet('post:2', () => 'p2', { tags: ['posts'] })
    expect(await b.get('post:1')).toBe('p1')
    expect(await b.get('post:2')).toBe('p2')
    await a.delete('post:1')
    await until(async () => (await b.get('post:1')) === undefined)
    await a.invalidateTags('posts')
    await until(async () => (await b.get('post:2')) === undefined)
    expect(await a.get('post:2')).toBeUndefined()
  })

  it('getOrSet() misses on one key in two instances run the loader once (distributed single-flight)', async () => {
    const [a, b] = pair()
    let loads = 0
    const loader = async (): Promise<string> => {
      loads++
      await sleep(100)
      return 'loaded'
    }
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).getOrSet('hot', loader)))
    expect(results.every((r) => r === 'loaded')).toBe(true)
    expect(loads).toBe(1)
  })
})

describeIf(ok, 'Redis not available')('createCache when Redis fails mid-load (own redis-server)', () => {
  let server: RedisServer | undefined
  const closers: (() => Promise<unknown>)[] = []
  beforeAll(async () => {
    if (await need('redis-server binary', async () => hasRedisServerBinary())) server = await RedisServer.start()
  })
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()))
    await server?.stop()
  })

  it('getOrSet() answers from L1 or the loader with zero errors while Redis is down, stops waiting on it, and resumes after', async () => {
    if (!server) return
    const redis = new Redis({ port: server.port }) // default options: the store's own deadlines must suffice
    redis.on('error', () => undefined)
    const events: CacheEvent[] = []
    const it = instance(redis, randomUUID(), { tierCooldownMs: 300, onEvent: (e) => void events.push(e) })
    closers.push(async () => {
      await it.close()
      redis.disconnect()
    })
    const { cache } = it
    let loads = 0
    const loader = (key: string) => () => `${key}:${++loads}`
    for (let i = 0; i < 20; i++) await cache.getOrSet(`k${i}`, loader(`k${i}`))
    expect(loads).toBe(20)

    await server.kill()
    // The bus reports the gap when its connection drops: L1 is emptied once, right then.
    await until(() => events.some((e) => e.type === 'bus-gap'))
    const timings: number[] = []
    const loadsPerRound: number[] = []
    for (let round = 0; round < 3; round++) {
      const before = loads
      for (let i = 0; i < 40; i++) {
        const started = performance.now()
        const value = await cache.getOrSet(`k${i}`, loader(`k${i}`))
        timings.push(performance.now() - started)
        expect(value).toMatch(new RegExp(`^k${i}:`))
      }
      loadsPerRound.push(loads - before)
    }
    // Every key loads once after the gap, then L1 serves it; no error reaches the caller.
    expect(loadsPerRound).toEqual([40, 0, 0])
    expect(events.some((e) => e.type === 'tier-error')).toBe(true)
    // Once the connection is known lost and the breaker is open, a call costs nothing like a timeout.
    expect(timings.slice(-60).every((ms) => ms < 50)).toBe(true)

    await server.start()
    await until(() => redis.status === 'ready', 5_000)
    await sleep(400) // breaker cooldown: the next call probes the tier
    // The tier is used again without a restart: a write reaches Redis.
    await until(async () => {
      await cache.set('after', 'restart')
      return (await redis.keys('perf:*e:app:after')).length === 1
    }, 5_000)
  })
})
