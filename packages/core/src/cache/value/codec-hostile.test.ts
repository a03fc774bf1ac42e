import { deflateRawSync, constants as zlib } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { thrown } from '../../__tests__/errors.js'
import { expectTypedErrors, READS } from '../__tests__/hostile-values.js'
import { isPerfError } from '../../errors.js'
import { seededRandom } from '../../testing/chaos-corrupt.js'
import { type CodecClass, createCodec } from './codec.js'
import { MAX_BIGINT_DIGITS, MAX_DEPTH } from './codec-shared.js'

/**
 * Hostile bytes: whatever a shared tier hands back, decode() returns a value clone() can copy or
 * throws DECODE_FAILED, quickly.
 * @see issue #9, items 5 and 7
 */

class Box {
  constructor(readonly inner: unknown) {}
}
const box: CodecClass<Box, unknown> = {
  name: 'Box',
  type: Box,
  encode: (b) => b.inner,
  decode: (json) => new Box(json),
}
const codec = createCodec({ classes: [box] })

const VERSION_1 = 0x10
const DEFLATED = 0x11

function framed(header: number, body: string | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([header]), typeof body === 'string' ? Buffer.from(body) : body])
}

/** `depth` arrays inside the outermost one: the innermost array is `depth` levels below the top. */
function arraysText(depth: number): string {
  return '['.repeat(depth + 1) + ']'.repeat(depth + 1)
}

function decodeError(bytes: Uint8Array, c = codec): unknown {
  try {
    c.decode(bytes)
  } catch (error) {
    return error
  }
  return undefined
}

describe('createCodec().decode nesting', () => {
  it(`decode() accepts values ${MAX_DEPTH} levels deep (what encode() and clone() accept) and their clones`, () => {
    const decoded = codec.decode(framed(VERSION_1, arraysText(MAX_DEPTH)))
    expect(() => codec.clone(decoded)).not.toThrow()
    expect(Buffer.from(codec.encode(decoded)).toString('latin1', 1)).toBe(arraysText(MAX_DEPTH))
  })

  it(`decode() throws DECODE_FAILED for values ${MAX_DEPTH + 1} and 100,000 levels deep, plain, tagged or compressed`, () => {
    const texts = [
      arraysText(MAX_DEPTH + 1),
      arraysText(100_000),
      '['.repeat(100_000),
      '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
      '{"~s":['.repeat(100_000) + ']}'.repeat(100_000),
      '{"~m":["k",'.repeat(100_000) + '1' + ']}'.repeat(100_000),
      '{"~c":["Box",'.repeat(100_000) + '1' + ']}'.repeat(100_000),
      '[{"~u":0},'.repeat(100_000),
    ]
    for (const text of texts) {
      for (const bytes of [framed(VERSION_1, text), framed(DEFLATED, deflateRawSync(text))]) {
        const error = decodeError(bytes)
        expect(isPerfError(error, 'DECODE_FAILED'), text.slice(0, 20)).toBe(true)
        expect((error as Error).message).toContain(`nested deeper than ${MAX_DEPTH} levels`)
      }
    }
  })

  it('decode() ignores brackets inside strings when measuring depth', () => {
    const text = JSON.stringify({ s: '['.repeat(5000), t: '\\"[[[' + '{'.repeat(3000) })
    expect(codec.decode(framed(VERSION_1, text))).toEqual(JSON.parse(text))
  })

  // Each container kind nests differently in the wire format (a Set's items sit two JSON levels
  // down), but decode() must count levels exactly as encode() and clone() do.
  const containers: [string, (v: unknown) => unknown, (text: string) => string][] = [
    ['array', (v) => [v], (t) => `[${t}]`],
    ['object', (v) => ({ a: v }), (t) => `{"a":${t}}`],
    ['escaped key', (v) => ({ '~a': v }), (t) => `{"~~a":${t}}`],
    ['Set', (v) => new Set([v]), (t) => `{"~s":[${t}]}`],
    ['Map value', (v) => new Map([['k', v]]), (t) => `{"~m":["k",${t}]}`],
    ['Map key', (v) => new Map([[v, 1]]), (t) => `{"~m":[${t},1]}`],
    ['class', (v) => new Box(v), (t) => `{"~c":["Box",${t}]}`],
  ]
  const leaves: [string, unknown][] = [
    ['1', 1],
    ['undefined', undefined],
    ['NaN', NaN],
    ['1n', 1n],
    ['Date', new Date(0)],
    ['Buffer', Buffer.from('x')],
    ['[]', []],
  ]

  for (const [kind, wrap, wrapText] of containers) {
    it(`decode() accepts ${kind} nesting exactly when encode() and clone() do`, () => {
      for (const [name, leaf] of leaves) {
        const leafText = Buffer.from(codec.encode(leaf)).toString('utf8', 1)
        let value = leaf
        let text = leafText
        for (let n = 1; n <= MAX_DEPTH + 2; n++) {
          value = wrap(value)
          text = wrapText(text)
          if (n < MAX_DEPTH) continue
          const encodes = !thrownBy(() => codec.encode(value))
          const clones = !thrownBy(() => codec.clone(value))
          const error = decodeError(framed(VERSION_1, text))
          expect(clones, `${kind} x${n} of ${name}: clone`).toBe(encodes)
          expect(error === undefined, `${kind} x${n} of ${name}: decode`).toBe(encodes)
          if (error !== undefined) expect(isPerfError(error, 'DECODE_FAILED')).toBe(true)
          else expect(() => codec.clone(codec.decode(framed(VERSION_1, text)))).not.toThrow()
        }
      }
    })
  }
})

function thrownBy(fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch (error) {
    expect(isPerfError(error, 'UNSERIALIZABLE_VALUE')).toBe(true)
    return true
  }
}

/** Raw deflate of `chunks` copies of `chunk`, built from one compressed copy (so the test never holds the output). */
function bomb(chunk: Buffer, chunks: number): Buffer {
  // A full flush ends the block byte-aligned with an empty dictionary, so the compressed chunk can be repeated.
  const once = deflateRawSync(chunk, { level: 9, finishFlush: zlib.Z_FULL_FLUSH })
  return Buffer.concat([...Array.from({ length: chunks }, () => once), deflateRawSync(Buffer.alloc(0))])
}

describe('createCodec({ maxDecodedBytes })', () => {
  it('decode() stops inflating at 64 MiB by default and throws DECODE_FAILED naming the limit', () => {
    const bytes = framed(DEFLATED, bomb(Buffer.alloc(1024 * 1024, 0x20), 200))
    expect(bytes.byteLength).toBeLessThan(300_000)
    const error = decodeError(bytes)
    expect(isPerfError(error, 'DECODE_FAILED')).toBe(true)
    expect((error as Error).message).toContain('maxDecodedBytes=67108864')
    expect((error as Error & { cause: { code: string } }).cause.code).toBe('ERR_BUFFER_TOO_LARGE')
  })

  it('decode() honours a custom maxDecodedBytes, compressed or not; the limit itself still decodes', () => {
    const small = createCodec({ maxDecodedBytes: 1000, compressThreshold: 1 })
    const fits = `"${'a'.repeat(998)}"`
    expect(small.decode(framed(DEFLATED, deflateRawSync(fits)))).toBe('a'.repeat(998))
    expect(small.decode(framed(VERSION_1, fits))).toBe('a'.repeat(998))
    const over = `"${'a'.repeat(999)}"`
    for (const bytes of [framed(DEFLATED, deflateRawSync(over)), framed(VERSION_1, over)]) {
      const error = decodeError(bytes, small)
      expect(isPerfError(error, 'DECODE_FAILED')).toBe(true)
      expect((error as Error).message).toContain('maxDecodedBytes=1000')
    }
  })

  it('encode() refuses values that decode() would refuse, with VALUE_TOO_LARGE naming maxDecodedBytes', () => {
    for (const c of [
      createCodec({ maxDecodedBytes: 1000 }),
      createCodec({ maxDecodedBytes: 1000, compressThreshold: 1 }),
    ]) {
      expect(c.decode(c.encode('a'.repeat(998)))).toBe('a'.repeat(998))
      const error = thrown(() => c.encode('a'.repeat(999)))
      expect(isPerfError(error, 'VALUE_TOO_LARGE')).toBe(true)
      expect(error.message).toContain('maxDecodedBytes=1000')
    }
  })

  it('createCodec() rejects a malformed maxDecodedBytes with INVALID_OPTION', () => {
    for (const bad of [0, -1, 1.5, '1mb', Number.POSITIVE_INFINITY, 2 ** 40]) {
      const error = thrown(() => createCodec({ maxDecodedBytes: bad as number }))
      expect(isPerfError(error, 'INVALID_OPTION')).toBe(true)
      expect(error.message).toContain('maxDecodedBytes')
    }
  })
})

describe('createCodec() BigInt bound', () => {
  it(`encode() refuses and decode() rejects BigInts longer than ${MAX_BIGINT_DIGITS} digits (parsing them is superlinear)`, () => {
    const longest = -(10n ** BigInt(MAX_BIGINT_DIGITS) - 1n)
    expect(codec.decode(codec.encode(longest))).toBe(longest)
    const error = thrown(() => codec.encode({ n: 10n ** BigInt(MAX_BIGINT_DIGITS) }))
    expect(isPerfError(error, 'UNSERIALIZABLE_VALUE')).toBe(true)
    expect(error.message).toContain(`value.n is a BigInt of more than ${MAX_BIGINT_DIGITS} digits`)
    const planted = decodeError(framed(VERSION_1, `{"~b":"${'9'.repeat(1_000_000)}"}`))
    expect(isPerfError(planted, 'DECODE_FAILED')).toBe(true)
  })
})

const SAMPLES: unknown[] = [
  { id: 1, name: 'Ada ~ Lovelace', at: new Date(0), tags: ['~d', 'x'], '~k': null },
  [1, -0, NaN, Infinity, undefined, 12345678901234567890n, 'é✓'],
  new Map<unknown, unknown>([
    ['a', new Set([1, 2])],
    [{ k: [1] }, new Box({ cents: 5n })],
  ]),
  {
    bytes: Buffer.from('hello'),
    f64: new Float64Array([1.5]),
    ab: new Uint8Array([1, 2]).buffer,
    big: new BigInt64Array([-1n]),
  },
  { deep: [[[[{ a: [[{ b: 'c' }]] }]]]], text: 'x'.repeat(300) },
  'plain string',
  42,
]

describe('createCodec().decode fuzz', () => {
  it('decode() of random and mutated bytes returns a value clone() copies, or throws DECODE_FAILED', () => {
    const random = seededRandom(0x9e3779b9)
    const int = (n: number): number => Math.floor(random() * n)
    const compressing = createCodec({ classes: [box], compressThreshold: 1 })
    const corpus = SAMPLES.flatMap((value) => [
      Buffer.from(codec.encode(value)),
      Buffer.from(compressing.encode(value)),
    ])
    const inputs: Buffer[] = []
    for (let i = 0; i < 1000; i++) inputs.push(Buffer.from(Array.from({ length: int(64) }, () => int(256))))
    for (let i = 0; i < 1000; i++)
      inputs.push(
        framed(random() < 0.5 ? VERSION_1 : DEFLATED, Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256)))),
      )
    for (let i = 0; i < 4000; i++) {
      const bytes = Buffer.from(corpus[int(corpus.length)] as Buffer)
      const mutation = int(5)
      if (mutation === 0) inputs.push(bytes.subarray(0, int(bytes.length)))
      else if (mutation === 1) {
        for (let flips = 1 + int(4); flips > 0; flips--) bytes[int(bytes.length)]! ^= 1 << int(8)
        inputs.push(bytes)
      } else if (mutation === 2) {
        // Structural characters are where a parser's state changes.
        const chars = '[]{}",:~\\0'
        for (let edits = 1 + int(3); edits > 0; edits--)
          bytes[1 + int(bytes.length - 1)] = chars.charCodeAt(int(chars.length))
        inputs.push(bytes)
      } else if (mutation === 3) {
        const at = int(bytes.length)
        inputs.push(Buffer.concat([bytes.subarray(0, at), Buffer.from([int(256), int(256)]), bytes.subarray(at)]))
      } else {
        const other = corpus[int(corpus.length)] as Buffer
        inputs.push(Buffer.concat([bytes.subarray(0, int(bytes.length)), other.subarray(int(other.length))]))
      }
    }
    let decoded = 0
    for (const input of inputs) {
      let value: unknown
      try {
        value = codec.decode(input)
      } catch (error) {
        if (!isPerfError(error, 'DECODE_FAILED'))
          throw new Error(`decode(${input.toString('hex')}) threw ${String(error)}`)
        continue
      }
      decoded++
      try {
        codec.clone(value)
      } catch (error) {
        throw new Error(`clone(decode(${input.toString('hex')})) threw ${String(error)}`)
      }
    }
    // The mutations leave enough inputs valid that the clone half of the property is exercised.
    expect(decoded).toBeGreaterThan(100)
  })

  it('decode() throws DECODE_FAILED for non-bytes, wrong versions and junk after a valid header', () => {
    const revoked = Proxy.revocable(new Uint8Array(4), {})
    revoked.revoke()
    const inputs: unknown[] = [
      undefined,
      null,
      'text',
      [1, 16],
      new Uint8Array(0),
      new Uint8Array([16]),
      revoked.proxy,
      framed(0x20, '1'),
      framed(0x12, '1'),
      framed(VERSION_1, '\xff\xfe'),
      framed(DEFLATED, 'junk'),
      framed(DEFLATED, deflateRawSync('{"a":1}').subarray(0, 3)),
    ]
    for (const [i, input] of inputs.entries())
      expect(isPerfError(decodeError(input as Uint8Array), 'DECODE_FAILED'), `input ${i}`).toBe(true)
  })
})

describe('createCodec() values that throw when read', () => {
  // A getter, a proxy trap or a built-in given a look-alike throws while the codec reads the
  // value; callers get UNSERIALIZABLE_VALUE with the path and the error as cause, never the raw error.
  const mustThrow = [
    ...READS,
    'a proxy around a Map',
    'a proxy around a Date',
    'an instance whose constructor getter throws',
  ]

  it('encode() throws UNSERIALIZABLE_VALUE with cause for getters, proxy traps, revoked proxies and throwing constructors', () => {
    expectTypedErrors((value) => codec.encode(value), mustThrow)
  })

  it('clone() throws UNSERIALIZABLE_VALUE with cause for getters, proxy traps, revoked proxies and throwing constructors', () => {
    expectTypedErrors((value) => codec.clone(value), mustThrow)
  })

  it('encode() names the property whose getter threw', () => {
    const error = thrown(() =>
      codec.encode({
        user: {
          get name(): string {
            throw new Error('boom')
          },
        },
      }),
    )
    expect(error.message).toBe(
      '[perf:codec] value.user.name could not be read (a getter or proxy trap threw): Error: boom',
    )
  })

  it('encode() and clone() survive a thrown value that cannot be printed', () => {
    const value = {
      get x(): never {
        throw Object.create(null)
      },
    }
    for (const walk of [codec.encode, codec.clone]) {
      const error = thrown(() => walk(value))
      expect(isPerfError(error, 'UNSERIALIZABLE_VALUE')).toBe(true)
      expect(error.message).toContain('a value that cannot be turned into a string')
    }
  })
})
