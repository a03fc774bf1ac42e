import { describe, expect, it } from 'vitest'
import { canonicalize, stableKey } from './stable-key.js'
import { thrown } from '../../__tests__/errors.js'
import { HOSTILE_VALUES, expectTypedErrors } from '../__tests__/hostile-values.js'

describe('stableKey', () => {
  it('stableKey() ignores object key order at every depth', () => {
    expect(stableKey({ a: 1, b: { c: 2, d: 3 } })).toBe(stableKey({ b: { d: 3, c: 2 }, a: 1 }))
    expect(stableKey([{ x: 1, y: 2 }])).toBe(stableKey([{ y: 2, x: 1 }]))
  })

  it('stableKey() returns a base64url digest of at most 27 characters', () => {
    const key = stableKey({ where: { id: 1 } })
    expect(key).toMatch(/^[A-Za-z0-9_-]{1,27}$/)
    expect(stableKey({ where: { id: 1 } })).toBe(key)
  })

  it('stableKey() keeps types apart: number, string, bigint, Date, ISO string, null, undefined', () => {
    const date = new Date('2024-01-01T00:00:00.000Z')
    const keys = [
      1,
      '1',
      1n,
      true,
      'true',
      date,
      date.toISOString(),
      date.getTime(),
      null,
      undefined,
      'null',
      'undefined',
      [1],
      { 0: 1 },
    ]
    expect(new Set(keys.map((value) => stableKey(value))).size).toBe(keys.length)
  })

  it('stableKey() keeps array order and length', () => {
    expect(stableKey([1, 2])).not.toBe(stableKey([2, 1]))
    expect(stableKey([1])).not.toBe(stableKey([1, undefined]))
    expect(stableKey([null])).not.toBe(stableKey([undefined]))
  })

  it('stableKey() treats an object property whose value is undefined as absent (Prisma semantics)', () => {
    expect(stableKey({ a: 1, b: undefined })).toBe(stableKey({ a: 1 }))
    expect(stableKey({ where: { deletedAt: undefined } })).toBe(stableKey({ where: {} }))
    expect(stableKey({ a: null })).not.toBe(stableKey({ a: undefined }))
  })

  it('stableKey() distinguishes nesting and keys that contain separators', () => {
    expect(stableKey({ 'a.b': 1 })).not.toBe(stableKey({ a: { b: 1 } }))
    expect(stableKey({ a: '1,"b":2' })).not.toBe(stableKey({ a: '1', b: 2 }))
    expect(stableKey({ a: 'x"y' })).not.toBe(stableKey({ a: 'x', y: '' }))
  })

  it('canonicalize() sorts Map entries and Set elements and names special values', () => {
    expect(
      canonicalize(
        new Map([
          [2, 'b'],
          [1, 'a'],
        ]),
      ),
    ).toBe(
      canonicalize(
        new Map([
          [1, 'a'],
          [2, 'b'],
        ]),
      ),
    )
    expect(canonicalize(new Set([3, 1, 2]))).toBe('Set[1,2,3]')
    expect(canonicalize({ b: [2, 1], a: undefined, c: new Date(0) })).toBe('{"b":[2,1],"c":Date(0)}')
    expect(canonicalize([Number.NaN, Infinity, -Infinity, -0, 10n])).toBe('[NaN,Infinity,-Infinity,0,10n]')
    expect(canonicalize(new Date(Number.NaN))).toBe('Date(NaN)')
    expect(canonicalize(Buffer.from('hi'))).toBe(canonicalize(new Uint8Array([104, 105])))
    expect(canonicalize(/a+/gi)).toBe('RegExp("/a+/gi")')
    expect(canonicalize({ 'we"ird': 'va\nlue' })).toBe('{"we\\"ird":"va\\nlue"}')
  })

  it('canonicalize() orders keys by UTF-16 code units, also beyond the small-sort size', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${(i * 7) % 40}`)
    const object = Object.fromEntries(keys.map((key) => [key, 1]))
    const expected =
      '{' +
      [...keys]
        .sort()
        .map((key) => `"${key}":1`)
        .join(',') +
      '}'
    expect(canonicalize(object)).toBe(expected)
    expect(canonicalize({ b: 1, B: 2, a: 3, _: 4, é: 5 })).toBe('{"B":2,"_":4,"a":3,"b":1,"é":5}')
  })

  it('canonicalize() writes class instances as name plus toJSON() or their own properties', () => {
    class Decimal {
      constructor(private readonly text: string) {}
      toJSON(): string {
        return this.text
      }
    }
    class DbNull {}
    class JsonNull {}
    expect(canonicalize(new Decimal('1.50'))).toBe('Decimal("1.50")')
    expect(stableKey({ price: new Decimal('1.5') })).not.toBe(stableKey({ price: '1.5' }))
    expect(stableKey(new DbNull())).not.toBe(stableKey(new JsonNull()))
    expect(stableKey(new DbNull())).not.toBe(stableKey({}))
  })

  it('stableKey() throws UNSERIALIZABLE_VALUE naming the path for functions, symbols, cycles and promises', () => {
    const fn = thrown(() => stableKey({ where: { id: () => 1 } }))
    expect(fn.code).toBe('UNSERIALIZABLE_VALUE')
    expect(fn.message).toContain('value.where.id is a function')
    expect(thrown(() => stableKey([Symbol('s')])).message).toContain('value[0] is a symbol')
    const cyclic: Record<string, unknown> = { a: {} }
    ;(cyclic.a as Record<string, unknown>).back = cyclic
    expect(thrown(() => stableKey(cyclic)).message).toContain('value.a.back is a circular reference')
    expect(thrown(() => stableKey({ p: Promise.resolve() })).message).toContain('value.p is a Promise')
    expect(thrown(() => stableKey(new Set([new WeakMap()]))).code).toBe('UNSERIALIZABLE_VALUE')
  })

  it('stableKey() accepts shared references and deep chains', () => {
    const shared = { id: 1 }
    expect(stableKey({ a: shared, b: shared })).toBe(stableKey({ a: { id: 1 }, b: { id: 1 } }))
    let chain: unknown = 0
    for (let i = 0; i < 200; i++) chain = { next: chain }
    expect(stableKey(chain)).toMatch(/^[\w-]{27}$/)
  })

  it('stableKey() throws UNSERIALIZABLE_VALUE with cause when reading the value throws, toJSON() included', () => {
    expectTypedErrors(
      stableKey,
      HOSTILE_VALUES.map((h) => h.name),
    )
    expect(thrown(() => stableKey({ user: HOSTILE_VALUES.at(-1)?.make() })).message).toContain(
      'value.user is an instance of ThrowingToJSON whose toJSON() threw: Error: toJSON boom',
    )
  })
})
