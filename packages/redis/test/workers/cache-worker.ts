// One application instance for the multi-process cache tests: L1 + redisStore (L2) + redisBus +
// redlockLocker, driven by the test over IPC.
import { MemoryStore, createCache } from '@perf/core'
import type { BusHandlers, BusMessage, InvalidationBus } from '@perf/core'
import { Redis } from 'ioredis'
import { redisBus, redisStore, redlockLocker } from '../../src/index.js'
import { on, onExit, send } from './worker-io.js'

const [redisPort, busPort, scope, localMaxAgeMs, heartbeatMs] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
]
const now = (): number => performance.timeOrigin + performance.now()

const redis = new Redis({ port: Number(redisPort) })
const busRedis = busPort === redisPort ? redis : new Redis({ port: Number(busPort), maxRetriesPerRequest: 1 })
busRedis.on('error', () => undefined)
await redis.ping()
await busRedis.ping()

// Sees every bus message right after the engine processed it, to time the invalidation.
let old: unknown
let watched: string | undefined
const inner = redisBus(busRedis, { channel: `perf:bus:${scope}`, heartbeatMs: Number(heartbeatMs) })
const timedBus: InvalidationBus = {
  publish: (message) => inner.publish(message),
  close: () => inner.close(),
  get isConnected() {
    return inner.isConnected
  },
  subscribe: (handlers: BusHandlers) =>
    inner.subscribe({
      onGap: () => handlers.onGap(),
      onMessage: (message: BusMessage) => {
        handlers.onMessage(message)
        if (message.source === cache.instanceId || message.type !== 'delete' || watched === undefined) return
        if (!message.keys.includes(`app:${watched}`)) return
        const t1 = now()
        const key = watched
        // What a request arriving right now would get: never the old value.
        void cache.get(key, { meta: true }).then(async (got) => {
          const value = got?.value
          const meta = got?.meta
          // A miss is never the old value (a shared tier that timed out on a loaded machine reads as one).
          const servedOld = value !== undefined && JSON.stringify(value) === JSON.stringify(old)
          // A failing run explains itself: what this process saw, and what Redis holds now.
          // (The stored entry's header line; never fails the worker: it is diagnostics only.)
          const stored = servedOld
            ? await redis.get(`perf:${scope}:e:app:${key}`).then(
                (raw) => raw?.split('\n')[0],
                (err: Error) => `unreadable: ${err.message}`,
              )
            : undefined
          const debug = servedOld ? { meta, at: message.at, events: events.slice(-10), redis: stored } : undefined
          send({ type: 'invalidated', t1, servedOld, debug })
        })
      },
    }),
}
const events: unknown[] = []
const locker = redlockLocker(redis, { prefix: `perf:lock:${scope}:` })
const cache = createCache({
  namespace: 'app',
  tiers: [new MemoryStore(), redisStore(redis, { prefix: `perf:${scope}:` })],
  bus: timedBus,
  lock: locker,
  // Waiting for another process's load is bounded (then a process loads itself: single-flight
  // across processes is an efficiency, never a correctness, promise). The stampede test claims
  // one load in total, so its bound must outlast an event loop stalled by a loaded machine.
  lockWaitMs: '30s',
  lockTtlMs: '60s',
  // A Redis call slower than this reads as a miss (fail-open): correct, but on a loaded machine it
  // makes a second loader call in the stampede test. The default (250ms) suits a quiet machine.
  tierTimeout: '2s',
  localMaxAgeMs: Number(localMaxAgeMs),
  onEvent: (event) => {
    if (event.type === 'tier-error' || event.type === 'bus-error' || event.type === 'bus-gap') {
      events.push({ type: event.type, at: Date.now(), message: (event as { error?: Error }).error?.message })
    }
  },
})

on('stampede', async ({ key, concurrency }) => {
  let loads = 0
  const loader = async (): Promise<string> => {
    loads++
    await redis.incr(`perf:${scope}:loads:${String(key)}`)
    await new Promise((r) => setTimeout(r, 200))
    return `value-of-${String(key)}`
  }
  const values = await Promise.all(
    Array.from({ length: Number(concurrency) }, () => cache.getOrSet(String(key), loader)),
  )
  send({ type: 'stampede-done', loads, distinct: [...new Set(values)] })
})

// When this process last took its copy of the watched key (precise clock, this process only).
let filledAt = 0

on('fill', async ({ key }) => {
  watched = String(key)
  old = await cache.get(String(key))
  filledAt = now()
  send({ type: 'filled', value: old as string })
})

on('write', async ({ key, value }) => {
  const started = now()
  // The engine's clock (Date.now) too, for comparisons with its expiry decisions.
  const startedWall = Date.now()
  await cache.set(String(key), value)
  const t0 = now()
  const readBack = await cache.get(String(key))
  send({ type: 'written', started, startedWall, t0, readYourWrite: readBack === value })
})

// Reads every `intervalMs` for `durationMs`; reports the last time the old value was served, on
// the wall clock (Date.now, comparable across processes to the millisecond) and on this process's
// precise clock, with the time it took its copy (so the age of the copy it served is exact).
on('poll', async ({ key, durationMs, intervalMs }) => {
  const until = now() + Number(durationMs)
  let lastOldAt = 0
  let lastOldAge = 0
  let reads = 0
  while (now() < until) {
    const value = await cache.get(String(key))
    reads++
    if (JSON.stringify(value) === JSON.stringify(old)) {
      lastOldAt = Date.now()
      lastOldAge = now() - filledAt
    }
    await new Promise((r) => setTimeout(r, Number(intervalMs)))
  }
  send({ type: 'polled', lastOldAt, lastOldAge, reads })
})

onExit(async () => {
  await cache.close()
  await inner.close()
  await locker.close()
  redis.disconnect()
  if (busRedis !== redis) busRedis.disconnect()
})
// Ready means subscribed: a write published before this process listens would never reach it (on a
// loaded machine SUBSCRIBE can take longer than the first test step).
await cache.ready()
while (!inner.isConnected) await new Promise((r) => setTimeout(r, 20))
send({ type: 'ready' })
