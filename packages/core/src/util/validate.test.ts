import { describe, expect, it } from 'vitest'
import { thrown } from '../__tests__/errors.js'
import { isPerfError } from '../errors.js'
import { assertInt, assertNumber, assertOneOf, describeValue } from './validate.js'

describe('validate', () => {
  it('assertInt(), assertNumber() and assertOneOf() throw INVALID_OPTION naming the option for values String() cannot print', () => {
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    for (const bad of [
      Object.create(null),
      revoked.proxy,
      Symbol('s'),
      5n,
      {
        toString: () => {
          throw new Error('no')
        },
      },
    ]) {
      for (const check of [
        () => assertInt(bad, 'maxBytes'),
        () => assertNumber(bad, 'maxBytes'),
        () => assertOneOf(bad, 'maxBytes', ['a']),
      ]) {
        const error = thrown(check)
        expect(isPerfError(error, 'INVALID_OPTION')).toBe(true)
        expect(error.message).toMatch(/^\[perf\] option "maxBytes" must be .*, got /)
      }
    }
  })

  it('describeValue() names any value without throwing', () => {
    expect(describeValue('x'.repeat(100))).toBe(JSON.stringify('x'.repeat(64) + '…'))
    expect(describeValue(5n)).toBe('5n (a BigInt)')
    expect(describeValue(Symbol('k'))).toBe('Symbol(k) (a symbol)')
    expect(describeValue(new Map())).toBe('an instance of Map')
    expect(describeValue(Object.create(null))).toBe('an object')
    expect(
      describeValue(
        new Proxy(
          {},
          {
            getPrototypeOf: () => {
              throw new Error('trap')
            },
          },
        ),
      ),
    ).toBe('an object that cannot be inspected')
  })
})
