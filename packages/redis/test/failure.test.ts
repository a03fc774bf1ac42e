import { randomUUID } from 'node:crypto'
import type { StoreEntry } from '@perf/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisClient, redisBus, redisStore, redlockLocker } from '../src/index.js'
import { RedisServer, hasRedisServerBinary } from './redis-server.js'
import { describeIf, need } from './services.js'

const ok = await need('redis-server binary', async () => hasRedisServerBinary())

const entry = (value: unknown): StoreEntry => ({
  value,
  createdAt: Date.now(),
  staleAt: Date.now() + 60_000,
  expiresAt: Date.now() + 60_000,
})

async function timed(promise: Promise<unknown>): Promise<{ ms: number; code?: string }> {
  const started = performance.now()
  try {
    await promise
    return { ms: performance.now() - started }
  } catch (err) {
    return { ms: performance.now() - started, code: (err as { code?: string }).code }
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describeIf(ok, 'redis-server binary missing')('failure behaviour (own redis-server, killed and restarted)', () => {
  let server: RedisServer
  const clients: Redis[] = []
  const track = <T extends Redis>(c: T): T => {
    c.on('error', () => undefined)
    clients.push(c)
    return c
  }
  beforeAll(async () => {
    server = await RedisServer.start()
  })
  afterAll(async () => {
    clients.forEach((c) => c.disconnect())
    await server?.stop()
  })

  it('redisStore on a default-configured client fails fast while Redis is down and resumes when it is back', async () => {
    const redis = track(new Redis({ port: server.port }))
    const store = redisStore(redis, { prefix: `f:${randomUUID()}:` })
    await store.set('k', entry('v'))
    await server.kill()
    await until(() => redis.status === 'reconnecting' || redis.status === 'connecting')
    const results = []
    for (let i = 0; i < 20; i++) results.push(await timed(store.get('k')))
    // Each call costs at most the 250 ms deadline, typically microseconds (connection known lost).
    expect(results.every((r) => r.code === 'TIER_FAILED' || r.code === 'TIER_TIMEOUT')).toBe(true)
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThanOrEqual(300)
    expect(results.filter((r) => r.ms < 5).length).toBeGreaterThanOrEqual(15)
    await server.start()
    await until(() => redis.status === 'ready')
    await store.set('k', entry('again'))
    expect((await store.get('k'))?.value).toBe('again')
  })

  it('redisStore answers with TIER_TIMEOUT after commandTimeoutMs when Redis hangs (SIGSTOP)', async () => {
    const redis = track(new Redis({ port: server.port }))
    const store = redisStore(redis, { prefix: `f:${randomUUID()}:`, commandTimeoutMs: 100 })
    await redis.ping()
    server.pause()
    try {
      const result = await timed(store.get('k'))
      expect(result.code).toBe('TIER_TIMEOUT')
      expect(result.ms).toBeGreaterThanOrEqual(95)
      expect(result.ms).toBeLessThan(250)
    } finally {
      server.resume()
    }
    await until(
      async () =>
        await store.get('k').then(
          () => true,
          () => false,
        ),
    )
  })

  it('createRedisClient() (fail-fast options) rejects at once while Redis is down', async () => {
    const redis = track(createRedisClient(server.url))
    await redis.ping()
    await server.kill()
    await until(() => redis.status !== 'ready')
    const result = await timed(redis.get('k'))
    expect(result.code).toBeUndefined() // ioredis' own error, not a PerfError
    expect(result.ms).toBeLessThan(20)
    await server.start()
    await until(() => redis.status === 'ready')
    expect(await redis.ping()).toBe('PONG')
  })

  it('redlockLocker.acquire() rejects fast with LOCK_BACKEND_ERROR while Redis is down', async () => {
    const redis = track(new Redis({ port: server.port }))
    const locker = redlockLocker(redis)
    await redis.ping()
    await server.kill()
    await until(() => redis.status === 'reconnecting' || redis.status === 'connecting')
    const result = await timed(locker.acquire(`r:${randomUUID()}`, 1_000, { waitMs: 5_000 }))
    expect(result.code).toBe('LOCK_BACKEND_ERROR')
    expect(result.ms).toBeLessThan(300)
    await server.start()
    await until(() => redis.status === 'ready')
    const lock = await locker.acquire(`r:${randomUUID()}`, 1_000)
    await lock.release()
    await locker.close()
  })

  it('using() aborts with LOCK_LOST when Redis dies mid-section, with no unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const redis = track(new Redis({ port: server.port }))
      const locker = redlockLocker(redis)
      let reason: unknown
      let abortedAt = 0
      let expiresAt = 0
      const outcome = await timed(
        locker.using(`r:${randomUUID()}`, 300, async (signal, lock) => {
          await server.kill()
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
          abortedAt = Date.now()
          expiresAt = lock.expiresAt
          reason = signal.reason
        }),
      )
      expect(outcome.code).toBe('LOCK_LOST')
      expect((reason as { code?: string }).code).toBe('LOCK_LOST')
      // The signal fired as the lock's validity ended (extensions kept failing; core gives up on the
      // last retry up to 10 ms early), not later.
      expect(abortedAt).toBeGreaterThanOrEqual(expiresAt - 15)
      expect(abortedAt - expiresAt).toBeLessThan(100)
      await new Promise((r) => setTimeout(r, 200))
      expect(unhandled).toEqual([])
      await locker.close()
    } finally {
      process.off('unhandledRejection', onUnhandled)
      await server.start()
    }
  })

  it('using() aborts on time when Redis hangs (SIGSTOP) while an extension is waiting for it', async () => {
    const redis = track(new Redis({ port: server.port }))
    const locker = redlockLocker(redis, { commandTimeoutMs: 1_000 })
    let abortedAt = 0
    let expiresAt = 0
    try {
      const outcome = await timed(
        locker.using(`r:${randomUUID()}`, 300, async (signal, lock) => {
          server.pause() // the extension at ~150 ms hangs for up to 1 s
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
          abortedAt = Date.now()
          expiresAt = lock.expiresAt
        }),
      )
      expect(outcome.code).toBe('LOCK_LOST')
      // The lock's own timer fired at expiresAt; it did not wait for the hung extension.
      expect(abortedAt - expiresAt).toBeGreaterThanOrEqual(0)
      expect(abortedAt - expiresAt).toBeLessThan(100)
    } finally {
      server.resume()
      await locker.close()
    }
  })

  it('redisBus.subscribe() does not hang while Redis is down; it connects, reports a gap and delivers once Redis is back', async () => {
    await server.kill()
    const redis = track(new Redis({ port: server.port }))
    const channel = `perf:bus:${randomUUID()}`
    const bus = redisBus(redis, { channel, subscribeTimeoutMs: 200 })
    const got: unknown[] = []
    let gaps = 0
    const started = Date.now()
    await bus.subscribe({ onMessage: (m) => void got.push(m), onGap: () => void gaps++ })
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(bus.isConnected).toBe(false)
    await server.start()
    await until(() => bus.isConnected && gaps >= 1)
    await until(() => redis.status === 'ready')
    await bus.publish({ type: 'clear', namespace: 'n', at: 1, source: 's' })
    await until(() => got.length === 1)
    await bus.close()
  })

  it('redisBus marks itself disconnected and reports a gap when Redis hangs, and again when it answers', async () => {
    const redis = track(new Redis({ port: server.port }))
    const bus = redisBus(redis, { channel: `perf:bus:${randomUUID()}`, heartbeatMs: 100 })
    let gaps = 0
    await bus.subscribe({ onMessage: () => undefined, onGap: () => void gaps++ })
    expect(bus.isConnected).toBe(true)
    server.pause()
    try {
      await until(() => !bus.isConnected && gaps >= 1, 2_000)
    } finally {
      server.resume()
    }
    await until(() => bus.isConnected && gaps >= 2, 5_000)
    await bus.close()
  })
})

describeIf(ok, 'redis-server binary missing')('redlockLocker over three independent Redis nodes', () => {
  let servers: RedisServer[] = []
  let clients: Redis[] = []
  beforeAll(async () => {
    servers = await Promise.all([RedisServer.start(), RedisServer.start(), RedisServer.start()])
    clients = servers.map((s) => {
      const c = new Redis({ port: s.port, maxRetriesPerRequest: 1 })
      c.on('error', () => undefined)
      return c
    })
  })
  afterAll(async () => {
    clients.forEach((c) => c.disconnect())
    await Promise.all(servers.map((s) => s.stop()))
  })

  it('acquire() holds with 2 of 3 nodes, fails with LOCK_BACKEND_ERROR naming the errors with 1 of 3, and fences never go back', async () => {
    const locker = redlockLocker(clients)
    const fences: number[] = []
    const take = async (): Promise<void> => {
      const lock = await locker.acquire(`q:${randomUUID()}`, 2_000, { waitMs: 0 })
      fences.push(lock.fence)
      await lock.release()
    }
    await take()
    await take()
    await servers[0]!.kill() // node 0 held the highest counter too
    await until(() => clients[0]!.status !== 'ready')
    await take()
    await servers[1]!.kill()
    await until(() => clients[1]!.status !== 'ready')
    const error = await timed(locker.acquire(`q:${randomUUID()}`, 2_000, { waitMs: 2_000 }))
    expect(error.code).toBe('LOCK_BACKEND_ERROR')
    expect(error.ms).toBeLessThan(300)
    // Node 0 comes back empty (no persistence): its counter restarts at 0, the max of the quorum still rises.
    await servers[0]!.start()
    await servers[1]!.start()
    await until(() => clients.every((c) => c.status === 'ready'))
    await take()
    await take()
    for (let i = 1; i < fences.length; i++) expect(fences[i]!).toBeGreaterThan(fences[i - 1]!)
    await locker.close()
  })

  it('acquire() is woken by the release notification while one of the three nodes is down', async () => {
    await servers[2]!.kill()
    await until(() => clients[2]!.status !== 'ready')
    const holder = redlockLocker(clients)
    const waiter = redlockLocker(clients, { recheckMs: 10_000 })
    const resource = `down:${randomUUID()}`
    const lock = await holder.acquire(resource, 30_000)
    const next = waiter.acquire(resource, 2_000, { waitMs: 20_000 })
    await new Promise((r) => setTimeout(r, 100))
    const started = Date.now()
    await lock.release()
    const taken = await next
    expect(Date.now() - started).toBeLessThan(1_000)
    await taken.release()
    await holder.close()
    await waiter.close()
    await servers[2]!.start()
    await until(() => clients[2]!.status === 'ready')
  })

  it('acquire() gives one holder at a time across two lockers sharing three nodes', async () => {
    const one = redlockLocker(clients)
    const copies = clients.map((c) => c.duplicate().on('error', () => undefined))
    const two = redlockLocker(copies)
    const resource = `shared:${randomUUID()}`
    let inside = 0
    let overlaps = 0
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const lock = await (i % 2 ? one : two).acquire(resource, 2_000, { waitMs: 20_000 })
        if (++inside > 1) overlaps++
        await new Promise((r) => setTimeout(r, 2))
        inside--
        await lock.release()
      }),
    )
    expect(overlaps).toBe(0)
    await one.close()
    await two.close()
    copies.forEach((c) => c.disconnect())
  })
})
