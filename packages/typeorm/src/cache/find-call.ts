import { PerfError, toMs } from '@perf/core'
import type { EntityShape } from './entity-shape.js'

/** What a cached find returns: entities, one entity or null, entities and a count, a number, a boolean. */
export type Kind = 'many' | 'one' | 'count' | 'number' | 'bool'

/** Distinct option shapes whose table tags are kept. */
export const MAX_SHAPES = 2_000

/**
 * The shape of find options: keys and nesting (which decide the joins, hence the tables), with
 * values folded to `_`, arrays of values to one `[_]` (an `In()` list of any length), and find
 * operators to their type.
 */
export function optionsShape(value: unknown, depth: number): string {
  if (value === null || typeof value !== 'object' || value instanceof Date) return '_'
  if (depth > 32) return '…'
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object' || v instanceof Date)) return '[_]'
    return `[${value.map((v) => optionsShape(v, depth + 1)).join(',')}]`
  }
  const op = (value as { _type?: unknown; _value?: unknown })._type
  if (typeof op === 'string') return `${op}(${optionsShape((value as { _value?: unknown })._value, depth + 1)})`
  const keys = Object.keys(value).sort()
  return `{${keys.map((k) => `${k}:${optionsShape((value as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`
}

/** The ttl and cache id of one call, or undefined when it is not cached. */
export function resolveCall(
  option: unknown,
  plan: { name: string; ttlMs: number | undefined },
  typeormDefaultMs: number,
  method: string,
): { ttlMs: number; id: string | undefined } | undefined {
  let ttlMs: number | undefined
  let id: string | undefined
  if (option === undefined || option === null) ttlMs = plan.ttlMs
  else if (option === false) return undefined
  else if (option === true) ttlMs = plan.ttlMs ?? typeormDefaultMs
  else if (typeof option === 'number') ttlMs = toMs(option, `[perf:typeorm] ${plan.name}.${method}({ cache })`)
  else if (typeof option === 'object' && typeof (option as { id?: unknown }).id === 'string') {
    const { id: given, milliseconds } = option as { id: string; milliseconds?: number }
    id = given
    ttlMs =
      milliseconds === undefined
        ? (plan.ttlMs ?? typeormDefaultMs)
        : toMs(milliseconds, `[perf:typeorm] ${plan.name}.${method}({ cache: { milliseconds } })`)
  } else {
    throw new PerfError(
      'INVALID_OPTION',
      `[perf:typeorm] ${plan.name}.${method}(): cache must be true, false, milliseconds or { id, milliseconds }`,
      { context: { option: 'cache', value: option } },
    )
  }
  return ttlMs === undefined || ttlMs === 0 ? undefined : { ttlMs, id }
}

export function withoutCache(options: Record<string, unknown> | undefined): Record<string, unknown> {
  if (options === undefined || options === null) return {}
  if (!('cache' in options)) return options
  const { cache: _ignored, ...rest } = options
  return rest
}

export function flatten(shape: EntityShape, kind: Kind, result: unknown): unknown {
  switch (kind) {
    case 'many':
      return (result as unknown[]).map((e) => shape.toPlain(e))
    case 'one':
      return shape.toPlain(result)
    case 'count': {
      const [rows, count] = result as [unknown[], number]
      return { rows: rows.map((e) => shape.toPlain(e)), count }
    }
    default:
      return result
  }
}

export function rebuild(shape: EntityShape, kind: Kind, value: unknown): unknown {
  switch (kind) {
    case 'many':
      return (value as unknown[]).map((p) => shape.fromPlain(p))
    case 'one':
      return shape.fromPlain(value)
    case 'count': {
      const { rows, count } = value as { rows: unknown[]; count: number }
      return [rows.map((p) => shape.fromPlain(p)), count]
    }
    default:
      return value
  }
}

export function typeormDuration(option: unknown): number {
  const duration =
    typeof option === 'object' && option !== null ? (option as { duration?: unknown }).duration : undefined
  return typeof duration === 'number' && duration >= 0 ? duration : 1000
}
