import { randomUUID } from 'node:crypto'
import { cacheStoreSuite } from '@perf/core/testing'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { redisStore } from '../src/index.js'
import { REDIS_PORT, hasRedis } from './services.js'

const ok = await hasRedis()
const redis = new Redis({ port: REDIS_PORT, lazyConnect: !ok })
afterAll(() => redis.disconnect())

// A prefix per store, so clear() in one test never touches another's keys. Redis bounds memory
// server-side (maxmemory), so the bytes group is skipped (no boundedFactory).
if (ok) cacheStoreSuite('redisStore', () => redisStore(redis, { prefix: `perf-suite:${randomUUID()}:` }), { describe, it, expect })
else describe.skip('cacheStoreSuite: redisStore (skipped: Redis not available)', () => it('needs Redis', () => undefined))
