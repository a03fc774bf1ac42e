import { delay, until, type SuiteContext } from './context.js'

/** One leader among many candidates, kept while it renews. */
export function electionTests(ctx: SuiteContext): void {
  const { runner, leaseMs, candidates, handoverMs, test } = ctx
  const { expect } = runner

  runner.describe('election', () => {
    test(
      'start() elects exactly one of several concurrent candidates; the others report term undefined',
      candidates,
      async (election) => {
        await Promise.all(election.candidates.map((c) => c.start()))
        await until(() => election.leader() !== undefined, handoverMs, 'an election')
        const leader = election.leader()
        expect(typeof leader?.term).toBe('number')
        for (const c of election.candidates) if (c !== leader) expect(c.term).toBeUndefined()
        await delay(leaseMs)
        expect(election.overlaps).toBe(0)
        expect(election.electedTerms()).toHaveLength(1)
      },
    )

    test(
      'isLeader stays true with the same term over several lease lengths while the leader renews',
      2,
      async (election) => {
        const [a, b] = election.candidates
        await a?.start()
        await until(() => a?.isLeader === true, handoverMs, 'the first candidate being elected')
        await b?.start()
        const term = a?.term
        await delay(leaseMs * 3.5)
        expect(a?.isLeader).toBe(true)
        expect(a?.term).toBe(term)
        expect(b?.isLeader).toBe(false)
        expect(election.log.filter((e) => e.event === 'deposed')).toEqual([])
      },
    )

    test(
      'isLeader is true for at most one candidate at any moment across repeated handovers',
      candidates,
      async (election) => {
        await Promise.all(election.candidates.map((c) => c.start()))
        for (let round = 0; round < 3; round++) {
          await until(() => election.leader() !== undefined, handoverMs, `the election of round ${round}`)
          const leader = election.leader()
          await leader?.resign()
          await leader?.start() // campaigns again, competing with the others
        }
        await until(() => election.leader() !== undefined, handoverMs, 'the last election')
        expect(election.overlaps).toBe(0)
      },
    )
  })
}
