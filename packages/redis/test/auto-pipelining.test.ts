// @see regression: RedisStore on a client with enableAutoPipelining threw an uncaught TypeError
// inside ioredis (callBuffer's arguments misread), ending the process.
import { randomUUID } from 'node:crypto'
import { createCache } from '@perf/core'
import { cacheStoreSuite } from '@perf/core/testing'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { redisStore } from '../src/index.js'
import { REDIS_PORT, hasRedis } from './services.js'

const ok = await hasRedis()
const redis = new Redis({ port: REDIS_PORT, lazyConnect: !ok, enableAutoPipelining: true })
afterAll(() => redis.disconnect())

if (ok) {
  describe('redisStore with enableAutoPipelining', () => {
    it('getOrSet() hits through the store, 100 at once, each in one pipelined round', async () => {
      const cache = createCache({ tiers: [redisStore(redis, { prefix: `perf-ap:${randomUUID()}:` })] })
      for (let i = 0; i < 100; i++) await cache.set(`k${i}`, { id: i, at: new Date(i) })
      const values = await Promise.all(
        Array.from({ length: 100 }, (_, i) => cache.getOrSet(`k${i}`, () => ({ id: -1, at: new Date(0) }))),
      )
      expect(values.map((v) => v.id)).toEqual(Array.from({ length: 100 }, (_, i) => i))
      expect(values[7]?.at).toEqual(new Date(7))
      expect(cache.stats().hits.redis).toBe(100)
      await cache.close()
    })
  })
  cacheStoreSuite(
    'redisStore (enableAutoPipelining)',
    () => redisStore(redis, { prefix: `perf-ap-suite:${randomUUID()}:` }),
    { describe, it, expect },
  )
} else
  describe.skip('redisStore with enableAutoPipelining (skipped: Redis not available)', () =>
    it('needs Redis', () => undefined))
