import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { lockerSuite } from '@perf/core/testing'
import { redlockLocker } from '../src/index.js'
import { REDIS_PORT, hasRedis } from './services.js'

const ok = await hasRedis()
const redis = new Redis({ port: REDIS_PORT, lazyConnect: !ok })
afterAll(() => redis.disconnect())

if (ok) {
  lockerSuite(
    'redlockLocker',
    () => redlockLocker(redis),
    { describe, it, expect, beforeEach, afterEach },
    {
      // A crash or failover that drops the key behind the holder's back.
      forceExpire: async (lock) => void (await redis.del(...lock.resources.map((r) => `perf:lock:{${r}}`))),
    },
  )
  // ioredis adds a client's keyPrefix to key arguments but not to keys inside wake-up messages.
  const keyPrefix = `kp:${Math.random().toString(36).slice(2)}:`
  const prefixed = new Redis({ port: REDIS_PORT, keyPrefix })
  afterAll(() => prefixed.disconnect())
  lockerSuite(
    'redlockLocker (client keyPrefix)',
    () => redlockLocker(prefixed),
    { describe, it, expect, beforeEach, afterEach },
    {
      forceExpire: async (lock) => void (await redis.del(...lock.resources.map((r) => `${keyPrefix}perf:lock:{${r}}`))),
    },
  )
} else
  describe.skip('lockerSuite: redlockLocker (skipped: Redis not available)', () => it('needs Redis', () => undefined))
