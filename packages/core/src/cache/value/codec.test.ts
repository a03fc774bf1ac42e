import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { thrown } from '../../__tests__/errors.js'
import { type CodecClass, createCodec } from './codec.js'

class Money {
  constructor(
    readonly cents: bigint,
    readonly currency: string,
  ) {}
}
class Euro extends Money {}

const money: CodecClass<Money, { cents: bigint; currency: string }> = {
  name: 'Money',
  type: Money,
  encode: (m) => ({ cents: m.cents, currency: m.currency }),
  decode: (json) => new Money(json.cents, json.currency),
}

function bytesOf(header: number, text: string): Uint8Array {
  return Buffer.concat([Buffer.from([header]), Buffer.from(text)])
}

const codec = createCodec({ classes: [money] })
const roundTrip = (value: unknown): unknown => codec.decode(codec.encode(value))

describe('createCodec', () => {
  it('encode()/decode() round-trip plain JSON values', () => {
    const value = {
      s: 'héllo "✓"\n',
      n: 1.5e-7,
      big: 1e21,
      i: -42,
      t: true,
      f: false,
      z: null,
      list: [1, [2, [3]], { a: {} }],
      empty: [],
    }
    expect(roundTrip(value)).toEqual(value)
    for (const primitive of ['', 'text', 0, 7, true, null]) expect(roundTrip(primitive)).toBe(primitive)
  })

  it('decode() reads a plain Uint8Array, a Buffer and a Buffer view at an offset alike, compressed or not', () => {
    const value = { name: 'Ada ~ Lovelace', at: new Date(0), tags: ['~d', 'x'] }
    const squeezing = createCodec({ compressThreshold: 1 })
    for (const c of [codec, squeezing]) {
      const bytes = c.encode(value)
      const inBigger = Buffer.concat([Buffer.from('xyz'), Buffer.from(bytes)]).subarray(3)
      for (const input of [bytes, new Uint8Array(bytes), inBigger]) expect(c.decode(input)).toEqual(value)
    }
  })

  it('encode()/decode() round-trip Date (invalid ones too) and BigInt', () => {
    const out = roundTrip({
      at: new Date('2024-02-29T23:59:59.999Z'),
      bad: new Date(Number.NaN),
      n: -(2n ** 100n),
    }) as Record<string, unknown>
    expect(out.at).toBeInstanceOf(Date)
    expect((out.at as Date).toISOString()).toBe('2024-02-29T23:59:59.999Z')
    expect(out.bad).toBeInstanceOf(Date)
    expect(Number.isNaN((out.bad as Date).getTime())).toBe(true)
    expect(out.n).toBe(-(2n ** 100n))
  })

  it('encode()/decode() bring Uint8Array, Buffer, other typed arrays and ArrayBuffer back as their own classes', () => {
    const out = roundTrip({
      u8: new Uint8Array([0, 1, 255]),
      buf: Buffer.from('héllo'),
      f64: new Float64Array([1.5, -0, Number.NaN]),
      i32: new Int32Array([-1, 2 ** 31 - 1]),
      big: new BigInt64Array([-5n]),
      ab: new Uint8Array([9, 8]).buffer,
      slice: new Uint8Array([1, 2, 3, 4]).subarray(1, 3),
    }) as Record<string, unknown>
    expect(out.u8).toBeInstanceOf(Uint8Array)
    expect(Buffer.isBuffer(out.u8)).toBe(false)
    expect([...(out.u8 as Uint8Array)]).toEqual([0, 1, 255])
    expect(Buffer.isBuffer(out.buf)).toBe(true)
    expect((out.buf as Buffer).toString()).toBe('héllo')
    expect(out.f64).toBeInstanceOf(Float64Array)
    expect(Object.is((out.f64 as Float64Array)[1], -0)).toBe(true)
    expect([...(out.i32 as Int32Array)]).toEqual([-1, 2 ** 31 - 1])
    expect([...(out.big as BigInt64Array)]).toEqual([-5n])
    expect(out.ab).toBeInstanceOf(ArrayBuffer)
    expect([...new Uint8Array(out.ab as ArrayBuffer)]).toEqual([9, 8])
    expect([...(out.slice as Uint8Array)]).toEqual([2, 3])
  })

  it('encode()/decode() round-trip Map (any keys) and Set', () => {
    const value = new Map<unknown, unknown>([
      ['a', 1],
      [2, new Set([1, 'x', { y: [new Date(0)] }])],
      [{ k: 1 }, new Map([[1n, 'big']])],
    ])
    const out = roundTrip(value) as Map<unknown, unknown>
    expect(out).toBeInstanceOf(Map)
    expect(out).toEqual(value)
    expect(out.get(2)).toBeInstanceOf(Set)
  })

  it('encode()/decode() keep undefined at the top, as a property (the key stays) and as an array element', () => {
    expect(roundTrip(undefined)).toBeUndefined()
    const out = roundTrip({ a: undefined, list: [undefined, 1, undefined] }) as Record<string, unknown>
    expect(Object.keys(out)).toEqual(['a', 'list'])
    expect('a' in out && out.a === undefined).toBe(true)
    expect(out.list).toEqual([undefined, 1, undefined])
    expect((out.list as unknown[]).length).toBe(3)
  })

  it('encode()/decode() round-trip NaN, Infinity, -Infinity and -0', () => {
    const out = roundTrip([Number.NaN, Infinity, -Infinity, -0, 0]) as number[]
    expect(Number.isNaN(out[0])).toBe(true)
    expect(out[1]).toBe(Infinity)
    expect(out[2]).toBe(-Infinity)
    expect(Object.is(out[3], -0)).toBe(true)
    expect(Object.is(out[4], 0)).toBe(true)
  })

  it('encode()/decode() round-trip user keys and strings that look like tags', () => {
    const value = {
      '~d': 5,
      '~~x': { '~u': 0 },
      '~': '~',
      '~m': ['~s'],
      plain: '{"~d":1}',
      nested: new Map([['~b', { '~c': 1 }]]),
    }
    expect(roundTrip(value)).toEqual(value)
    expect(Object.keys(roundTrip({ b: 1, '~a': 2, c: 3 }) as object)).toEqual(['b', '~a', 'c'])
  })

  it('encode()/decode() round-trip registered classes, nested, and subclasses through the base registration', () => {
    const out = roundTrip({ price: new Money(1999n, 'EUR'), list: [new Money(1n, 'USD')] }) as {
      price: Money
      list: Money[]
    }
    expect(out.price).toBeInstanceOf(Money)
    expect(out.price).toEqual(new Money(1999n, 'EUR'))
    expect(out.list[0]).toEqual(new Money(1n, 'USD'))
    expect(roundTrip(new Euro(5n, 'EUR'))).toEqual(new Money(5n, 'EUR'))
  })

  it('register() adds a class after creation and refuses duplicates and malformed entries', () => {
    const late = createCodec()
    expect(thrown(() => late.encode(new Money(1n, 'X'))).code).toBe('UNSERIALIZABLE_VALUE')
    expect(late.register(money)).toBe(late)
    expect(late.decode(late.encode(new Money(1n, 'X')))).toEqual(new Money(1n, 'X'))
    expect(thrown(() => late.register(money)).code).toBe('INVALID_OPTION')
    expect(thrown(() => late.register({ ...money, name: 'Other' })).code).toBe('INVALID_OPTION')
    expect(thrown(() => late.register({ ...money, name: '' })).code).toBe('INVALID_OPTION')
    expect(thrown(() => late.register({ ...money, name: 'NoEncode', encode: undefined as never })).code).toBe(
      'INVALID_OPTION',
    )
    expect(thrown(() => createCodec({ classes: [{ ...money, type: {} as never }] })).code).toBe('INVALID_OPTION')
  })

  it('createCodec() rejects malformed options with INVALID_OPTION', () => {
    expect(thrown(() => createCodec({ compressThreshold: -1 })).code).toBe('INVALID_OPTION')
    expect(thrown(() => createCodec({ maxBytes: 0 })).code).toBe('INVALID_OPTION')
    expect(thrown(() => createCodec({ classes: money as never })).code).toBe('INVALID_OPTION')
    expect(thrown(() => createCodec('x' as never)).code).toBe('INVALID_OPTION')
  })

  it('encode() writes a 1-byte header: wire version 1 and no flags', () => {
    expect(codec.encode({ a: 1 })[0]).toBe(0x10)
    expect(
      Buffer.from(codec.encode({ a: 1 }))
        .subarray(1)
        .toString(),
    ).toBe('{"a":1}')
  })

  it('encode() compresses values of at least compressThreshold bytes when that makes them smaller, flagged in the header', () => {
    const small = createCodec({ compressThreshold: 1024 })
    const text = 'repeat me '.repeat(500)
    const packed = small.encode({ text })
    expect(packed[0]).toBe(0x11)
    expect(packed.byteLength).toBeLessThan(text.length / 5)
    expect(small.decode(packed)).toEqual({ text })
    expect(small.encode({ text: 'short' })[0]).toBe(0x10)
    // Deflating a 1-byte body makes it longer, so it is stored as is even with threshold 0.
    const always = createCodec({ compressThreshold: 0 })
    expect(always.encode(7)[0]).toBe(0x10)
    expect(always.decode(always.encode(7))).toBe(7)
    const noise = randomBytes(3000)
    expect(always.decode(always.encode(noise))).toEqual(noise)
    // A codec without compression still reads compressed bytes.
    expect(createCodec().decode(packed)).toEqual({ text })
  })

  it('encode() throws VALUE_TOO_LARGE beyond maxBytes, measured after compression', () => {
    const limited = createCodec({ maxBytes: 100 })
    const error = thrown(() => limited.encode('x'.repeat(200)))
    expect(error.code).toBe('VALUE_TOO_LARGE')
    expect(error.message).toContain('maxBytes=100')
    expect(
      createCodec({ maxBytes: 100, compressThreshold: 50 }).encode('x'.repeat(200)).byteLength,
    ).toBeLessThanOrEqual(100)
  })

  it('encode() throws UNSERIALIZABLE_VALUE naming the path of functions and symbols', () => {
    const fn = thrown(() => codec.encode({ user: { callback: () => 1 } }))
    expect(fn.code).toBe('UNSERIALIZABLE_VALUE')
    expect(fn.message).toContain('value.user.callback is a function')
    expect(fn.context.path).toBe('value.user.callback')
    expect(thrown(() => codec.encode([1, { 'odd key': Symbol('s') }])).message).toContain(
      'value[1]["odd key"] is a symbol',
    )
    expect(thrown(() => codec.encode(() => 1)).message).toContain('value is a function')
    expect(thrown(() => codec.encode(new Map([['k', { f: () => 1 }]]))).message).toContain(
      'value.get("k").f is a function',
    )
    expect(thrown(() => codec.encode(new Set([1, Symbol('x')]))).message).toContain('value.values()[1] is a symbol')
  })

  it('encode() throws UNSERIALIZABLE_VALUE for unregistered classes, WeakMap and Promise', () => {
    class Secret {}
    expect(thrown(() => codec.encode({ s: new Secret() })).message).toMatch(/value\.s is an instance of Secret/)
    expect(thrown(() => codec.encode({ w: new WeakMap() })).message).toMatch(/value\.w is an instance of WeakMap/)
    const promise = Promise.resolve(1)
    expect(thrown(() => codec.encode([promise])).message).toMatch(/value\[0\] is an instance of Promise/)
    expect(thrown(() => codec.encode(new DataView(new ArrayBuffer(1)))).code).toBe('UNSERIALIZABLE_VALUE')
  })

  it('encode() throws UNSERIALIZABLE_VALUE for cycles, shallow and deeper than the cheap check', () => {
    const shallow: Record<string, unknown> = { a: { b: {} } }
    ;(shallow.a as { b: Record<string, unknown> }).b.back = shallow
    expect(thrown(() => codec.encode(shallow)).message).toContain('value.a.b.back is a circular reference')
    const root: Record<string, unknown> = {}
    let node = root
    for (let i = 0; i < 100; i++) node = node.next = {}
    node.loop = root
    const deep = thrown(() => codec.encode(root))
    expect(deep.code).toBe('UNSERIALIZABLE_VALUE')
    expect(deep.message).toMatch(/value(\.next){100}\.loop is a circular reference/)
  })

  it('encode() accepts shared (non-cyclic) references and deep chains', () => {
    const shared = { n: 1 }
    expect(roundTrip({ a: shared, b: [shared, shared] })).toEqual({ a: { n: 1 }, b: [{ n: 1 }, { n: 1 }] })
    let chain: unknown = 'end'
    for (let i = 0; i < 300; i++) chain = { next: chain }
    expect(roundTrip(chain)).toEqual(chain)
    let tooDeep: unknown = 'end'
    for (let i = 0; i < 1100; i++) tooDeep = [tooDeep]
    expect(thrown(() => codec.encode(tooDeep)).message).toContain('nested deeper than 1000 levels')
  })

  it('decode() turns __proto__ and constructor keys into own properties and never touches a prototype', () => {
    const hostile = [
      '{"__proto__":{"polluted":"yes"},"a":1}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"x":{"~m":["__proto__",{"polluted":"yes"}]},"y":{"~~__proto__":{"polluted":"yes"}}}',
      '{"~~a":1,"__proto__":{"polluted":"yes"}}',
      '[{"__proto__":{"~d":0}},{"~s":[{"__proto__":{"polluted":"yes"}}]}]',
      '{"~c":["Money",{"__proto__":{"polluted":"yes"},"cents":{"~b":"1"},"currency":"EUR"}]}',
    ]
    for (const text of hostile) {
      const out = codec.decode(bytesOf(0x10, text))
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect(Object.prototype).not.toHaveProperty('polluted')
      expect(typeof out).toBe('object')
    }
    const first = codec.decode(bytesOf(0x10, hostile[0] as string)) as Record<string, unknown>
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype)
    expect(Object.hasOwn(first, '__proto__')).toBe(true)
    expect(first.polluted).toBeUndefined()
    const dated = codec.decode(bytesOf(0x10, hostile[4] as string)) as Record<string, unknown>[]
    expect(Object.getPrototypeOf(dated[0])).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(dated[0], '__proto__')?.value).toEqual(new Date(0))
    const unescaped = codec.decode(bytesOf(0x10, hostile[3] as string)) as Record<string, unknown>
    expect(Object.keys(unescaped)).toEqual(['~a', '__proto__'])
    expect(Object.getPrototypeOf(unescaped)).toBe(Object.prototype)
  })

  it('encode()/decode() and clone() keep an own __proto__ key as data', () => {
    const value = JSON.parse('{"__proto__":{"admin":true},"name":"x"}') as Record<string, unknown>
    for (const out of [roundTrip(value), codec.clone(value)] as Record<string, unknown>[]) {
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
      expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ admin: true })
      expect(out.admin).toBeUndefined()
    }
  })

  it('decode() throws DECODE_FAILED for corrupt bytes, unknown versions, flags, tags and classes', () => {
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([0x10]),
      bytesOf(0x20, '1'), // wire version 2
      bytesOf(0x14, '1'), // unknown flag
      bytesOf(0x10, '{"a":'),
      bytesOf(0x10, '{"~zz":1}'),
      bytesOf(0x10, '{"~d":1,"x":2}'),
      bytesOf(0x10, '{"~d":"yesterday"}'),
      bytesOf(0x10, '{"~b":"1.5"}'),
      bytesOf(0x10, '{"~n":"eleven"}'),
      bytesOf(0x10, '{"~t":["Int32Array","AAE="]}'),
      bytesOf(0x10, '{"~t":["Evil","AA=="]}'),
      bytesOf(0x10, '{"~m":[1]}'),
      bytesOf(0x10, '{"~c":["Unknown",1]}'),
      bytesOf(0x11, 'not deflate data'),
      'string' as never,
    ]
    for (const bytes of cases) expect(thrown(() => codec.decode(bytes)).code).toBe('DECODE_FAILED')
    expect(thrown(() => codec.decode(bytesOf(0x10, '{"~c":["Unknown",1]}'))).message).toContain(
      'class "Unknown" is not registered',
    )
  })

  it('decode() reports a registered class whose decode throws as DECODE_FAILED', () => {
    const strict = createCodec({
      classes: [
        {
          ...money,
          decode: () => {
            throw new Error('bad money')
          },
        },
      ],
    })
    const error = thrown(() => strict.decode(strict.encode(new Money(1n, 'X'))))
    expect(error.code).toBe('DECODE_FAILED')
    expect(error.message).toContain('bad money')
  })
})

describe('createCodec().clone', () => {
  it('clone() returns a deep copy sharing no mutable object', () => {
    const source = {
      id: 1,
      name: 'Ada',
      at: new Date(1000),
      tags: ['a', { b: [1] }],
      map: new Map([['k', { v: 1 }]]),
      set: new Set([{ s: 1 }]),
      bytes: new Uint8Array([1, 2]),
      buf: Buffer.from('ab'),
      f32: new Float32Array([1.5]),
      money: new Money(5n, 'EUR'),
      nothing: undefined,
    }
    const copy = codec.clone(source) as typeof source
    expect(copy).toEqual(source)
    expect(Object.keys(copy)).toEqual(Object.keys(source))
    for (const key of ['at', 'tags', 'map', 'set', 'bytes', 'buf', 'f32', 'money'] as const)
      expect(copy[key]).not.toBe(source[key])
    expect(copy.tags[1]).not.toBe(source.tags[1])
    expect(Buffer.isBuffer(copy.buf)).toBe(true)
    expect(Buffer.isBuffer(copy.bytes)).toBe(false)
    expect(copy.money).toBeInstanceOf(Money)
  })

  it('clone() isolates: mutating the copy leaves the source intact', () => {
    const source = { list: [{ n: 1 }], at: new Date(0), map: new Map([['k', [1]]]), bytes: Buffer.from('xy') }
    const copy = codec.clone(source) as typeof source
    copy.list[0]!.n = 99
    copy.list.push({ n: 2 })
    copy.at.setTime(5)
    copy.map.get('k')!.push(2)
    copy.bytes[0] = 0
    expect(source).toEqual({ list: [{ n: 1 }], at: new Date(0), map: new Map([['k', [1]]]), bytes: Buffer.from('xy') })
  })

  it('clone() uses a registered clone() when given, else decode(copy of encode())', () => {
    let cloned = 0
    const withClone = createCodec({
      classes: [{ ...money, clone: (m: Money) => (cloned++, new Money(m.cents, m.currency)) }],
    })
    expect(withClone.clone([new Money(1n, 'A')])).toEqual([new Money(1n, 'A')])
    expect(cloned).toBe(1)
    const encoded = { cents: 1n, currency: 'A' }
    const sharing = createCodec({
      classes: [{ name: 'Money', type: Money, encode: () => encoded, decode: (json: typeof encoded) => json as never }],
    })
    expect(sharing.clone(new Money(1n, 'A'))).not.toBe(encoded)
  })

  it('clone() returns primitives as they are and keeps null-prototype objects', () => {
    for (const value of [1, 'x', null, undefined, 10n, true, Number.NaN])
      expect(Object.is(codec.clone(value), value)).toBe(true)
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 })
    const copy = codec.clone(bare) as Record<string, unknown>
    expect(Object.getPrototypeOf(copy)).toBeNull()
    expect(copy.a).toBe(1)
  })

  it('clone() throws UNSERIALIZABLE_VALUE with the path for functions, symbols, cycles and unregistered classes', () => {
    expect(thrown(() => codec.clone({ user: { callback: () => 1 } })).message).toContain(
      'value.user.callback is a function',
    )
    expect(thrown(() => codec.clone(Symbol('s'))).code).toBe('UNSERIALIZABLE_VALUE')
    expect(thrown(() => codec.clone([new WeakMap()])).message).toContain('value[0] is an instance of WeakMap')
    const cyclic: Record<string, unknown> = { list: [] }
    ;(cyclic.list as unknown[]).push(cyclic)
    expect(thrown(() => codec.clone(cyclic)).message).toContain('value.list[0] is a circular reference')
    const root: Record<string, unknown> = {}
    let node = root
    for (let i = 0; i < 80; i++) node = node.next = {}
    node.loop = root
    expect(thrown(() => codec.clone(root)).code).toBe('UNSERIALIZABLE_VALUE')
  })

  it('clone() copies shared references and chains deeper than the cheap cycle check', () => {
    const shared = { n: 1 }
    const copy = codec.clone({ a: shared, b: shared }) as { a: object; b: object }
    expect(copy.a).toEqual(shared)
    expect(copy.a).not.toBe(shared)
    let chain: unknown = 'end'
    for (let i = 0; i < 300; i++) chain = { next: chain }
    expect(codec.clone(chain)).toEqual(chain)
  })
})
