// The peer range claims ioredis 5 and 6: the same conformance suites run against an ioredis 6 client.
import { randomUUID } from 'node:crypto'
import { cacheStoreSuite, lockerSuite, rateLimiterSuite } from '@perf/core/testing'
import { Redis } from 'ioredis6'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RedisClient } from '../src/internal/client.js'
import { redisRateLimiter, redisStore, redlockLocker } from '../src/index.js'
import { REDIS_PORT, hasRedis } from './services.js'

const ok = await hasRedis()
const redis = new Redis({ port: REDIS_PORT, lazyConnect: !ok })
const client = redis as unknown as RedisClient
afterAll(() => redis.disconnect())

const runner = { describe, it, expect, beforeEach, afterEach }
if (ok) {
  describe('ioredis 6', () => {
    it('is the major version under test', async () => {
      const { createRequire } = await import('node:module')
      const version = (createRequire(import.meta.url)('ioredis6/package.json') as { version: string }).version
      expect(version.split('.')[0]).toBe('6')
    })
  })
  cacheStoreSuite(
    'redisStore on ioredis 6',
    () => redisStore(client, { prefix: `perf-suite6:${randomUUID()}:` }),
    runner,
  )
  lockerSuite('redlockLocker on ioredis 6', () => redlockLocker(client), runner, {
    forceExpire: async (lock) => void (await redis.del(...lock.resources.map((r) => `perf:lock:{${r}}`))),
  })
  rateLimiterSuite('redisRateLimiter on ioredis 6', (options) => redisRateLimiter(client, options), runner)
} else
  describe.skip('conformance on ioredis 6 (skipped: Redis not available)', () => it('needs Redis', () => undefined))
