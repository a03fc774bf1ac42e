import { randomUUID } from 'node:crypto'
import { type Cache, createCache, MemoryStore } from '@perf/core'
import { requireService } from '@perf/core/testing'
import { createRedisClient, redisBus, redisStore } from '@perf/redis'
import type { Redis } from 'ioredis'
import type * as typeorm1 from 'typeorm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { instrument } from '../src/index.js'
import { MATRIX, cachedFrom, has, openBlog } from './fixtures/inst-harness.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

async function ping(): Promise<boolean> {
  const probe = createRedisClient(REDIS_URL)
  try {
    await probe.ping()
    return true
  } finally {
    probe.disconnect()
  }
}

const redisUp = await requireService(`Redis at ${REDIS_URL}`, ping, {
  scope: '[perf:typeorm tests]',
  skipping: 'two-DataSource tests',
  attempts: 1,
})

/** One application process: its own DataSource and pool, its own L1, the shared Redis L2 and bus. */
async function app(
  typeorm: typeof typeorm1,
  options: typeorm1.DataSourceOptions,
  scope: string,
  closers: (() => Promise<unknown>)[],
): Promise<{ ds: typeorm1.DataSource; cache: Cache }> {
  const redis: Redis = createRedisClient(REDIS_URL)
  const bus = redisBus(redis, { channel: `perf:bus:${scope}` })
  const cache = createCache({
    namespace: 'typeorm-test',
    tiers: [new MemoryStore(), redisStore(redis, { prefix: `perf:${scope}:` })],
    bus,
  })
  const ds = new typeorm.DataSource({ ...options, synchronize: false } as typeorm1.DataSourceOptions)
  await ds.initialize()
  const perf = instrument(ds, { cache })
  // clear() first: the test's keys must not outlive it in a shared Redis.
  closers.push(async () => {
    perf.uninstrument()
    await ds.destroy()
    await cache.clear()
    await cache.close()
    await bus.close()
    redis.disconnect()
  })
  return { ds, cache }
}

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up || !redisUp)(`two instrumented DataSources sharing Redis — ${label}`, () => {
    let blog: Awaited<ReturnType<typeof openBlog>>
    let a: Awaited<ReturnType<typeof app>>
    let b: Awaited<ReturnType<typeof app>>
    const closers: (() => Promise<unknown>)[] = []

    beforeAll(async () => {
      blog = await openBlog(typeorm, create)
      const scope = randomUUID()
      a = await app(typeorm, blog.ds.options, scope, closers)
      b = await app(typeorm, blog.ds.options, scope, closers)
    })
    afterAll(async () => {
      for (const close of closers) await close().catch(() => undefined)
      await blog?.close()
    })

    /** The same key cached by both instances (b's L1 filled from the shared Redis). */
    async function cachedInBoth(table: string): Promise<string> {
      const key = await cachedFrom(a.cache, table)
      expect(await b.cache.get(key)).toBe(`rows of ${table}`)
      return key
    }

    it("a write through one DataSource drops the other's entries for that table, and only those", async () => {
      const widgets = await cachedInBoth('widgets')
      const authors = await cachedInBoth('authors')
      await a.ds.getRepository('Widget').insert({ name: 'from a' })
      await vi.waitFor(async () => expect(await has(b.cache, widgets)).toBe(false))
      expect(await has(a.cache, widgets)).toBe(false)
      expect(await has(b.cache, authors)).toBe(true)
    })

    it("a transaction's writes reach the other DataSource only after it commits", async () => {
      const authors = await cachedInBoth('authors')
      await b.ds.transaction(async (manager) => {
        await manager.query(`INSERT INTO authors (name) VALUES ('from b')`)
        await new Promise((resolve) => setTimeout(resolve, 50))
        expect(await has(a.cache, authors)).toBe(true)
      })
      await vi.waitFor(async () => expect(await has(a.cache, authors)).toBe(false))
    })

    it("a raw write through one DataSource drops the other's entries", async () => {
      const widgets = await cachedInBoth('widgets')
      await b.ds.query(`DELETE FROM widgets WHERE name = 'from a'`)
      await vi.waitFor(async () => expect(await has(a.cache, widgets)).toBe(false))
    })
  })
}
