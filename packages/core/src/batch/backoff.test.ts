import { describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
import { backoff, type Backoff } from './backoff.js'

const first = (b: Backoff, n: number): number[] => Array.from({ length: n }, (_, i) => b.delay(i + 1))

describe('backoff', () => {
  it('exponential() without jitter doubles from initialMs and stops at maxMs', () => {
    expect(first(backoff.exponential({ initialMs: 100, maxMs: 1_000, jitter: 'none' }), 6)).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ])
    expect(first(backoff.exponential({ initialMs: 10, factor: 3, jitter: 'none' }), 4)).toEqual([10, 30, 90, 270])
  })

  it('exponential() stays at maxMs for very large retry numbers instead of overflowing', () => {
    const b = backoff.exponential({ initialMs: 100, maxMs: '30s', jitter: 'none' })
    expect(b.delay(5_000)).toBe(30_000)
  })

  it('linear() adds stepMs (default initialMs) per retry', () => {
    expect(first(backoff.linear({ initialMs: 100, jitter: 'none' }), 4)).toEqual([100, 200, 300, 400])
    expect(first(backoff.linear({ initialMs: 100, stepMs: 50, maxMs: 220, jitter: 'none' }), 4)).toEqual([
      100, 150, 200, 220,
    ])
  })

  it('fixed() waits initialMs every time and has no jitter by default', () => {
    expect(first(backoff.fixed({ initialMs: '250ms' }), 3)).toEqual([250, 250, 250])
  })

  it('fibonacci() scales 1, 1, 2, 3, 5, 8 by initialMs', () => {
    expect(first(backoff.fibonacci({ initialMs: 10, jitter: 'none' }), 7)).toEqual([10, 10, 20, 30, 50, 80, 130])
    expect(backoff.fibonacci({ initialMs: 10, maxMs: 1_000, jitter: 'none' }).delay(500)).toBe(1_000)
  })

  it('full jitter draws uniformly in [0, capped delay] from the injected random source', () => {
    const draws = [0, 0.5, 0.999_999]
    let i = 0
    const b = backoff.exponential({ initialMs: 100, maxMs: 300, random: () => draws[i++ % draws.length] as number })
    expect([b.delay(1), b.delay(1), b.delay(1)]).toEqual([0, 50, 100])
    // retry 3 would be 400 without the cap: jitter spreads over [0, 300]
    expect([b.delay(3), b.delay(3), b.delay(3)]).toEqual([0, 150, 300])
  })

  it('full jitter with Math.random stays within bounds', () => {
    const b = backoff.fibonacci({ initialMs: 100, maxMs: 400 })
    for (let retry = 1; retry <= 10; retry++) {
      const cap = Math.min(400, 100 * [1, 1, 2, 3, 5, 8, 13, 21, 34, 55][retry - 1]!)
      for (let n = 0; n < 50; n++) {
        const d = b.delay(retry)
        expect(d).toBeGreaterThanOrEqual(0)
        expect(d).toBeLessThanOrEqual(cap)
      }
    }
  })

  it('rejects malformed options with INVALID_OPTION naming the option, and bad retry numbers with INVALID_ARGUMENT', () => {
    const cases: Array<[string, () => unknown]> = [
      ['initialMs', () => backoff.exponential({ initialMs: -1 })],
      ['maxMs', () => backoff.linear({ initialMs: 100, maxMs: 50 })],
      ['factor', () => backoff.exponential({ factor: 0.5 })],
      ['jitter', () => backoff.fixed({ jitter: 'half' as never })],
      ['random', () => backoff.fibonacci({ random: 1 as never })],
      ['stepMs', () => backoff.linear({ stepMs: 'x' })],
    ]
    for (const [option, make] of cases) {
      let caught: unknown
      try {
        make()
      } catch (error) {
        caught = error
      }
      expect(isPerfError(caught, 'INVALID_OPTION'), option).toBe(true)
      expect((caught as Error).message).toContain(option)
    }
    expect(() => backoff.fixed().delay(0)).toThrow(/retry/)
    expect(() => backoff.fixed().delay(1.5)).toThrow(/integer/)
  })
})
