import { PerfError, isPerfError } from '../errors.js'
import type { ClassRegistry } from './codec-registry.js'
import { MAX_DEPTH, TAG, TILDE, TYPED_ARRAY_BY_NAME } from './codec-shared.js'

function corrupt(message: string, cause?: unknown): PerfError {
  return new PerfError('DECODE_FAILED', `[perf:codec] cannot decode: ${message}`, { cause })
}

/** Defines an own, ordinary data property: never invokes the `__proto__` setter. */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
}

const SPECIAL_NUMBERS: Readonly<Record<string, number>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, number>, { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 }),
)
const INTEGER = /^-?\d+$/

/**
 * Turns parsed tagged JSON back into values. Safe against prototype pollution: JSON.parse
 * already makes `__proto__` an own property, and every key this decoder writes is defined
 * (not assigned), so no input can reach a prototype.
 */
export class Decoder {
  constructor(private readonly registry: ClassRegistry) {}

  /** Parses tagged JSON text. @throws PerfError DECODE_FAILED */
  decode(text: string): unknown {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw corrupt('the payload is not valid JSON', error)
    }
    // Every tag and escaped key starts with `"~`; without a `~` anywhere the parsed JSON is the
    // value. (A one-character search is ~15x faster than searching for the pair; a `~` inside a
    // string only costs the walk below, which leaves such values as they are.)
    if (text.indexOf('~') === -1) return parsed
    try {
      return this.value(parsed, 0)
    } catch (error) {
      if (isPerfError(error)) throw error
      throw corrupt(String(error), error)
    }
  }

  private value(node: unknown, depth: number): unknown {
    if (typeof node !== 'object' || node === null) return node
    if (depth > MAX_DEPTH) throw corrupt(`nested deeper than ${MAX_DEPTH} levels`)
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = this.value(node[i], depth + 1)
      return node
    }
    const object = node as Record<string, unknown>
    const keys = Object.keys(object)
    const first = keys[0]
    if (keys.length === 1 && first !== undefined && first.charCodeAt(0) === TILDE && first.charCodeAt(1) !== TILDE) {
      return this.tagged(first, object[first], depth + 1)
    }
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

  private tagged(tag: string, body: unknown, depth: number): unknown {
    switch (tag) {
      case TAG.undefined:
        return undefined
      case TAG.number:
        if (typeof body === 'string' && body in SPECIAL_NUMBERS) return SPECIAL_NUMBERS[body]
        throw corrupt(`bad number ${JSON.stringify(body)}`)
      case TAG.date:
        if (body === null) return new Date(NaN)
        if (typeof body === 'number') return new Date(body)
        throw corrupt('bad Date')
      case TAG.bigint:
        if (typeof body === 'string' && INTEGER.test(body)) return BigInt(body)
        throw corrupt('bad BigInt')
      case TAG.bytes:
        return bytes(body)
      case TAG.map:
        return this.map(body, depth)
      case TAG.set:
        if (!Array.isArray(body)) throw corrupt('bad Set')
        return new Set(this.value(body, depth) as unknown[])
      case TAG.class:
        return this.instance(body, depth)
      default:
        throw corrupt(`unknown tag ${JSON.stringify(tag)} (written by a newer version?)`)
    }
  }

  private map(body: unknown, depth: number): Map<unknown, unknown> {
    if (!Array.isArray(body) || body.length % 2 !== 0) throw corrupt('bad Map')
    const items = this.value(body, depth) as unknown[]
    const map = new Map<unknown, unknown>()
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1])
    return map
  }

  private instance(body: unknown, depth: number): unknown {
    if (!Array.isArray(body) || body.length !== 2 || typeof body[0] !== 'string') throw corrupt('bad class value')
    const name = body[0]
    const cls = this.registry.named(name)
    if (cls === undefined) {
      throw corrupt(`class "${name}" is not registered with this codec (registered: ${this.registry.names().join(', ') || 'none'})`)
    }
    try {
      return cls.decode(this.value(body[1], depth))
    } catch (error) {
      if (isPerfError(error)) throw error
      throw corrupt(`the codec class "${name}" failed to decode its value: ${String(error)}`, error)
    }
  }
}

/** Rebuilds an object whose keys were escaped (`~~x` → `~x`), keeping key order. */
function unescapeKeys(object: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of keys) defineOwn(out, key.charCodeAt(0) === TILDE ? key.slice(1) : key, object[key])
  return out
}

function bytes(body: unknown): unknown {
  if (!Array.isArray(body) || body.length !== 2 || typeof body[0] !== 'string' || typeof body[1] !== 'string') throw corrupt('bad bytes')
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
