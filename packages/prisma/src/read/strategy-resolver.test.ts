import { PerfError } from '@perf/core'
import { describe, expect, it } from 'vitest'
import { StrategyResolver } from './strategy-resolver.js'

const typed = (code: string) => expect.objectContaining({ code, constructor: PerfError })

describe('StrategyResolver', () => {
  it('resolve() returns the same object for equal strategies, fresh objects or not', () => {
    const resolver = new StrategyResolver(undefined)
    const strategy = { ttl: 60 }
    const first = resolver.resolve(strategy)
    expect(first).toEqual({ ttlMs: 60_000, swrMs: 0, tags: [] })
    expect(resolver.resolve(strategy)).toBe(first)
    expect(resolver.resolve({ ttl: 60 })).toBe(first)
    expect(resolver.resolve({ ttl: 30 })).toEqual({ ttlMs: 30_000, swrMs: 0, tags: [] })
    expect(resolver.resolve({ ttl: 60, tags: ['a'] })).toEqual({ ttlMs: 60_000, swrMs: 0, tags: ['a'] })
    expect(resolver.resolve({ ttl: 60, tags: ['a'] })).toBe(resolver.resolve({ ttl: 60, tags: ['a'] }))
  })

  it('resolve() rejects a negative ttl with INVALID_TTL, also after the same object was resolved', () => {
    const resolver = new StrategyResolver(undefined)
    expect(() => resolver.resolve({ ttl: -1 })).toThrow(typed('INVALID_TTL'))
    const strategy: { ttl: number | string; swr?: number } = { ttl: 60 }
    resolver.resolve(strategy)
    strategy.ttl = -1
    expect(() => resolver.resolve(strategy)).toThrow(typed('INVALID_TTL'))
    strategy.ttl = 'soon'
    expect(() => resolver.resolve(strategy)).toThrow(typed('INVALID_TTL'))
    strategy.ttl = 60
    strategy.swr = Number.NaN
    expect(() => resolver.resolve(strategy)).toThrow(typed('INVALID_TTL'))
  })

  it('resolve() validates again when keys are added or tags change in place', () => {
    const resolver = new StrategyResolver(undefined)
    const strategy: Record<string, unknown> = { ttl: 60, tags: ['a'] }
    resolver.resolve(strategy)
    ;(strategy.tags as string[]).push('')
    expect(() => resolver.resolve(strategy)).toThrow(typed('INVALID_CACHE_STRATEGY'))
    strategy.tags = ['a']
    resolver.resolve(strategy)
    strategy.maxAge = 5
    expect(() => resolver.resolve(strategy)).toThrow(typed('INVALID_CACHE_STRATEGY'))
    expect(() => resolver.resolve(60)).toThrow(typed('INVALID_CACHE_STRATEGY'))
    expect(() => resolver.resolve(null)).toThrow(typed('INVALID_CACHE_STRATEGY'))
  })

  it('resolve() merges over the model defaults, returns undefined for false and for no strategy without defaults', () => {
    const withDefaults = new StrategyResolver({ ttl: 60, swr: 10, tags: ['m'] })
    expect(withDefaults.resolve(undefined)).toEqual({ ttlMs: 60_000, swrMs: 10_000, tags: ['m'] })
    expect(withDefaults.resolve(undefined)).toBe(withDefaults.resolve(undefined))
    expect(withDefaults.resolve({ ttl: 5, tags: ['c'] })).toEqual({ ttlMs: 5_000, swrMs: 10_000, tags: ['m', 'c'] })
    expect(withDefaults.resolve(false)).toBeUndefined()
    const without = new StrategyResolver(undefined)
    expect(without.resolve(undefined)).toBeUndefined()
    expect(without.resolve(false)).toBeUndefined()
  })
})
