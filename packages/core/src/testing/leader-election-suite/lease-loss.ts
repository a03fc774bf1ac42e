import { until, type SuiteContext } from './context.js'

/** A leader that cannot renew gives up on its own, before anyone else can be elected. */
export function leaseLossTests(ctx: SuiteContext): void {
  const { runner, options, leaseMs, handoverMs, testIf } = ctx
  const { expect } = runner
  const cutOff = options.cutOff

  runner.describe('lease loss', () => {
    testIf(
      cutOff !== undefined,
      'options.cutOff not provided',
      'a leader that cannot renew stops believing it leads before another candidate is elected',
      2,
      async (election) => {
        const [a, b] = election.candidates
        await a?.start()
        await until(() => a?.isLeader === true, handoverMs, 'the first election')
        await b?.start()
        const first = a?.term as number
        let aLast = 0
        let bFirst = 0
        const sample = (): void => {
          if (a?.isLeader) aLast = performance.now()
          if (b?.isLeader && bFirst === 0) bFirst = performance.now()
        }
        const sampler = setInterval(sample, 1)
        try {
          await cutOff?.(a as NonNullable<typeof a>)
          await until(() => b?.isLeader === true, handoverMs + leaseMs, 'the election after the leader was cut off')
          sample()
        } finally {
          clearInterval(sampler)
        }
        expect(election.overlaps).toBe(0)
        expect(bFirst).toBeGreaterThan(aLast)
        expect(b?.term).toBeGreaterThan(first)
        const deposed = election.log.find((e) => e.event === 'deposed' && e.who === 0)
        expect(deposed).toMatchObject({ term: first, reason: 'lost' })
      },
    )
  })
}
