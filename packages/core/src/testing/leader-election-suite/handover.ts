import { until, type SuiteContext } from './context.js'

/** resign() and close() give leadership up at once and let another candidate take it. */
export function handoverTests(ctx: SuiteContext): void {
  const { runner, handoverMs, test } = ctx
  const { expect } = runner

  runner.describe('resign and close', () => {
    for (const method of ['resign', 'close'] as const) {
      test(
        `${method}() ends leadership at once and another candidate takes over with a higher term`,
        2,
        async (election) => {
          const [a, b] = election.candidates
          await a?.start()
          await until(() => a?.isLeader === true, handoverMs, 'the first election')
          await b?.start()
          const first = a?.term as number
          const pending = a?.[method]()
          // Leadership ends before the backend is told, so a slow backend cannot extend it.
          expect(a?.isLeader).toBe(false)
          expect(a?.term).toBeUndefined()
          await pending
          await until(() => b?.isLeader === true, handoverMs, `the handover after ${method}()`)
          expect(b?.term).toBeGreaterThan(first)
          expect(election.overlaps).toBe(0)
        },
      )
    }

    test('resign() and close() are idempotent and safe on a follower', 2, async (election) => {
      const [a, b] = election.candidates
      await a?.start()
      await until(() => a?.isLeader === true, handoverMs, 'the first election')
      await b?.start()
      await b?.resign()
      await b?.resign()
      expect(a?.isLeader).toBe(true)
      await a?.close()
      await a?.close()
      await a?.resign()
      expect(a?.isLeader).toBe(false)
      expect(election.log.filter((e) => e.event === 'deposed')).toHaveLength(1)
    })
  })
}
