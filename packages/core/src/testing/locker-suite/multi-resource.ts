import type { SuiteContext } from './context.js'
import { codeOf, delay, rejectionOf, releaseQuietly } from './context.js'

/** Several resources in one lock: all held together, overlapping sets serialize, no deadlock. */
export function multiResourceTests(ctx: SuiteContext): void {
  const { runner, ttl, testIf, unique, capabilities } = ctx
  const { expect } = runner
  const reason = 'capabilities.multiResource is false'

  runner.describe('multi-resource', () => {
    testIf(
      capabilities.multiResource,
      reason,
      'acquire() holds every resource at once, in canonical order',
      async (locker) => {
        const a = unique('a')
        const b = unique('b')
        const lock = await locker.acquire([b, a, b], ttl * 50)
        try {
          expect(lock.resources).toEqual([a, b].sort())
          for (const resource of [a, b]) {
            expect(codeOf(await rejectionOf(locker.acquire(resource, ttl, { waitMs: 0 })))).toBe('LOCK_TIMEOUT')
          }
          await lock.release()
          const next = await locker.acquire([a, b], ttl, { waitMs: 0 })
          await next.release()
        } finally {
          await releaseQuietly(lock)
        }
      },
    )

    testIf(
      capabilities.multiResource,
      reason,
      'acquire() of overlapping sets serializes holders and never deadlocks',
      async (locker) => {
        const [a, b, c] = [unique('x'), unique('y'), unique('z')] as [string, string, string]
        // Opposite orders on purpose: canonical ordering must prevent the classic ABBA deadlock.
        const sets = [
          [a, b],
          [b, a],
          [b, c],
          [c, a],
        ]
        const inside = new Map<string, number>()
        let overlaps = 0
        let done = 0
        await Promise.all(
          Array.from({ length: 16 }, async (_, i) => {
            const lock = await locker.acquire(sets[i % sets.length] as string[], ttl * 50, { waitMs: 60_000 })
            for (const resource of lock.resources) {
              const count = (inside.get(resource) ?? 0) + 1
              if (count > 1) overlaps++
              inside.set(resource, count)
            }
            await delay(1 + (i % 3))
            for (const resource of lock.resources) inside.set(resource, (inside.get(resource) as number) - 1)
            done++
            await lock.release()
          }),
        )
        expect(overlaps).toBe(0)
        expect(done).toBe(16)
      },
    )

    testIf(
      capabilities.multiResource,
      reason,
      'acquire() of several resources is all-or-nothing when one stays held',
      async (locker) => {
        const [a, b] = [unique('p'), unique('q')].sort() as [string, string]
        const holder = await locker.acquire(b, ttl * 50)
        try {
          const error = await rejectionOf(locker.acquire([a, b], ttl * 50, { waitMs: ttl / 2 }))
          expect(codeOf(error)).toBe('LOCK_TIMEOUT')
          // Nothing of the failed acquire stays held.
          const free = await locker.acquire(a, ttl, { waitMs: 0 })
          await free.release()
        } finally {
          await releaseQuietly(holder)
        }
      },
    )
  })
}
