import type { SuiteContext } from './context.js'
import { delay } from './context.js'

/** Many concurrent contenders on one resource: a shared counter never sees two holders. */
export function mutualExclusionTests(ctx: SuiteContext): void {
  const { runner, ttl, test, unique } = ctx
  const { expect } = runner
  const contenders = ctx.options.contenders ?? 50

  runner.describe('mutual exclusion', () => {
    test(`acquire() admits one holder at a time among ${contenders} concurrent contenders`, async (locker) => {
      const resource = unique('counter')
      let counter = 0
      let inside = 0
      let overlaps = 0
      const fences: number[] = []
      await Promise.all(
        Array.from({ length: contenders }, async (_, i) => {
          const lock = await locker.acquire(resource, ttl * 50, { waitMs: 60_000 })
          inside++
          if (inside > 1) overlaps++
          fences.push(lock.fence)
          // Read, yield, write: a lost update shows up as a final counter below `contenders`.
          const seen = counter
          await delay(i % 3)
          counter = seen + 1
          inside--
          await lock.release()
        }),
      )
      expect(overlaps).toBe(0)
      expect(counter).toBe(contenders)
      expect(fences).toHaveLength(contenders)
      for (let i = 1; i < fences.length; i++) expect(fences[i] as number).toBeGreaterThan(fences[i - 1] as number)
    })

    test('acquire() on different resources does not block', async (locker) => {
      const first = await locker.acquire(unique('a'), ttl * 10, { waitMs: 0 })
      const second = await locker.acquire(unique('b'), ttl * 10, { waitMs: 0 })
      expect(first.isHeld).toBe(true)
      expect(second.isHeld).toBe(true)
      await first.release()
      await second.release()
    })

    test('acquire() returns a lock describing what was acquired', async (locker) => {
      const resource = unique('shape')
      const before = Date.now()
      const lock = await locker.acquire(resource, ttl * 10)
      expect(lock.resources).toEqual([resource])
      expect(typeof lock.owner).toBe('string')
      expect(Number.isFinite(lock.fence)).toBe(true)
      expect(lock.isHeld).toBe(true)
      expect(lock.expiresAt).toBeGreaterThan(before)
      expect(lock.expiresAt).toBeLessThanOrEqual(Date.now() + ttl * 10)
      await lock.release()
      expect(lock.isHeld).toBe(false)
    })
  })
}
