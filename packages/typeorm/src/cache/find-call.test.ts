import { isPerfError } from '@perf/core'
import { describe, expect, it } from 'vitest'
import { optionsShape, resolveCall } from './find-call.js'

const plan = { name: 'User', ttlMs: undefined as number | undefined }

describe('resolveCall', () => {
  it('takes the call option first, then the entity ttl, then TypeORM default duration for cache: true', () => {
    expect(resolveCall(undefined, plan, 1000, 'find')).toBeUndefined()
    expect(resolveCall(undefined, { ...plan, ttlMs: 5 }, 1000, 'find')).toEqual({ ttlMs: 5, id: undefined })
    expect(resolveCall(false, { ...plan, ttlMs: 5 }, 1000, 'find')).toBeUndefined()
    expect(resolveCall(true, plan, 1000, 'find')).toEqual({ ttlMs: 1000, id: undefined })
    expect(resolveCall(250, { ...plan, ttlMs: 5 }, 1000, 'find')).toEqual({ ttlMs: 250, id: undefined })
    expect(resolveCall({ id: 'x' }, plan, 1000, 'find')).toEqual({ ttlMs: 1000, id: 'x' })
    expect(resolveCall({ id: 'x', milliseconds: 9 }, plan, 1000, 'find')).toEqual({ ttlMs: 9, id: 'x' })
    expect(resolveCall(0, { ...plan, ttlMs: 5 }, 1000, 'find')).toBeUndefined()
  })

  it('rejects a negative ttl with INVALID_TTL and other shapes with INVALID_OPTION', () => {
    expect(() => resolveCall(-1, plan, 1000, 'find')).toThrow(expect.objectContaining({ code: 'INVALID_TTL' }))
    let error: unknown
    try {
      resolveCall('soon', plan, 1000, 'find')
    } catch (e) {
      error = e
    }
    expect(isPerfError(error, 'INVALID_OPTION')).toBe(true)
  })
})

describe('optionsShape', () => {
  it('folds values and value lists, keeps keys, nesting and operator types', () => {
    expect(optionsShape({ where: { id: 1 } }, 0)).toBe(optionsShape({ where: { id: 2 } }, 0))
    expect(optionsShape({ where: { id: { _type: 'in', _value: [1, 2] } } }, 0)).toBe(
      optionsShape({ where: { id: { _type: 'in', _value: [3] } } }, 0),
    )
    expect(optionsShape({ where: { author: { id: 1 } } }, 0)).not.toBe(optionsShape({ where: { author: 1 } }, 0))
    expect(optionsShape({ relations: { posts: true } }, 0)).not.toBe(optionsShape({ relations: { tags: true } }, 0))
    expect(optionsShape({ b: 1, a: new Date() }, 0)).toBe(optionsShape({ a: 2, b: 'x' }, 0))
  })
})
