import type { SuiteContext } from './context.js'
import { codeOf, delay, rejectionOf, releaseQuietly } from './context.js'

/** extend() moves expiry; release() frees at once; stale handles fail loudly and never free someone else's lock. */
export function extendReleaseTests(ctx: SuiteContext): void {
  const { runner, ttl, test, unique } = ctx
  const { expect } = runner

  runner.describe('extend and release', () => {
    test('extend() pushes expiresAt later', async (locker) => {
      const lock = await locker.acquire(unique('ext'), ttl)
      const before = lock.expiresAt
      await delay(ttl / 4)
      await lock.extend(ttl * 4)
      expect(lock.expiresAt).toBeGreaterThan(before)
      expect(lock.isHeld).toBe(true)
      await lock.release()
    })

    test('extend() keeps the lock held past its original ttl', async (locker) => {
      const resource = unique('ext-hold')
      const lock = await locker.acquire(resource, ttl)
      await delay(ttl / 4)
      await lock.extend(ttl * 4)
      await delay(ttl * 1.25)
      expect(lock.isHeld).toBe(true)
      const error = await rejectionOf(locker.acquire(resource, ttl, { waitMs: 0 }))
      expect(codeOf(error)).toBe('LOCK_TIMEOUT')
      await lock.release()
    })

    test('release() frees the resource at once', async (locker) => {
      const resource = unique('rel')
      const lock = await locker.acquire(resource, ttl * 50)
      await lock.release()
      expect(lock.isHeld).toBe(false)
      const next = await locker.acquire(resource, ttl * 10, { waitMs: 0 })
      expect(next.isHeld).toBe(true)
      await next.release()
    })

    test('release() twice rejects with LOCK_NOT_HELD', async (locker) => {
      const lock = await locker.acquire(unique('rel2'), ttl * 10)
      await lock.release()
      expect(codeOf(await rejectionOf(lock.release()))).toBe('LOCK_NOT_HELD')
    })

    test('extend() after release rejects with LOCK_NOT_HELD', async (locker) => {
      const lock = await locker.acquire(unique('ext-rel'), ttl * 10)
      await lock.release()
      expect(codeOf(await rejectionOf(lock.extend(ttl)))).toBe('LOCK_NOT_HELD')
    })

    test('extend() after expiry rejects with LOCK_LOST or LOCK_NOT_HELD', async (locker) => {
      const lock = await locker.acquire(unique('ext-exp'), ttl)
      await delay(ttl * 1.5)
      const code = codeOf(await rejectionOf(lock.extend(ttl)))
      expect(['LOCK_LOST', 'LOCK_NOT_HELD']).toContain(code)
      expect(lock.isHeld).toBe(false)
    })

    test("release() after expiry rejects with LOCK_NOT_HELD and leaves the next holder's lock alone", async (locker) => {
      const resource = unique('stale')
      const stale = await locker.acquire(resource, ttl)
      const current = await locker.acquire(resource, ttl * 20, { waitMs: ttl * 20 })
      try {
        expect(codeOf(await rejectionOf(stale.release()))).toBe('LOCK_NOT_HELD')
        expect(current.isHeld).toBe(true)
        const error = await rejectionOf(locker.acquire(resource, ttl, { waitMs: 0 }))
        expect(codeOf(error)).toBe('LOCK_TIMEOUT')
      } finally {
        await releaseQuietly(current)
      }
    })
  })
}
