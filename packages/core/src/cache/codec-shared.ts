import { PerfError } from '../errors.js'

/**
 * A class the default codec round-trips. `encode` turns an instance into something the codec
 * can encode (usually JSON: a string or a plain object); `decode` rebuilds the instance.
 *
 * @example
 * const decimal: CodecClass<Decimal, string> = {
 *   name: 'Decimal', type: Decimal, encode: (d) => d.toString(), decode: (s) => new Decimal(s),
 * }
 */
export interface CodecClass<T = unknown, J = unknown> {
  /** Written into encoded data to find the class again: unique per codec, never renamed once data is stored. */
  readonly name: string
  /** The constructor; its instances (and subclass instances, when no closer class is registered) use this entry. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly type: abstract new (...args: any[]) => T
  /** Turns an instance into an encodable value. */
  encode(value: T): J
  /** Rebuilds an instance from what `encode` returned. */
  decode(json: J): T
  /** A fast deep copy; without it `clone` runs `decode(copy of encode(value))`. */
  clone?(value: T): T
}

/** Tag keys of the wire format; any user key starting with `~` is escaped by doubling the `~`. */
export const TAG = {
  undefined: '~u',
  number: '~n',
  date: '~d',
  bigint: '~b',
  bytes: '~t',
  map: '~m',
  set: '~s',
  class: '~c',
} as const

/** `~`, the first character of every tag key. */
export const TILDE = 126

/** Walks shallower than this skip cycle bookkeeping; deeper ones restart with an ancestor set. */
export const CHEAP_DEPTH = 64
/** Values nested deeper than this are refused (and decoding stops), keeping recursion off the stack limit. */
export const MAX_DEPTH = 1000

/** Thrown (and caught at the top) when a fast walk gets deep enough that it may be in a cycle. */
export const RESTART: unique symbol = Symbol('restart-with-cycle-check')

/** The objects on the current path of a walk, or null during the cheap first pass (no bookkeeping). */
export type Ancestors = Set<object> | null

/**
 * Visits one object of a walk with the cycle guard every walker shares (clone, encode, stableKey):
 * the cheap pass only counts depth and asks for a RESTART past CHEAP_DEPTH; the second pass
 * tracks ancestors, refuses cycles and anything deeper than MAX_DEPTH.
 */
export function visitGuarded<R>(value: object, depth: number, ancestors: Ancestors, visit: (value: object, depth: number, ancestors: Ancestors) => R): R {
  if (ancestors === null) {
    if (depth > CHEAP_DEPTH) throw RESTART
  } else {
    if (ancestors.has(value)) throw circular()
    if (depth > MAX_DEPTH) throw tooDeep()
    ancestors.add(value)
  }
  const result = visit(value, depth + 1, ancestors)
  if (ancestors !== null) ancestors.delete(value)
  return result
}

type TypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor

const TYPED_ARRAYS: readonly TypedArrayConstructor[] = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
]

/** Typed array constructors by prototype (exact classes only; subclasses need registering). */
export const TYPED_ARRAY_BY_PROTO: ReadonlyMap<object, TypedArrayConstructor> = new Map(TYPED_ARRAYS.map((c) => [c.prototype, c]))
/** Typed array constructors by name, for decoding. */
export const TYPED_ARRAY_BY_NAME: ReadonlyMap<string, TypedArrayConstructor> = new Map(TYPED_ARRAYS.map((c) => [c.name, c]))

/** A value the codec cannot handle, with the path to it collected while the walk unwinds. */
export class PathError {
  readonly segments: string[] = []
  constructor(
    readonly problem: string,
    readonly cause?: unknown,
  ) {}
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** Adds the step to `key` (a property name or array index) to a PathError passing through; returns the error to rethrow. */
export function withSegment(error: unknown, key: string | number | undefined): unknown {
  if (error instanceof PathError && key !== undefined) {
    error.segments.push(typeof key === 'number' ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`)
  }
  return error
}

/** Adds a raw segment (`.get("k")`, `.values()[2]`) to a PathError passing through. */
export function withRawSegment(error: unknown, segment: string): unknown {
  if (error instanceof PathError) error.segments.push(segment)
  return error
}

/** Describes a Map key for a path segment. */
export function describeMapKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key)
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') return String(key)
  return '…'
}

/** Converts an internal PathError into the public UNSERIALIZABLE_VALUE error; rethrows anything else. */
export function toUnserializable(error: unknown, component = 'codec'): never {
  if (!(error instanceof PathError)) throw error
  const path = 'value' + error.segments.reverse().join('')
  throw new PerfError('UNSERIALIZABLE_VALUE', `[perf:${component}] ${path} ${error.problem}`, {
    cause: error.cause,
    context: { path },
  })
}

/** The PathError for a value of a type no codec path accepts (function, symbol, unregistered class instance). */
export function unsupported(value: unknown): PathError {
  if (typeof value === 'function') return new PathError('is a function')
  if (typeof value === 'symbol') return new PathError('is a symbol')
  const proto: unknown = Object.getPrototypeOf(value)
  const ctor: unknown = typeof proto === 'object' && proto !== null ? (proto as { constructor?: unknown }).constructor : undefined
  const name = typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'an anonymous class'
  return new PathError(`is an instance of ${name}, which the codec cannot encode (register the class: createCodec({ classes }))`)
}

/** The PathError for a walk nested deeper than MAX_DEPTH. */
export function tooDeep(): PathError {
  return new PathError(`is nested deeper than ${MAX_DEPTH} levels`)
}

/** The PathError for a value that contains itself. */
export function circular(): PathError {
  return new PathError('is a circular reference (the value contains itself)')
}
