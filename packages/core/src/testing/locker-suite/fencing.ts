import type { SuiteContext } from './context.js'

/** Fencing tokens only ever increase. */
export function fencingTests(ctx: SuiteContext): void {
  const { runner, ttl, test, testIf, unique, capabilities } = ctx
  const { expect } = runner

  runner.describe('fencing', () => {
    test('acquire() returns strictly increasing fences for successive locks on one resource', async (locker) => {
      const resource = unique('fence')
      const fences: number[] = []
      for (let i = 0; i < 5; i++) {
        const lock = await locker.acquire(resource, ttl * 10)
        fences.push(lock.fence)
        await lock.release()
      }
      for (let i = 1; i < fences.length; i++) expect(fences[i] as number).toBeGreaterThan(fences[i - 1] as number)
    })

    testIf(
      capabilities.globalFencing,
      'capabilities.globalFencing is false (fences increase per resource only)',
      'acquire() returns a fence greater than every earlier one, across resources',
      async (locker) => {
        const resources = [unique('fa'), unique('fb'), unique('fc')]
        let last = Number.NEGATIVE_INFINITY
        for (let round = 0; round < 3; round++) {
          for (const resource of resources) {
            const lock = await locker.acquire(resource, ttl * 10)
            expect(lock.fence).toBeGreaterThan(last)
            last = lock.fence
            await lock.release()
          }
        }
      },
    )

    testIf(
      capabilities.globalFencing,
      'capabilities.globalFencing is false (fences of different resources may coincide)',
      'acquire() gives concurrent holders of different resources distinct fences',
      async (locker) => {
        const locks = await Promise.all(
          Array.from({ length: 10 }, (_, i) => locker.acquire(unique(`fd${i}`), ttl * 10)),
        )
        expect(new Set(locks.map((lock) => lock.fence)).size).toBe(10)
        await Promise.all(locks.map((lock) => lock.release()))
      },
    )
  })
}
