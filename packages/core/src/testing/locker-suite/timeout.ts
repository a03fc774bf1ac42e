import type { SuiteContext } from './context.js'
import { codeOf, rejectionOf, releaseQuietly } from './context.js'

/** A waiter gives up after waitMs with LOCK_TIMEOUT and leaves no trace. */
export function timeoutTests(ctx: SuiteContext): void {
  const { runner, ttl, test, unique } = ctx
  const { expect } = runner

  runner.describe('timeout', () => {
    test('acquire() rejects with LOCK_TIMEOUT naming the resource after waitMs', async (locker) => {
      const resource = unique('timeout')
      const holder = await locker.acquire(resource, ttl * 50)
      try {
        const waitMs = ttl / 2
        const started = Date.now()
        const error = await rejectionOf(locker.acquire(resource, ttl, { waitMs }))
        expect(codeOf(error)).toBe('LOCK_TIMEOUT')
        expect((error as Error).message).toContain(resource)
        // It really waited (minus timer granularity) rather than failing at once.
        expect(Date.now() - started).toBeGreaterThanOrEqual(waitMs - 15)
        expect(holder.isHeld).toBe(true)
      } finally {
        await releaseQuietly(holder)
      }
    })

    test('acquire() with waitMs 0 rejects with LOCK_TIMEOUT while the resource is held', async (locker) => {
      const resource = unique('try')
      const holder = await locker.acquire(resource, ttl * 50)
      try {
        expect(codeOf(await rejectionOf(locker.acquire(resource, ttl, { waitMs: 0 })))).toBe('LOCK_TIMEOUT')
      } finally {
        await releaseQuietly(holder)
      }
    })

    test('acquire() that timed out never takes the lock later', async (locker) => {
      const resource = unique('gone')
      const holder = await locker.acquire(resource, ttl * 50)
      await rejectionOf(locker.acquire(resource, ttl * 50, { waitMs: ttl / 4 }))
      await holder.release()
      const next = await locker.acquire(resource, ttl * 10, { waitMs: 0 })
      expect(next.isHeld).toBe(true)
      await next.release()
    })
  })
}
