import { randomUUID } from 'node:crypto'
import type { BusMessage, StoreEntry } from '@perf/core'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { redisBus, redisLeaderElection, redisRateLimiter, redisStore, redlockLocker } from '../src/index.js'
import { RedisClusterProcesses, hasRedisServerBinary } from './redis-server.js'
import { describeIf, need } from './services.js'

const ok = await need('redis-server binary', async () => hasRedisServerBinary())

const entry = (value: unknown, tags?: string[], createdAt = Date.now()): StoreEntry => ({
  value,
  createdAt,
  staleAt: createdAt + 60_000,
  expiresAt: createdAt + 60_000,
  ...(tags ? { tags } : {}),
})

describeIf(ok, 'redis-server binary missing')('on a real Redis Cluster (3 masters started by the test)', () => {
  let processes: RedisClusterProcesses
  let cluster: Cluster
  beforeAll(async () => {
    processes = await RedisClusterProcesses.start(3)
    cluster = new Cluster(processes.nodes)
    await cluster.ping()
  }, 60_000)
  afterAll(async () => {
    cluster?.disconnect()
    await processes?.stop()
  })

  it('redisStore: get/getMany/set/delete/tags/clear work across slots without CROSSSLOT', async () => {
    const prefix = `c:${randomUUID()}:`
    const store = redisStore(cluster, { prefix })
    const keys = Array.from({ length: 40 }, (_, i) => `ns:item:${i}`)
    const createdAt = Date.now() - 10
    for (const key of keys) await store.set(key, entry(key, ['items', `item:${key}`], createdAt))
    expect((await store.getMany(keys)).map((e) => e?.value)).toEqual(keys)
    // Entries really are spread over the cluster's masters, not piled on one slot.
    const perNode = await Promise.all(
      cluster.nodes('master').map(async (node) => (await node.keys(`${prefix}*e:*`)).length),
    )
    expect(perNode.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2)
    const reads = await Promise.all(keys.map((key) => store.read(key)))
    await store.invalidateTags(['items'])
    expect((await store.getMany(keys)).every((e) => e === undefined)).toBe(true)
    // Loads that read before the invalidation are refused in every slot.
    const written = await Promise.all(
      keys.map((key, i) => store.set(key, { ...entry(key, ['items'], Date.now()), version: reads[i]?.version })),
    )
    expect(written.every((w) => w === false)).toBe(true)
    for (const key of keys) await store.set(key, entry(key, ['items', `item:${key}`], Date.now()))
    expect(await store.delete(keys.slice(0, 10))).toBe(10)
    expect((await store.getMany(keys.slice(0, 12))).map((e) => e?.value)).toEqual([
      ...Array(10).fill(undefined),
      keys[10],
      keys[11],
    ])
    await store.clear('ns:item:1')
    expect((await store.get('ns:item:20'))?.value).toBe('ns:item:20')
    expect(await store.get('ns:item:15')).toBeUndefined()
    await store.clear()
    const left = await Promise.all(cluster.nodes('master').map((node) => node.keys(`${prefix}*`)))
    expect(left.flat()).toEqual([])
  })

  it('redlockLocker: multi-resource locks across slots serialize holders and wake waiters on release', async () => {
    const locker = redlockLocker(cluster)
    const [a, b, c] = [`r:${randomUUID()}`, `r:${randomUUID()}`, `r:${randomUUID()}`]
    const sets = [
      [a, b],
      [b, c],
      [c, a],
      [a, b, c],
    ]
    const inside = new Map<string, number>()
    let overlaps = 0
    const fences: number[] = []
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const lock = await locker.acquire(sets[i % sets.length]!, 5_000, { waitMs: 20_000 })
        fences.push(lock.fence)
        for (const r of lock.resources) {
          if ((inside.get(r) ?? 0) > 0) overlaps++
          inside.set(r, (inside.get(r) ?? 0) + 1)
        }
        await new Promise((r) => setTimeout(r, 2))
        for (const r of lock.resources) inside.set(r, inside.get(r)! - 1)
        await lock.release()
      }),
    )
    expect(overlaps).toBe(0)
    expect(new Set(fences).size).toBe(12)
    // A 30 s lock released after 100 ms: the waiter is woken by the notification.
    const held = await locker.acquire([a, c], 30_000)
    setTimeout(() => void held.release(), 100)
    const started = Date.now()
    const next = await locker.acquire([c, b], 1_000, { waitMs: 10_000 })
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(next.fence).toBeGreaterThan(held.fence)
    await next.release()
    await locker.close()
  })

  it('redisRateLimiter, redisLeaderElection and redisBus work on the Cluster', async () => {
    const limiter = redisRateLimiter(cluster, { limit: 3, windowMs: 60_000 })
    const key = `k:${randomUUID()}`
    const results = await Promise.all(Array.from({ length: 5 }, () => limiter.consume(key)))
    expect(results.filter((r) => r.allowed)).toHaveLength(3)

    const election = redisLeaderElection(cluster, { name: `e-${randomUUID()}`, leaseMs: 1_000 })
    await election.start()
    expect(election.isLeader).toBe(true)
    await election.close()

    const channel = `perf:bus:${randomUUID()}`
    const bus = redisBus(cluster, { channel })
    const got: BusMessage[] = []
    await bus.subscribe({ onMessage: (m) => void got.push(m), onGap: () => undefined })
    const message: BusMessage = { type: 'tags', namespace: 'n', tags: ['t'], at: 1, source: 's' }
    await bus.publish(message)
    const deadline = Date.now() + 3_000
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    expect(got).toEqual([message])
    await bus.close()
  })
})
