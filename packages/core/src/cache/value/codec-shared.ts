import { PerfError } from '../../errors.js'

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

/**
 * Longest BigInt, in decimal digits, the codec writes or reads. Parsing a decimal BigInt costs
 * more than linear time (1e6 digits take ~250 ms), so a planted huge one could block a reader;
 * 100,000 digits (~330,000 bits) parse in a few milliseconds.
 */
export const MAX_BIGINT_DIGITS = 100_000

/** Thrown (and caught at the top) when a fast walk gets deep enough that it may be in a cycle. */
export const RESTART: unique symbol = Symbol('restart-with-cycle-check')

/** The objects on the current path of a walk, or null during the cheap first pass (no bookkeeping). */
export type Ancestors = Set<object> | null

/**
 * Visits one object of a walk with the cycle guard every walker shares (clone, encode, stableKey):
 * the cheap pass only counts depth and asks for a RESTART past CHEAP_DEPTH; the second pass
 * tracks ancestors, refuses cycles and anything deeper than MAX_DEPTH.
 */
export function visitGuarded<R>(
  value: object,
  depth: number,
  ancestors: Ancestors,
  visit: (value: object, depth: number, ancestors: Ancestors) => R,
): R {
  if (ancestors === null) {
    if (depth > CHEAP_DEPTH) throw RESTART
  } else {
    if (ancestors.has(value)) throw circular()
    if (depth > MAX_DEPTH) throw tooDeep()
    ancestors.add(value)
  }
  let result: R
  try {
    result = visit(value, depth + 1, ancestors)
  } catch (error) {
    throw asPathError(error)
  }
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
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]

/** Typed array constructors by prototype (exact classes only; subclasses need registering). */
export const TYPED_ARRAY_BY_PROTO: ReadonlyMap<object, TypedArrayConstructor> = new Map(
  TYPED_ARRAYS.map((c) => [c.prototype, c]),
)
/** Typed array constructors by name, for decoding. */
export const TYPED_ARRAY_BY_NAME: ReadonlyMap<string, TypedArrayConstructor> = new Map(
  TYPED_ARRAYS.map((c) => [c.name, c]),
)

/** A value the codec cannot handle, with the path to it collected while the walk unwinds. */
export class PathError {
  readonly segments: string[] = []
  constructor(
    readonly problem: string,
    readonly cause?: unknown,
  ) {}
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/**
 * `String(error)` that cannot throw: a thrown value may be a null-prototype object, a revoked
 * proxy or an error whose `message` getter throws.
 */
export function describeError(error: unknown): string {
  try {
    return String(error)
  } catch {
    return 'a value that cannot be turned into a string'
  }
}

/**
 * The PathError to rethrow for anything a walk catches: PathErrors and RESTART pass through;
 * anything else was thrown by the value itself (a getter, a proxy trap, a revoked proxy, a
 * built-in method given a look-alike) and becomes a PathError carrying it as `cause`.
 */
export function asPathError(error: unknown): unknown {
  if (error instanceof PathError || error === RESTART) return error
  return new PathError(`could not be read (a getter or proxy trap threw): ${describeError(error)}`, error)
}

/** Adds the step to `key` (a property name or array index) to a PathError passing through; returns the error to rethrow. */
export function withSegment(raw: unknown, key: string | number | undefined): unknown {
  const error = asPathError(raw)
  if (error instanceof PathError && key !== undefined) {
    error.segments.push(
      typeof key === 'number' ? `[${key}]` : IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`,
    )
  }
  return error
}

/** Adds a raw segment (`.get("k")`, `.values()[2]`) to a PathError passing through. */
export function withRawSegment(raw: unknown, segment: string): unknown {
  const error = asPathError(raw)
  if (error instanceof PathError) error.segments.push(segment)
  return error
}

/** Describes a Map key for a path segment. */
export function describeMapKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key)
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') return String(key)
  return '…'
}

/** Converts what a walk threw into the public UNSERIALIZABLE_VALUE error (with the original as `cause`). */
export function toUnserializable(raw: unknown, component = 'codec'): never {
  const error = asPathError(raw)
  if (!(error instanceof PathError))
    throw new PerfError('UNSERIALIZABLE_VALUE', `[perf:${component}] value could not be walked`)
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
  let name: string
  try {
    const proto: unknown = Object.getPrototypeOf(value)
    const ctor: unknown =
      typeof proto === 'object' && proto !== null ? (proto as { constructor?: unknown }).constructor : undefined
    const ctorName: unknown = typeof ctor === 'function' ? ctor.name : undefined
    name = typeof ctorName === 'string' && ctorName !== '' ? ctorName : 'an anonymous class'
  } catch (error) {
    // A throwing `constructor` getter or proxy trap: the value is still of a class the codec does not know.
    return new PathError(
      `is an instance of a class whose constructor could not be read (${describeError(error)}), which the codec cannot encode`,
      error,
    )
  }
  return new PathError(
    `is an instance of ${name}, which the codec cannot encode (register the class: createCodec({ classes }))`,
  )
}

/** The PathError for a walk nested deeper than MAX_DEPTH. */
export function tooDeep(): PathError {
  return new PathError(`is nested deeper than ${MAX_DEPTH} levels`)
}

/** The PathError for a value that contains itself. */
export function circular(): PathError {
  return new PathError('is a circular reference (the value contains itself)')
}
