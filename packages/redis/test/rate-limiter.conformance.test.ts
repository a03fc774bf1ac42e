import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { rateLimiterSuite } from '@perf/core/testing'
import { redisRateLimiter } from '../src/index.js'
import { REDIS_PORT, hasRedis } from './services.js'

const ok = await hasRedis()
const redis = new Redis({ port: REDIS_PORT, lazyConnect: !ok })
afterAll(() => redis.disconnect())

if (ok) rateLimiterSuite('redisRateLimiter', (options) => redisRateLimiter(redis, options), { describe, it, expect })
else describe.skip('rateLimiterSuite: redisRateLimiter (skipped: Redis not available)', () => it('needs Redis', () => undefined))
