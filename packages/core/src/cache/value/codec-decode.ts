import { PerfError, isPerfError } from '../../errors.js'
import type { ClassRegistry } from './codec-registry.js'
import { MAX_BIGINT_DIGITS, MAX_DEPTH, TAG, TILDE, TYPED_ARRAY_BY_NAME, describeError } from './codec-shared.js'

function corrupt(message: string, cause?: unknown): PerfError {
  return new PerfError('DECODE_FAILED', `[perf:codec] cannot decode: ${message}`, { cause })
}

/** The value is deeper than encode() and clone() accept: decoding it would plant an entry no reader can copy. */
function tooDeep(): PerfError {
  return new PerfError(
    'DECODE_FAILED',
    `[perf:codec] cannot decode: nested deeper than ${MAX_DEPTH} levels (the most the codec encodes and clones)`,
    {
      context: { maxDepth: MAX_DEPTH },
    },
  )
}

/** Defines an own, ordinary data property: never invokes the `__proto__` setter. */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
}

const SPECIAL_NUMBERS: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, {
    NaN: NaN,
    Infinity: Infinity,
    '-Infinity': -Infinity,
    '-0': -0,
  }),
)
const INTEGER = /^-?\d+$/

/**
 * Turns parsed tagged JSON back into values. Safe against prototype pollution: JSON.parse
 * already makes `__proto__` an own property, and every key this decoder writes is defined
 * (not assigned), so no input can reach a prototype. Accepts exactly the nesting the encoder
 * and `clone` accept (MAX_DEPTH, counted in values: a tag's wrapper is not a level), so a
 * decoded value can always be copied.
 */
export class Decoder {
  constructor(private readonly registry: ClassRegistry) {}

  /** Parses tagged JSON text. @throws PerfError DECODE_FAILED */
  decode(text: string): unknown {
    // Every tag and escaped key starts with `"~`; without a `~` anywhere the parsed JSON is the
    // value. (A one-character search is ~15x faster than searching for the pair; a `~` inside a
    // string only costs the walk below, which leaves such values as they are.)
    const hasTags = text.indexOf('~') !== -1
    // Checked before parsing: JSON.parse copes with any depth but spends ~2 s on a 1,000,000-deep
    // array. Untagged JSON nests exactly as deep as its value; a tag adds at most one more JSON
    // level per value level (plus one for its body), and the walk below counts value levels.
    if (nestedDeeperThan(text, hasTags ? 2 * MAX_DEPTH + 2 : MAX_DEPTH)) throw tooDeep()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw corrupt('the payload is not valid JSON', error)
    }
    if (!hasTags) return parsed
    try {
      return this.value(parsed, 0)
    } catch (error) {
      if (isPerfError(error, 'DECODE_FAILED')) throw error
      throw corrupt(describeError(error), error)
    }
  }

  /** Revives `node`, a value `depth` levels below the top (the root is level 0, as in the encoder). */
  private value(node: unknown, depth: number): unknown {
    if (typeof node !== 'object' || node === null) return node
    if (Array.isArray(node)) {
      if (depth > MAX_DEPTH) throw tooDeep()
      for (let i = 0; i < node.length; i++) node[i] = this.value(node[i], depth + 1)
      return node
    }
    const object = node as Record<string, unknown>
    const keys = Object.keys(object)
    const first = keys[0]
    if (keys.length === 1 && first !== undefined && first.charCodeAt(0) === TILDE && first.charCodeAt(1) !== TILDE) {
      return this.tagged(first, object[first], depth)
    }
    if (depth > MAX_DEPTH) throw tooDeep()
    let escaped = false
    for (const key of keys) {
      if (key.charCodeAt(0) === TILDE) {
        if (key.charCodeAt(1) !== TILDE) throw corrupt(`tag ${JSON.stringify(key)} inside an object with other keys`)
        escaped = true
      }
      const item = object[key]
      if (typeof item === 'object' && item !== null) {
        const revived = this.value(item, depth + 1)
        if (revived !== item) defineOwn(object, key, revived)
      }
    }
    return escaped ? unescapeKeys(object, keys) : object
  }

  /** Revives a tagged value at `depth`; only tags that stand for objects count against MAX_DEPTH, as in the encoder. */
  private tagged(tag: string, body: unknown, depth: number): unknown {
    switch (tag) {
      case TAG.undefined:
        return undefined
      case TAG.number:
        if (typeof body === 'string' && body in SPECIAL_NUMBERS) return SPECIAL_NUMBERS[body]
        throw corrupt(`bad number ${JSON.stringify(body)}`)
      case TAG.bigint:
        if (typeof body === 'string' && body.length <= MAX_BIGINT_DIGITS + 1 && INTEGER.test(body)) return BigInt(body)
        throw corrupt(`bad BigInt (a decimal integer of at most ${MAX_BIGINT_DIGITS} digits)`)
    }
    if (depth > MAX_DEPTH) throw tooDeep()
    switch (tag) {
      case TAG.date:
        if (body === null) return new Date(NaN)
        if (typeof body === 'number') return new Date(body)
        throw corrupt('bad Date')
      case TAG.bytes:
        return bytes(body)
      case TAG.map:
        return this.map(body, depth + 1)
      case TAG.set:
        if (!Array.isArray(body)) throw corrupt('bad Set')
        return new Set(this.items(body, depth + 1))
      case TAG.class:
        return this.instance(body, depth + 1)
      default:
        throw corrupt(`unknown tag ${JSON.stringify(tag)} (written by a newer version?)`)
    }
  }

  /** Revives the elements of a Map or Set body in place: they sit one level below the collection, as in the encoder. */
  private items(body: unknown[], depth: number): unknown[] {
    for (let i = 0; i < body.length; i++) body[i] = this.value(body[i], depth)
    return body
  }

  private map(body: unknown, depth: number): Map<unknown, unknown> {
    if (!Array.isArray(body) || body.length % 2 !== 0) throw corrupt('bad Map')
    const items = this.items(body, depth)
    const map = new Map<unknown, unknown>()
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1])
    return map
  }

  private instance(body: unknown, depth: number): unknown {
    if (!Array.isArray(body) || body.length !== 2 || typeof body[0] !== 'string') throw corrupt('bad class value')
    const name = body[0]
    const cls = this.registry.named(name)
    if (cls === undefined) {
      throw corrupt(
        `class "${name}" is not registered with this codec (registered: ${this.registry.names().join(', ') || 'none'})`,
      )
    }
    const json = this.value(body[1], depth)
    try {
      return cls.decode(json)
    } catch (error) {
      throw corrupt(`the codec class "${name}" failed to decode its value: ${describeError(error)}`, error)
    }
  }
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACKET = 0x5b
const OPEN_BRACE = 0x7b
const CLOSE_BRACKET = 0x5d
const CLOSE_BRACE = 0x7d

/**
 * True when JSON `text` opens more than `limit + 1` arrays or objects at once (the root is
 * level 0). Brackets inside strings do not count. Malformed text may give either answer;
 * JSON.parse rejects it next. Linear; texts with too few brackets to be that deep are
 * answered by a native search, so typical values never run the character loop.
 */
export function nestedDeeperThan(text: string, limit: number): boolean {
  const needed = limit + 2
  if (text.length < needed || countUpTo(text, '[', needed) + countUpTo(text, '{', needed) < needed) return false
  let open = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      i = closingQuote(text, i)
      if (i === -1) return false
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++open >= needed) return true
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      open--
    }
  }
  return false
}

/** Occurrences of `char` in `text`, counting no further than `max`. */
function countUpTo(text: string, char: string, max: number): number {
  let count = 0
  for (let at = text.indexOf(char); at !== -1 && count < max; at = text.indexOf(char, at + 1)) count++
  return count
}

/** Index of the quote closing the string opened at `start`, or -1 when it is never closed. */
function closingQuote(text: string, start: number): number {
  let at = text.indexOf('"', start + 1)
  while (at !== -1) {
    let backslashes = 0
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return at
    at = text.indexOf('"', at + 1)
  }
  return -1
}

/** Rebuilds an object whose keys were escaped (`~~x` → `~x`), keeping key order. */
function unescapeKeys(object: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of keys) defineOwn(out, key.charCodeAt(0) === TILDE ? key.slice(1) : key, object[key])
  return out
}

function bytes(body: unknown): unknown {
  if (!Array.isArray(body) || body.length !== 2 || typeof body[0] !== 'string' || typeof body[1] !== 'string')
    throw corrupt('bad bytes')
  const [name, data] = body as [string, string]
  const raw = Buffer.from(data, 'base64')
  if (name === 'Buffer') return raw
  if (name === 'ArrayBuffer') return raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)
  const View = TYPED_ARRAY_BY_NAME.get(name)
  if (View === undefined || raw.byteLength % View.BYTES_PER_ELEMENT !== 0) throw corrupt(`bad ${name} bytes`)
  // A fresh buffer: `raw` may be a slice of Node's shared pool.
  const view = new View(raw.byteLength / View.BYTES_PER_ELEMENT)
  new Uint8Array(view.buffer).set(raw)
  return view
}
