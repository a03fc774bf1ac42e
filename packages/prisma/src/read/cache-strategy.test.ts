import { isPerfError } from '@perf/core'
import { describe, expect, it } from 'vitest'
import { resolveStrategy, strategyMs, validateStrategy } from './cache-strategy.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return isPerfError(err) ? err.code : 'not a PerfError'
  }
  return undefined
}

describe('strategyMs()', () => {
  it('reads numbers as seconds and strings as durations', () => {
    expect(strategyMs(60, 'ttl')).toBe(60_000)
    expect(strategyMs(0.5, 'ttl')).toBe(500)
    expect(strategyMs('250ms', 'ttl')).toBe(250)
    expect(strategyMs('2m', 'ttl')).toBe(120_000)
  })

  it('throws INVALID_TTL for negative, NaN and unparsable values', () => {
    expect(codeOf(() => strategyMs(-1, 'cacheStrategy.ttl'))).toBe('INVALID_TTL')
    expect(codeOf(() => strategyMs(Number.NaN, 'cacheStrategy.ttl'))).toBe('INVALID_TTL')
    expect(codeOf(() => strategyMs('soon', 'cacheStrategy.ttl'))).toBe('INVALID_TTL')
  })
})

describe('validateStrategy()', () => {
  it('throws INVALID_CACHE_STRATEGY for non-objects, unknown keys and bad tags', () => {
    expect(codeOf(() => validateStrategy(60, 'cacheStrategy'))).toBe('INVALID_CACHE_STRATEGY')
    expect(codeOf(() => validateStrategy({ ttl: 1, maxAge: 2 }, 'cacheStrategy'))).toBe('INVALID_CACHE_STRATEGY')
    expect(codeOf(() => validateStrategy({ tags: [''] }, 'cacheStrategy'))).toBe('INVALID_CACHE_STRATEGY')
    expect(codeOf(() => validateStrategy({ tags: 'users' }, 'cacheStrategy'))).toBe('INVALID_CACHE_STRATEGY')
    expect(codeOf(() => validateStrategy({ ttl: -5 }, 'cacheStrategy'))).toBe('INVALID_TTL')
    expect(validateStrategy({ ttl: 1, swr: '5s', tags: ['a'] }, 'cacheStrategy')).toEqual({
      ttl: 1,
      swr: '5s',
      tags: ['a'],
    })
  })
})

describe('resolveStrategy()', () => {
  it('lets per-call fields win over model defaults and combines tags', () => {
    expect(resolveStrategy({ ttl: 5, tags: ['b'] }, { ttl: 60, swr: 10, tags: ['a'] }, 'cacheStrategy')).toEqual({
      ttlMs: 5000,
      swrMs: 10_000,
      tags: ['a', 'b'],
    })
    expect(resolveStrategy({}, undefined, 'cacheStrategy')).toEqual({ ttlMs: undefined, swrMs: 0, tags: [] })
  })
})
