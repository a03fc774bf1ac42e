import { expectStrictlyIncreasing, until, type SuiteContext } from './context.js'

/** Terms only ever grow: across handovers, re-elections and new instances. */
export function termTests(ctx: SuiteContext): void {
  const { runner, candidates, handoverMs, test } = ctx
  const { expect } = runner

  runner.describe('terms', () => {
    test('elected terms strictly increase across handovers by resign() and close()', candidates, async (election) => {
      await Promise.all(election.candidates.map((c) => c.start()))
      for (let round = 0; round < candidates - 1; round++) {
        await until(() => election.leader() !== undefined, handoverMs, `the election of round ${round}`)
        const leader = election.leader()
        if (round % 2 === 0) await leader?.close()
        else {
          await leader?.resign()
          await leader?.start()
        }
      }
      await until(() => election.electedTerms().length >= candidates, handoverMs, `${candidates} elections`)
      expectStrictlyIncreasing(runner, election.electedTerms())
    })

    test('start() after resign() campaigns again and a re-election gets a higher term', 1, async (election) => {
      const [only] = election.candidates
      await only?.start()
      await until(() => only?.isLeader === true, handoverMs, 'the election')
      const first = only?.term as number
      await only?.resign()
      await only?.start()
      await until(() => only?.isLeader === true, handoverMs, 'the re-election')
      expect(only?.term).toBeGreaterThan(first)
    })

    test('a new instance (a restarted process) gets a term above every term issued before it', 1, async (election) => {
      const terms: number[] = []
      for (let i = 0; i < 3; i++) {
        const candidate = i === 0 ? election.candidates[0] : await election.join()
        await candidate?.start()
        await until(() => candidate?.isLeader === true, handoverMs, `the election of instance ${i}`)
        terms.push(candidate?.term as number)
        await candidate?.close()
      }
      expectStrictlyIncreasing(runner, terms)
    })
  })
}
