import { PerfError } from '@perf/core'

function invalid(component: string, option: string, rule: string, value: unknown): never {
  throw new PerfError(
    'INVALID_OPTION',
    `[perf:redis] ${component} option "${option}" must be ${rule}, got ${JSON.stringify(value) ?? String(value)}`,
    {
      context: { option, value },
    },
  )
}

/** A key prefix: a string of at most 256 characters without `{`/`}` (they would change hash slots). */
export function assertPrefix(value: unknown, component: string, option: string): string {
  if (typeof value !== 'string' || value.length > 256 || /[{}]/.test(value)) {
    invalid(component, option, 'a string of at most 256 characters without "{" or "}"', value)
  }
  return value
}

/** An integer within [min, max]. */
export function assertWholeNumber(
  value: unknown,
  option: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  component = '@perf/redis',
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(component, option, `an integer from ${min} to ${max}`, value)
  }
  return value
}

/** A finite number within [min, max]. */
export function assertFinite(
  value: unknown,
  option: string,
  min: number,
  max: number,
  component = '@perf/redis',
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    invalid(component, option, `a number from ${min} to ${max}`, value)
  }
  return value
}

/** A non-empty string. */
export function assertName(value: unknown, option: string, component = '@perf/redis'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512)
    invalid(component, option, 'a non-empty string', value)
  return value
}
