import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { isPerfError, type PerfError } from '../errors.js'
import { recommendPoolSize } from './recommend-pool-size.js'

describe('recommendPoolSize', () => {
  it('recommendPoolSize() starts from cores × 2 + effective spindles', () => {
    const result = recommendPoolSize({ cores: 4, effectiveSpindles: 1 })
    expect(result).toMatchObject({ size: 9, perInstance: 9, total: 9 })
    expect(result.reasoning[0]).toBe(
      'base: 4 cores × 2 + 1 effective spindle(s) = 9 connections the database can keep busy at once',
    )
  })

  it('recommendPoolSize() splits the base across instances', () => {
    const result = recommendPoolSize({ cores: 8, effectiveSpindles: 0, instances: 3 })
    expect(result).toMatchObject({ size: 6, total: 18 })
    expect(result.reasoning).toContain('split across 3 instances: ceil(16 / 3) = 6 per instance')
  })

  it('recommendPoolSize() raises the size toward the observed peak but never above the server cap', () => {
    expect(
      recommendPoolSize({ cores: 2, instances: 2, observedPeakConcurrency: 12, serverMaxConnections: 100 }),
    ).toMatchObject({ size: 12, total: 24 })
    const capped = recommendPoolSize({
      cores: 2,
      instances: 4,
      observedPeakConcurrency: 40,
      serverMaxConnections: 100,
      reservedConnections: 3,
    })
    expect(capped).toMatchObject({ size: 24, total: 96 })
    expect(capped.reasoning.join('\n')).toContain('floor((100 max_connections − 3 reserved) / 4 instances) = 24')
    const kept = recommendPoolSize({ cores: 8, observedPeakConcurrency: 3 })
    expect(kept.size).toBe(17)
    expect(kept.reasoning).toContain('observed peak concurrency 3 fits within 17: kept 17')
  })

  it('recommendPoolSize() caps the base itself when the server limit is lower', () => {
    const result = recommendPoolSize({ cores: 32, instances: 10, serverMaxConnections: 50, reservedConnections: 10 })
    expect(result).toMatchObject({ size: 4, total: 40 })
  })

  it('recommendPoolSize() never goes below 1, and says the deployment oversubscribes the server', () => {
    const result = recommendPoolSize({ cores: 4, instances: 50, serverMaxConnections: 20, reservedConnections: 3 })
    expect(result).toMatchObject({ size: 1, total: 50 })
    expect(result.reasoning.at(-1)).toContain('PgBouncer')
  })

  it('recommendPoolSize() defaults cores to this machine and says so', () => {
    const result = recommendPoolSize()
    expect(result.size).toBe(availableParallelism() * 2 + 1)
    expect(result.reasoning[0]).toContain('cores not given')
    expect(result.reasoning.at(-1)).toBe('serverMaxConnections not given: no server cap applied')
  })

  it('recommendPoolSize() rejects invalid input with INVALID_OPTION naming the field', () => {
    const cases: Array<[string, object]> = [
      ['cores', { cores: 0 }],
      ['cores', { cores: 2.5 }],
      ['effectiveSpindles', { effectiveSpindles: -1 }],
      ['instances', { instances: 0 }],
      ['serverMaxConnections', { serverMaxConnections: 0 }],
      ['reservedConnections', { reservedConnections: -2 }],
      ['reservedConnections', { serverMaxConnections: 10, reservedConnections: 10 }],
      ['observedPeakConcurrency', { observedPeakConcurrency: Number.NaN }],
    ]
    for (const [option, input] of cases) {
      let caught: unknown
      try {
        recommendPoolSize(input)
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_OPTION'), option).toBe(true)
      expect((caught as PerfError).context.option).toBe(option)
    }
  })
})
