import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RedisServer, hasRedisServerBinary } from './redis-server.js'
import { REDIS_PORT, describeIf, hasRedis, need } from './services.js'
import { WorkerPool } from './workers/harness.js'

const ok = (await hasRedis()) && (await need('redis-server binary', async () => hasRedisServerBinary()))
const PROCESSES = 4

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

describeIf(ok, 'Redis or redis-server binary not available')(
  `createCache across ${PROCESSES} processes sharing Redis`,
  () => {
    const scope = randomUUID()
    let pool: WorkerPool
    const redis = new Redis({ port: REDIS_PORT })
    const counters: string[] = []
    beforeAll(async () => {
      // Heartbeat 5 s: on a loaded machine an event loop can stall past 1 s; the bus then takes the
      // PING for a half-open connection and reconnects, and messages sent meanwhile are lost (the
      // engine drops its L1 on that gap, correctly, but this test waits for each message).
      // @see issue 9, item 9
      pool = await WorkerPool.start('./cache-worker.ts', PROCESSES, () => [
        String(REDIS_PORT),
        String(REDIS_PORT),
        scope,
        '60000',
        '5000',
      ])
    }, 120_000)
    afterAll(async () => {
      await pool?.stop()
      await redis.del(`perf:lock:${scope}:fence`, ...counters)
      redis.disconnect()
    })

    it(`(a) getOrSet(): ${PROCESSES} × 250 concurrent misses on one key run the loader once in total`, async () => {
      const key = `hot:${randomUUID()}`
      counters.push(`perf:${scope}:loads:${key}`)
      pool.send({ type: 'stampede', key, concurrency: 250 })
      const results = await pool.collect('stampede-done', 30_000)
      expect(results.reduce((sum, r) => sum + (r.loads as number), 0)).toBe(1)
      expect(Number(await redis.get(`perf:${scope}:loads:${key}`))).toBe(1)
      expect(results.flatMap((r) => r.distinct as string[])).toEqual(Array(PROCESSES).fill(`value-of-${key}`))
    }, 60_000)

    it('(b) set() in one process: the others stop serving the old value within the bus latency, the writer reads its write', async () => {
      const key = `row:${randomUUID()}`
      const readers = Array.from({ length: PROCESSES - 1 }, (_, i) => i + 1)
      const latencies: number[] = []
      const fromCall: number[] = []
      let servedOld = 0
      let readYourWrites = 0
      const ROUNDS = 200
      // Round 0 is observed like the others: every process watches the key before the first write,
      // so no delete message of an earlier write can arrive during a later round (its late delivery
      // would look like "served the old value" while the value read is the current one).
      pool.send({ type: 'fill', key })
      expect((await pool.collect('filled', 10_000)).map((f) => f.value)).toEqual(Array(PROCESSES).fill(undefined))
      pool.send({ type: 'write', key, value: 'v0' }, 0)
      await pool.collect('written', 10_000, [0])
      for (const seen of await pool.collect('invalidated', 10_000, readers)) expect(seen.servedOld).toBe(false)
      for (let round = 1; round <= ROUNDS; round++) {
        pool.send({ type: 'fill', key })
        const filled = await pool.collect('filled', 10_000)
        expect(filled.map((f) => f.value)).toEqual(Array(PROCESSES).fill(`v${round - 1}`))
        pool.send({ type: 'write', key, value: `v${round}` }, 0)
        const [written] = await pool.collect('written', 10_000, [0])
        if (written!.readYourWrite) readYourWrites++
        for (const seen of await pool.collect('invalidated', 10_000, readers)) {
          latencies.push(Math.max(0, (seen.t1 as number) - (written!.t0 as number)))
          fromCall.push((seen.t1 as number) - (written!.started as number))
          if (seen.servedOld) {
            servedOld++
            console.error(
              `[multi-process bus] round ${round}: process served the old value after the bus delete`,
              JSON.stringify({ written, seen }),
            )
          }
        }
      }
      latencies.sort((x, y) => x - y)
      const [p50, p99, max] = [percentile(latencies, 50), percentile(latencies, 99), latencies.at(-1) as number]
      fromCall.sort((x, y) => x - y)
      console.log(
        `[multi-process bus] ${latencies.length} samples. Old value still served after set() resolved: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms. ` +
          `From the set() call to the drop in the other processes: p50 ${percentile(fromCall, 50).toFixed(2)} ms, p99 ${percentile(fromCall, 99).toFixed(2)} ms`,
      )
      expect(readYourWrites).toBe(ROUNDS)
      expect(servedOld).toBe(0)
      expect(latencies).toHaveLength(ROUNDS * readers.length)
      // Loose sanity bound (the figures above are the measurement; speed claims live in benchmarks).
      expect(p99).toBeLessThan(250)
    }, 120_000)
  },
)

describeIf(ok, 'Redis or redis-server binary not available')('createCache across processes with the bus down', () => {
  const scope = randomUUID()
  const LOCAL_MAX_AGE_MS = 400
  let busServer: RedisServer
  let pool: WorkerPool
  beforeAll(async () => {
    busServer = await RedisServer.start()
    // The heartbeat is slower than the bound on purpose: localMaxAgeMs alone must bound staleness.
    pool = await WorkerPool.start('./cache-worker.ts', PROCESSES, () => [
      String(REDIS_PORT),
      String(busServer.port),
      scope,
      String(LOCAL_MAX_AGE_MS),
      '5000',
    ])
  }, 120_000)
  afterAll(async () => {
    await pool?.stop()
    await busServer?.stop()
  })

  it(`(b) with the bus hung, no process serves the old value longer than localMaxAgeMs=${LOCAL_MAX_AGE_MS} after the write`, async () => {
    const key = `row:${randomUUID()}`
    const readers = [1, 2, 3]
    // Watch the key before the first write and wait for its invalidation everywhere, so no late
    // message of that write can drop (and restart) a reader's local copy during the test.
    pool.send({ type: 'fill', key })
    await pool.collect('filled', 10_000)
    pool.send({ type: 'write', key, value: 'old' }, 0)
    await pool.collect('written', 10_000, [0])
    await pool.collect('invalidated', 10_000, readers)
    pool.send({ type: 'fill', key })
    expect((await pool.collect('filled', 10_000)).map((f) => f.value)).toEqual(Array(PROCESSES).fill('old'))
    busServer.pause() // publishes time out, nothing is delivered, the connection looks alive
    try {
      pool.send({ type: 'poll', key, durationMs: LOCAL_MAX_AGE_MS * 3, intervalMs: 10 }, 1)
      pool.send({ type: 'poll', key, durationMs: LOCAL_MAX_AGE_MS * 3, intervalMs: 10 }, 2)
      pool.send({ type: 'poll', key, durationMs: LOCAL_MAX_AGE_MS * 3, intervalMs: 10 }, 3)
      pool.send({ type: 'write', key, value: 'new' }, 0)
      const [written] = await pool.collect('written', 10_000, [0])
      expect(written!.readYourWrite).toBe(true)
      const polled = await pool.collect('polled', 10_000, readers)
      for (const p of polled) {
        expect(p.reads as number).toBeGreaterThan(20)
        // The guarantee, measured exactly inside the reading process: its local copy (taken before
        // the write) is never served once it is localMaxAgeMs old.
        expect(p.lastOldAge as number).toBeLessThan(LOCAL_MAX_AGE_MS)
        // The same seen from the write: across processes the wall clock has 1 ms resolution.
        expect((p.lastOldAt as number) - (written!.startedWall as number)).toBeLessThanOrEqual(LOCAL_MAX_AGE_MS + 1)
      }
      console.log(
        `[multi-process bus down] old value last served ${polled.map((p) => Math.round((p.lastOldAt as number) - (written!.startedWall as number))).join(' / ')} ms after the write began, ` +
          `from local copies ${polled.map((p) => (p.lastOldAge as number).toFixed(1)).join(' / ')} ms old (bound ${LOCAL_MAX_AGE_MS} ms)`,
      )
    } finally {
      busServer.resume()
    }
  }, 60_000)
})
