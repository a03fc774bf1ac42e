/** Thrown inside {@link normaliseOptions} for a value the key cannot hold: the call runs its usual path. */
export class Unkeyable extends Error {}

/** Finder options that change nothing in the result, or are handled before the key. */
const IGNORED = new Set(['logging', 'benchmark', 'cache'])

/**
 * Finder options as data a cache key can hold: Sequelize's `Op` symbols as `@@op:<name>`, models
 * and associations by name, `literal`/`fn`/`col`/`where` by their parts.
 * @throws Unkeyable for functions, unknown class instances, `lock`, `transaction`
 */
export function normaliseOptions(options: Record<string, unknown>): unknown {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(options)) {
    if (IGNORED.has(key)) continue
    if (key === 'lock' || key === 'transaction' || key === 'skipLocked') {
      if (options[key] === undefined || options[key] === null || options[key] === false) continue
      throw new Unkeyable(key)
    }
    out[key] = normalise(options[key], 0)
  }
  for (const sym of Object.getOwnPropertySymbols(options)) out[symbolName(sym)] = normalise(options[sym as never], 0)
  return out
}

function symbolName(sym: symbol): string {
  return `@@op:${sym.description ?? ''}`
}

function normalise(value: unknown, depth: number): unknown {
  if (depth > 32) throw new Unkeyable('depth')
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return value
    case 'function':
      if (isModel(value)) return { '@@model': value.name, scope: normalise(value._scope ?? null, depth + 1) }
      throw new Unkeyable('function')
    case 'symbol':
      return symbolName(value)
    default:
      break
  }
  if (value === null) return null
  if (Array.isArray(value)) return value.map((v) => normalise(v, depth + 1))
  if (value instanceof Date || Buffer.isBuffer(value)) return value
  const proto = Object.getPrototypeOf(value) as object | null
  const record = value as Record<string | symbol, unknown>
  let tag: string | undefined
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto.constructor as { name?: string } | undefined)?.name ?? ''
    const association = associationOf(value as object)
    if (association !== undefined) return { '@@association': association }
    // literal, fn, col, where, cast, json: plain data under a class of Sequelize's.
    if (!isSequelizeMethod(value as object)) throw new Unkeyable(name)
    tag = name
  }
  const out: Record<string, unknown> = tag === undefined ? {} : { '@@class': tag }
  for (const key of Object.keys(record)) out[key] = normalise(record[key], depth + 1)
  for (const sym of Object.getOwnPropertySymbols(record)) out[symbolName(sym)] = normalise(record[sym], depth + 1)
  return out
}

interface ModelLike {
  name: string
  _scope?: unknown
  rawAttributes: unknown
}

function isModel(value: unknown): value is ModelLike {
  return typeof value === 'function' && typeof (value as { rawAttributes?: unknown }).rawAttributes === 'object'
}

/** `<Source>.<as>` of an association object, undefined for anything else. */
function associationOf(value: object): string | undefined {
  const v = value as { source?: unknown; as?: unknown; associationType?: unknown }
  if (typeof v.associationType !== 'string' || !isModel(v.source) || typeof v.as !== 'string') return undefined
  return `${v.source.name}.${v.as}`
}

/** Sequelize's `Utils.SequelizeMethod` subclasses, found by walking up to a class of that name. */
function isSequelizeMethod(value: object): boolean {
  let proto = Object.getPrototypeOf(value) as object | null
  while (proto !== null && proto !== Object.prototype) {
    if ((proto.constructor as { name?: string } | undefined)?.name === 'SequelizeMethod') return true
    proto = Object.getPrototypeOf(proto) as object | null
  }
  return false
}
