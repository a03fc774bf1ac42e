import type { Lock } from '../../lock/types.js'
import type { SuiteContext } from './context.js'
import { codeOf, delay, rejectionOf } from './context.js'

/** using(): value through, release after, automatic extension, abort on loss. */
export function usingTests(ctx: SuiteContext): void {
  const { runner, ttl, test, testIf, unique } = ctx
  const { expect } = runner
  const { forceExpire } = ctx.options

  runner.describe('using', () => {
    test("using() returns fn's value and releases the lock afterwards", async (locker) => {
      const resource = unique('using')
      let seen: Lock | undefined
      const value = await locker.using(resource, ttl * 10, async (signal, lock) => {
        seen = lock
        expect(signal.aborted).toBe(false)
        expect(lock.isHeld).toBe(true)
        expect(lock.resources).toEqual([resource])
        return 42
      })
      expect(value).toBe(42)
      expect(seen?.isHeld).toBe(false)
      const next = await locker.acquire(resource, ttl, { waitMs: 0 })
      await next.release()
    })

    test("using() rejects with fn's error and still releases the lock", async (locker) => {
      const resource = unique('using-throw')
      const boom = new Error('boom')
      const error = await rejectionOf(
        locker.using(resource, ttl * 10, async () => {
          throw boom
        }),
      )
      expect(error).toBe(boom)
      const next = await locker.acquire(resource, ttl, { waitMs: 0 })
      await next.release()
    })

    test('using() extends the lock while fn runs past the original ttl', async (locker) => {
      const resource = unique('using-long')
      let probe: unknown
      // 1.5 x ttl leaves the default extension (at half the ttl left) some slack on a busy machine.
      const lockTtl = ttl * 1.5
      const aborted = await locker.using(resource, lockTtl, async (signal, lock) => {
        await delay(lockTtl * 2)
        probe = codeOf(await rejectionOf(locker.acquire(resource, ttl, { waitMs: 0, owner: unique('probe') })))
        await delay(lockTtl)
        expect(lock.isHeld).toBe(true)
        return signal.aborted
      })
      expect(aborted).toBe(false)
      expect(probe).toBe('LOCK_TIMEOUT')
      const next = await locker.acquire(resource, ttl, { waitMs: 0 })
      await next.release()
    })

    testIf(
      forceExpire !== undefined,
      'options.forceExpire not provided',
      "using() aborts fn's signal with LOCK_LOST and rejects with LOCK_LOST when the lock is lost",
      async (locker) => {
        const resource = unique('using-lost')
        let reason: unknown
        const error = await rejectionOf(
          locker.using(resource, ttl, async (signal, lock) => {
            await forceExpire?.(lock)
            // Wait for the loss to be noticed (at the latest when the next extension fails).
            await new Promise<void>((resolve) => {
              if (signal.aborted) return resolve()
              signal.addEventListener('abort', () => resolve(), { once: true })
              setTimeout(resolve, ttl * 10)
            })
            expect(signal.aborted).toBe(true)
            reason = signal.reason
            return 'finished'
          }),
        )
        expect(codeOf(reason)).toBe('LOCK_LOST')
        expect(codeOf(error)).toBe('LOCK_LOST')
      },
    )
  })
}
