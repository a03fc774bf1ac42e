import type { SuiteContext } from './context.js'
import { delay, releaseQuietly } from './context.js'

/** A lock that is never released frees itself after its ttl. */
export function ttlTests(ctx: SuiteContext): void {
  const { runner, ttl, test, unique } = ctx
  const { expect } = runner

  runner.describe('ttl expiry', () => {
    test('acquire() succeeds for another caller once an unreleased lock passes its ttl', async (locker) => {
      const resource = unique('ttl')
      const first = await locker.acquire(resource, ttl)
      const second = await locker.acquire(resource, ttl * 10, { waitMs: ttl * 20 })
      try {
        // The second holder got in only after the first lock's expiry (local expiresAt is never later than the backend's).
        expect(Date.now()).toBeGreaterThanOrEqual(first.expiresAt - 5)
        expect(first.isHeld).toBe(false)
        expect(second.isHeld).toBe(true)
        expect(second.fence).toBeGreaterThan(first.fence)
      } finally {
        await releaseQuietly(second)
      }
    })

    test('isHeld turns false once the ttl has passed', async (locker) => {
      const lock = await locker.acquire(unique('isheld'), ttl)
      expect(lock.isHeld).toBe(true)
      await delay(ttl * 1.5)
      expect(lock.isHeld).toBe(false)
    })
  })
}
