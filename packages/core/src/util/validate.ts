import { PerfError } from '../errors.js'

function fail(name: string, rule: string, value: unknown): never {
  throw new PerfError('INVALID_OPTION', `[perf] option "${name}" must be ${rule}, got ${describe(value)}`, {
    context: { option: name, value },
  })
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  return String(value)
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
