import { describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
import { thrown } from '../__tests__/errors.js'
import { toMs } from './duration.js'

describe('toMs', () => {
  it('toMs() accepts milliseconds and duration strings', () => {
    expect(toMs(250, 'ttl')).toBe(250)
    expect(toMs('250ms', 'ttl')).toBe(250)
    expect(toMs('30s', 'ttl')).toBe(30_000)
    expect(toMs('1.5m', 'ttl')).toBe(90_000)
    expect(toMs('2h', 'ttl')).toBe(7_200_000)
    expect(toMs('1d', 'ttl')).toBe(86_400_000)
  })

  it('toMs() rejects negative, NaN, infinite and unparsable values with INVALID_TTL naming the option', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '10 parsecs', '', '-5s']) {
      let caught: unknown
      try {
        toMs(bad as number, 'swr')
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_TTL')).toBe(true)
      expect((caught as Error).message).toContain('swr')
    }
  })

  it("toMs() throws the caller's code, never a TypeError, for BigInts, symbols, objects and other non-durations", () => {
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    const cases: [unknown, string][] = [
      [10n, 'got 10n (a BigInt)'],
      [Symbol('ttl'), 'got Symbol(ttl) (a symbol)'],
      [Number.NaN, 'got NaN'],
      [Number.POSITIVE_INFINITY, 'got Infinity'],
      [-1, 'got -1'],
      [{ ms: 5 }, 'got an object'],
      [
        {
          toJSON: () => {
            throw new Error('no')
          },
        },
        'got an object',
      ],
      [Object.create(null), 'got an object'],
      [new Date(0), 'got an instance of Date'],
      [revoked.proxy, 'got an object that cannot be inspected'],
      [[5], 'got an array'],
      [() => 5, 'got a function'],
      [null, 'got null'],
      [undefined, 'got undefined'],
      [true, 'got true'],
      ['5 s s', 'got "5 s s"'],
      ['9'.repeat(400) + 'd', 'fits in a number of milliseconds'],
    ]
    for (const code of ['INVALID_TTL', 'INVALID_OPTION', 'INVALID_ARGUMENT'] as const) {
      for (const [bad, problem] of cases) {
        const error = thrown(() => toMs(bad as number, 'lockWaitMs', code))
        expect(isPerfError(error, code), `${problem}: ${String(error)}`).toBe(true)
        expect(error.message).toContain('lockWaitMs must be')
        expect(error.message).toContain(problem)
      }
    }
  })
})
