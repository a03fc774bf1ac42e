import { PerfError, type PerfErrorCode } from '../errors.js'

/** A duration: a number of milliseconds, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'2h'`, `'1d'`. */
export type Duration = number | string

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/

/**
 * Converts a {@link Duration} to milliseconds and validates it.
 *
 * @param value the duration
 * @param name the option or argument name, used in the error message
 * @param code the error code to throw with; `INVALID_TTL` by default
 * @throws PerfError when the value is negative, NaN, infinite or an unparsable string
 */
export function toMs(value: Duration, name: string, code: PerfErrorCode = 'INVALID_TTL'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
    throw new PerfError(code, `[perf] ${name} must be a finite, non-negative number of milliseconds, got ${String(value)}`, {
      context: { option: name, value },
    })
  }
  if (typeof value === 'string') {
    const match = PATTERN.exec(value)
    if (match) return Number(match[1]) * (UNIT_MS[match[2] as string] as number)
  }
  throw new PerfError(code, `[perf] ${name} must be milliseconds or a duration string like '30s', got ${JSON.stringify(value)}`, {
    context: { option: name, value },
  })
}

/** Like {@link toMs} but returns `fallback` when `value` is undefined. */
export function optionalMs(value: Duration | undefined, name: string, fallback: number, code?: PerfErrorCode): number {
  return value === undefined ? fallback : toMs(value, name, code)
}
