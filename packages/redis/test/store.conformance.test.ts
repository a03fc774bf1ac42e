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
if (ok)
  cacheStoreSuite('redisStore', () => redisStore(redis, { prefix: `perf-suite:${randomUUID()}:` }), {
    describe,
    it,
    expect,
  })
// The same suite on a client with ioredis's own keyPrefix, which ioredis adds to key arguments
// (script KEYS included) but not to SCAN results: every key must still be found and cleared.
const prefixed = new Redis({ port: REDIS_PORT, lazyConnect: !ok, keyPrefix: `kp:${randomUUID()}:` })
afterAll(() => prefixed.disconnect())
if (ok)
  cacheStoreSuite(
    'redisStore (client keyPrefix)',
    () => redisStore(prefixed, { prefix: `perf-suite:${randomUUID()}:` }),
    { describe, it, expect },
  )
if (ok) {
  describe('redisStore on a client with keyPrefix', () => {
    it('tag invalidations and tombstones written by one instance are seen by another, and every key lives under the keyPrefix', async () => {
      const keyPrefix = `kp:${randomUUID()}:`
      const a = new Redis({ port: REDIS_PORT, keyPrefix })
      const b = new Redis({ port: REDIS_PORT, keyPrefix })
      const prefix = `perf:${randomUUID()}:`
      const [one, two] = [redisStore(a, { prefix }), redisStore(b, { prefix })]
      const now = Date.now()
      await one.set('k', { value: 'v', createdAt: now, staleAt: now + 60_000, expiresAt: now + 60_000, tags: ['t'] })
      expect(await one.get('k', { tags: ['t'] })).toMatchObject({ value: 'v' })
      await two.invalidateTags(['t'])
      expect(await one.get('k', { tags: ['t'] })).toBeUndefined()
      const { version } = await one.read('k')
      await two.delete(['k'])
      expect(
        await one.set('k', {
          value: 'stale',
          createdAt: now + 1,
          staleAt: now + 60_000,
          expiresAt: now + 60_000,
          version,
        }),
      ).toBe(false)
      expect(await one.get('k')).toBeUndefined() // the tombstone refused the older load
      const stored = await redis.keys(`*${prefix}*`)
      expect(stored.length).toBeGreaterThan(0)
      expect(stored.every((key) => key.startsWith(keyPrefix + prefix))).toBe(true)
      await one.clear()
      expect(await redis.keys(`${keyPrefix}${prefix}*`)).toEqual([])
      a.disconnect()
      b.disconnect()
    })
  })
} else
  describe.skip('cacheStoreSuite: redisStore (skipped: Redis not available)', () => it('needs Redis', () => undefined))
