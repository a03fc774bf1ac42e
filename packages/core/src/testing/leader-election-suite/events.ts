import { delay, until, type SuiteContext } from './context.js'

/** `elected` and `deposed` fire once per term, with the state they announce already in place. */
export function eventTests(ctx: SuiteContext): void {
  const { runner, leaseMs, handoverMs, test } = ctx
  const { expect } = runner

  runner.describe('events', () => {
    test(
      'on("elected") fires once per term with the reported term, while isLeader is already true',
      1,
      async (election) => {
        const [only] = election.candidates
        await only?.start()
        await until(() => only?.isLeader === true, handoverMs, 'the election')
        await delay(leaseMs * 1.5) // renewals announce nothing
        expect(election.log).toHaveLength(1)
        expect(election.log[0]).toMatchObject({
          event: 'elected',
          term: only?.term,
          isLeader: true,
          reported: only?.term,
        })
      },
    )

    test(
      'on("deposed") fires once with the ended term and reason "resigned" or "closed", after isLeader turned false',
      1,
      async (election) => {
        const [only] = election.candidates
        await only?.start()
        await until(() => only?.isLeader === true, handoverMs, 'the election')
        const first = only?.term
        await only?.resign()
        await only?.start()
        await until(() => only?.isLeader === true, handoverMs, 'the re-election')
        const second = only?.term
        await only?.close()
        const deposed = election.log.filter((e) => e.event === 'deposed')
        expect(deposed).toHaveLength(2)
        expect(deposed[0]).toMatchObject({ term: first, reason: 'resigned', isLeader: false, reported: undefined })
        expect(deposed[1]).toMatchObject({ term: second, reason: 'closed', isLeader: false, reported: undefined })
      },
    )

    test('the function on() returns removes the listener', 1, async (election) => {
      const [only] = election.candidates
      const seen: string[] = []
      const offElected = only?.on('elected', () => void seen.push('elected'))
      const offDeposed = only?.on('deposed', () => void seen.push('deposed'))
      offElected?.()
      offDeposed?.()
      await only?.start()
      await until(() => only?.isLeader === true, handoverMs, 'the election')
      await only?.resign()
      expect(seen).toEqual([])
      expect(election.log.map((e) => e.event)).toEqual(['elected', 'deposed'])
    })
  })
}
