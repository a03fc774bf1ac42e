import { describe, expect, it } from 'vitest'
import { DeadlockError, ERROR_CODES, PerfError, isPerfError } from './errors.js'

describe('PerfError', () => {
  it('isPerfError() recognises the brand, with and without a code', () => {
    const err = new PerfError('INVALID_KEY', 'bad key', { context: { key: '' } })
    expect(isPerfError(err)).toBe(true)
    expect(isPerfError(err, 'INVALID_KEY')).toBe(true)
    expect(isPerfError(err, 'INVALID_TTL')).toBe(false)
    expect(isPerfError(new Error('x'))).toBe(false)
    expect(err.context).toEqual({ key: '' })
  })

  it('isPerfError() works across copies of core (brand is a global symbol)', () => {
    const foreign = Object.assign(new Error('x'), { code: 'INVALID_KEY' })
    Object.defineProperty(foreign, Symbol.for('@perf/core.PerfError'), { value: true })
    expect(isPerfError(foreign, 'INVALID_KEY')).toBe(true)
  })

  it('DeadlockError carries the cycle and the DEADLOCK code', () => {
    const err = new DeadlockError('cycle', ['a', 'r1', 'b', 'r2', 'a'])
    expect(err.code).toBe('DEADLOCK')
    expect(err.cycle).toEqual(['a', 'r1', 'b', 'r2', 'a'])
    expect(err).toBeInstanceOf(PerfError)
    expect(Object.keys(ERROR_CODES)).toContain(err.code)
  })
})
