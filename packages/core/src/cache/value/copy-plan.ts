import { toUnserializable, withSegment } from './codec-shared.js'

/** Copies one value of a known structure. */
export type Copier = (value: unknown) => unknown

const spread: Copier = (value) => ({ ...(value as object) })
const copyDate: Copier = (value) => new Date((value as Date).getTime())
const copyFlatArray: Copier = (value) => (value as unknown[]).slice()

/** Copiers that depend on nothing but the value; objects built only from them can share a plan. */
const SHARED_NAMES = new Map<Copier, string>([
  [spread, 'o'],
  [copyDate, 'd'],
  [copyFlatArray, 'a'],
])

/** Plain objects and arrays deeper than this get the generic copy (plans are for common shapes). */
const MAX_PLAN_DEPTH = 16
/** Most distinct flat shapes whose plans are shared. */
const MAX_SHAPES = 512

/**
 * Builds, once per stored value, a copier specialised to that value's structure, so an isolated
 * cache hit copies with spreads and a few targeted writes instead of a generic walk.
 *
 * Only sound because the cache owns the stored value and never mutates it: the structure seen
 * at compile time is the structure at every copy. Flat shapes (a row with some Date columns)
 * share one plan, keyed by shape, so a million rows of one table cost one plan.
 * Anything but plain objects, arrays and Dates falls back to the codec's generic clone.
 */
export class CopyPlanner {
  private readonly shapes = new Map<string, Copier>()

  constructor(private readonly fallback: Copier) {}

  /**
   * The copier for `value`, or undefined when `value` is a primitive (no copy needed).
   * @throws PerfError UNSERIALIZABLE_VALUE (with `cause`) when reading `value` throws: a getter, a proxy trap, a revoked proxy
   */
  compile(value: unknown): Copier | undefined {
    try {
      return this.plan(value, 0)
    } catch (error) {
      return toUnserializable(error, 'cache')
    }
  }

  private plan(value: unknown, depth: number): Copier | undefined {
    if (typeof value !== 'object' || value === null) return undefined
    if (depth > MAX_PLAN_DEPTH) return this.fallback
    const proto = Object.getPrototypeOf(value) as object | null
    if (proto === Object.prototype) return this.object(value as Record<string, unknown>, depth)
    if (proto === Array.prototype) return this.array(value as unknown[], depth)
    if (proto === Date.prototype) return copyDate
    return this.fallback
  }

  private object(source: Record<string, unknown>, depth: number): Copier {
    const keys: string[] = []
    const copiers: Copier[] = []
    let shape = ''
    let key: string | undefined
    try {
      for (key in source) {
        if (!Object.prototype.hasOwnProperty.call(source, key)) continue
        const copier = this.plan(source[key], depth + 1)
        if (copier === undefined) continue
        // Assigning "__proto__" would set the prototype, not a property: the generic clone handles it.
        if (key === '__proto__') return this.fallback
        keys.push(key)
        copiers.push(copier)
        const name = SHARED_NAMES.get(copier)
        shape = name === undefined || shape === '\u0000' ? '\u0000' : `${shape}${key.length}:${key}${name}`
      }
    } catch (error) {
      throw withSegment(error, key)
    }
    if (keys.length === 0) return spread
    if (shape !== '\u0000') {
      const known = this.shapes.get(shape)
      if (known !== undefined) return known
      const made = objectCopier(keys, copiers)
      if (this.shapes.size < MAX_SHAPES) this.shapes.set(shape, made)
      return made
    }
    return objectCopier(keys, copiers)
  }

  private array(source: unknown[], depth: number): Copier {
    let first: Copier | undefined
    let uniform = true
    const copiers: (Copier | undefined)[] = new Array<Copier | undefined>(source.length)
    let i = 0
    try {
      for (; i < source.length; i++) {
        const copier = this.plan(source[i], depth + 1)
        copiers[i] = copier
        if (i === 0) first = copier
        else if (copier !== first) uniform = false
      }
    } catch (error) {
      throw withSegment(error, i)
    }
    if (uniform && first === undefined) return copyFlatArray
    if (uniform) {
      const element = first as Copier
      return (value) => {
        const copy = (value as unknown[]).slice()
        for (let i = 0; i < copy.length; i++) copy[i] = element(copy[i])
        return copy
      }
    }
    return (value) => {
      const copy = (value as unknown[]).slice()
      for (let i = 0; i < copy.length; i++) {
        const copier = copiers[i]
        if (copier !== undefined) copy[i] = copier(copy[i])
      }
      return copy
    }
  }
}

function objectCopier(keys: readonly string[], copiers: readonly Copier[]): Copier {
  return (value) => {
    const source = value as Record<string, unknown>
    const copy: Record<string, unknown> = { ...source }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string
      copy[key] = (copiers[i] as Copier)(source[key])
    }
    return copy
  }
}
