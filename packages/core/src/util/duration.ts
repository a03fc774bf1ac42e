import { PerfError, type PerfErrorCode } from '../errors.js'
import { describeValue } from './validate.js'

/** A duration: a number of milliseconds, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'2h'`, `'1d'`. */
export type Duration = number | string

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/

/**
 * Converts a {@link Duration} to milliseconds and validates it. Any other input (a BigInt, a
 * symbol, an object) is refused with the same typed error, never a TypeError.
 *
 * @param value the duration
 * @param name the option or argument name, used in the error message
 * @param code the error code to throw with; `INVALID_TTL` by default
 * @throws PerfError `code` when the value is negative, NaN, infinite, too large, an unparsable string or not a number or string
 */
export function toMs(value: Duration, name: string, code: PerfErrorCode = 'INVALID_TTL'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
    throw invalid(code, name, value, 'a finite, non-negative number of milliseconds')
  }
  if (typeof value === 'string') {
    const match = PATTERN.exec(value)
    if (match) {
      const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number)
      if (Number.isFinite(ms)) return ms
      throw invalid(code, name, value, 'a duration that fits in a number of milliseconds')
    }
  }
  throw invalid(code, name, value, "milliseconds or a duration string like '30s'")
}

function invalid(code: PerfErrorCode, name: string, value: unknown, rule: string): PerfError {
  return new PerfError(code, `[perf] ${name} must be ${rule}, got ${describeValue(value)}`, {
    context: { option: name, value },
  })
}

/** Like {@link toMs} but returns `fallback` when `value` is undefined. */
export function optionalMs(value: Duration | undefined, name: string, fallback: number, code?: PerfErrorCode): number {
  return value === undefined ? fallback : toMs(value, name, code)
}
