import { describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
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
})
