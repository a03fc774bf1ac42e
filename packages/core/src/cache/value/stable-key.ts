import * as crypto from 'node:crypto'
import {
  PathError,
  RESTART,
  TYPED_ARRAY_BY_PROTO,
  describeError,
  toUnserializable,
  visitGuarded,
  withRawSegment,
  withSegment,
  type Ancestors,
} from './codec-shared.js'

/** Strings that JSON.stringify would only wrap in quotes (the common case for keys and short values). */
const PLAIN_STRING = /^[\w $.:@/+-]*$/
/** Up to this many keys, insertion sort beats Array.prototype.sort by a wide margin. */
const SMALL_SORT = 16

/** Objects that have identity but no data: two different promises must not share a key. */
const IDENTITY_ONLY: readonly (abstract new (...args: never[]) => object)[] = [Promise, WeakMap, WeakSet, WeakRef]

// crypto.hash (Node >= 20.12) skips the Hash object; createHash is the fallback for older 20.x.
const sha256 =
  typeof crypto.hash === 'function'
    ? (text: string): string => crypto.hash('sha256', text, 'base64url')
    : (text: string): string => crypto.createHash('sha256').update(text).digest('base64url')

/**
 * A short, canonical digest of query arguments: 27 base64url characters (162 bits of SHA-256)
 * of {@link canonicalize}`(value)`. Key order does not matter, types do.
 *
 * @throws PerfError UNSERIALIZABLE_VALUE for functions, symbols, cycles, promises and weak collections, and values whose
 *   getters, proxy traps or toJSON() throw (the error is the `cause`), naming the path
 * @example
 * stableKey({ where: { id: 1 }, take: 10 }) === stableKey({ take: 10, where: { id: 1 } }) // true
 * stableKey({ id: 1 }) === stableKey({ id: '1' }) // false
 */
export function stableKey(value: unknown): string {
  return sha256(canonicalize(value)).slice(0, 27)
}

/**
 * The canonical text {@link stableKey} hashes. Object keys are sorted and properties whose value
 * is `undefined` are left out (Prisma treats them as absent); array order matters; Map entries
 * and Set elements are sorted. Types stay distinct: `1`, `"1"`, `1n`, a Date and its ISO string
 * all differ, as do `null` and `undefined`. Class instances are written as their constructor
 * name plus `toJSON()` (Decimal) or their own enumerable properties.
 *
 * @throws PerfError UNSERIALIZABLE_VALUE for functions, symbols, cycles, promises and weak collections, naming the path
 * @example
 * canonicalize({ b: [2, 1], a: undefined, c: new Date(0) }) // '{"b":[2,1],"c":Date(0)}'
 */
export function canonicalize(value: unknown): string {
  try {
    return write(value, 0, null)
  } catch (error) {
    if (error !== RESTART) return toUnserializable(error, 'stableKey')
  }
  try {
    return write(value, 0, new Set())
  } catch (error) {
    return toUnserializable(error, 'stableKey')
  }
}

function write(value: unknown, depth: number, ancestors: Ancestors): string {
  switch (typeof value) {
    case 'string':
      return quote(value)
    case 'number':
      // -0 and 0 select the same rows; NaN and ±Infinity are bare words, unlike strings.
      return String(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'undefined':
      return 'undefined'
    case 'bigint':
      return `${value}n`
    case 'object':
      return value === null ? 'null' : object(value, depth, ancestors)
    default:
      throw new PathError(`is a ${typeof value}`)
  }
}

function object(value: object, depth: number, ancestors: Ancestors): string {
  return visitGuarded(value, depth, ancestors, dispatch)
}

function dispatch(value: object, depth: number, ancestors: Ancestors): string {
  const proto = Object.getPrototypeOf(value) as object | null
  if (proto === Object.prototype || proto === null)
    return '{' + properties(value as Record<string, unknown>, depth, ancestors) + '}'
  if (Array.isArray(value)) return array(value, depth, ancestors)
  if (value instanceof Date) return `Date(${value.getTime()})`
  if (value instanceof Map) return map(value, depth, ancestors)
  if (value instanceof Set) return set(value, depth, ancestors)
  if (ArrayBuffer.isView(value)) {
    // A Buffer and a Uint8Array with the same bytes select the same rows.
    const name = Buffer.isBuffer(value) ? 'Uint8Array' : (TYPED_ARRAY_BY_PROTO.get(proto)?.name ?? 'DataView')
    return `${name}(${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')})`
  }
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${Buffer.from(value).toString('base64')})`
  if (value instanceof RegExp) return `RegExp(${JSON.stringify(String(value))})`
  return instance(value, proto, depth, ancestors)
}

function instance(value: object, proto: object, depth: number, ancestors: Ancestors): string {
  for (const type of IDENTITY_ONLY)
    if (value instanceof type) throw new PathError(`is a ${type.name}, which has no stable key`)
  const ctor = (proto as { constructor?: unknown }).constructor
  const name = typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'Object'
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') {
    let json: unknown
    try {
      json = toJSON.call(value)
    } catch (error) {
      throw new PathError(`is an instance of ${name} whose toJSON() threw: ${describeError(error)}`, error)
    }
    return `${name}(${write(json, depth, ancestors)})`
  }
  return `${name}{${properties(value as Record<string, unknown>, depth, ancestors)}}`
}

function properties(value: Record<string, unknown>, depth: number, ancestors: Ancestors): string {
  const keys = sortStrings(Object.keys(value))
  let text = ''
  let key: string | undefined
  try {
    for (key of keys) {
      const item = value[key]
      if (item === undefined) continue
      text += (text === '' ? '' : ',') + quote(key) + ':' + write(item, depth, ancestors)
    }
  } catch (error) {
    throw withSegment(error, key)
  }
  return text
}

function array(value: readonly unknown[], depth: number, ancestors: Ancestors): string {
  let text = '['
  let i = 0
  try {
    for (; i < value.length; i++) text += (i === 0 ? '' : ',') + write(value[i], depth, ancestors)
  } catch (error) {
    throw withSegment(error, i)
  }
  return text + ']'
}

function map(value: Map<unknown, unknown>, depth: number, ancestors: Ancestors): string {
  const entries: string[] = []
  let index = 0
  try {
    for (const [key, item] of value) {
      entries.push(write(key, depth, ancestors) + '=>' + write(item, depth, ancestors))
      index++
    }
  } catch (error) {
    throw withRawSegment(error, `.entries()[${index}]`)
  }
  return 'Map{' + entries.sort().join(',') + '}'
}

function set(value: Set<unknown>, depth: number, ancestors: Ancestors): string {
  const items: string[] = []
  let index = 0
  try {
    for (const item of value) {
      items.push(write(item, depth, ancestors))
      index++
    }
  } catch (error) {
    throw withRawSegment(error, `.values()[${index}]`)
  }
  return 'Set[' + items.sort().join(',') + ']'
}

function quote(text: string): string {
  return text.length < 64 && PLAIN_STRING.test(text) ? '"' + text + '"' : JSON.stringify(text)
}

/** Sorts in place by UTF-16 code units, the order Array.prototype.sort gives strings. */
function sortStrings(keys: string[]): string[] {
  if (keys.length > SMALL_SORT) return keys.sort()
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string
    let j = i - 1
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string
      j--
    }
    keys[j + 1] = key
  }
  return keys
}
