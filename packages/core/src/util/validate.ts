import { PerfError } from '../errors.js'

function fail(name: string, rule: string, value: unknown): never {
  throw new PerfError('INVALID_OPTION', `[perf] option "${name}" must be ${rule}, got ${describeValue(value)}`, {
    context: { option: name, value },
  })
}

/**
 * Names a value for an error message without ever throwing: `String()` throws for symbols in
 * templates, null-prototype objects and revoked proxies, `JSON.stringify` for BigInts and for
 * objects whose `toJSON` throws.
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 64 ? value.slice(0, 64) + '…' : value)
    case 'bigint':
      return `${value}n (a BigInt)`
    case 'symbol':
      return `${value.toString()} (a symbol)`
    case 'function':
      return 'a function'
    case 'object':
      return value === null ? 'null' : describeObject(value)
    default:
      return String(value)
  }
}

function describeObject(value: object): string {
  try {
    if (Array.isArray(value)) return 'an array'
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto === null || proto === Object.prototype) return 'an object'
    const ctor: unknown = (proto as { constructor?: unknown }).constructor
    const name: unknown = typeof ctor === 'function' ? ctor.name : undefined
    return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object'
  } catch {
    // A revoked proxy or a throwing trap or getter: it is still an object.
    return 'an object that cannot be inspected'
  }
}

/** Throws INVALID_OPTION unless `value` is an integer >= `min` (default 1). Returns the value. */
export function assertInt(value: unknown, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(name, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`, value)
  }
  return value
}

/** Throws INVALID_OPTION unless `value` is a finite number within [min, max]. Returns the value. */
export function assertNumber(value: unknown, name: string, min = 0, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(name, max === Number.POSITIVE_INFINITY ? `a finite number >= ${min}` : `a number from ${min} to ${max}`, value)
  }
  return value
}

/** Throws INVALID_OPTION unless `value` is a function. */
export function assertFunction<T>(value: T, name: string): T {
  if (typeof value !== 'function') fail(name, 'a function', value)
  return value
}

/** Throws INVALID_OPTION unless `value` is one of `allowed`. */
export function assertOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(name, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value)
  }
  return value as T
}
