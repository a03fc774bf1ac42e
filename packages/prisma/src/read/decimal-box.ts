import { Decimal as OwnDecimal } from '@prisma/client/runtime/client'

/** What Prisma's `Decimal` (decimal.js) looks like, whichever copy of `@prisma/client` made it. */
interface DecimalLike {
  d: unknown[]
  e: number
  s: number
  toFixed(): string
  constructor: new (text: string) => unknown
}

/**
 * Recognises a Decimal by its shape, not by `instanceof`: a monorepo may hold two copies of
 * `@prisma/client`, and the client's Decimal then is not the class this package imports.
 */
export function isDecimalLike(value: unknown): value is DecimalLike {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<DecimalLike>
  return Array.isArray(v.d) && typeof v.e === 'number' && typeof v.s === 'number' && typeof v.toFixed === 'function'
}

/** The key of a boxed value; no Prisma result has it at the top (field names are identifiers without `$`). */
const BOX = '$perfDecimals'

type Path = (string | number)[]
interface Box {
  [BOX]: Path[]
  value: unknown
}

/**
 * Prisma's Decimal values made storable by ANY cache: read results go into the cache with each
 * Decimal replaced by its exact string and the paths to them listed beside the value, and come
 * back out with the Decimals rebuilt. So `perf()` caches Decimal columns whatever codec the
 * user's cache (and its Redis tier) has, and a value cached by one process is rebuilt in another.
 * Rebuilt values use the client's own Decimal class, learned from the first Decimal loaded
 * (before that, this package's import of it).
 */
export class DecimalBoxes {
  #Decimal: new (text: string) => unknown = OwnDecimal

  /** `value`, or a box of a copy whose Decimals are strings (the loaded value is never changed). */
  box(value: unknown): unknown {
    const paths: Path[] = []
    const copy = this.#strip(value, [], paths, 0)
    return paths.length === 0 ? value : ({ [BOX]: paths, value: copy } satisfies Box)
  }

  /**
   * The value a {@link box} stood for, its Decimals rebuilt; other values as they are. The box is
   * never changed (a cache without isolation hands the same object to every hit): containers on
   * the way to a Decimal are copied.
   */
  unbox(value: unknown): unknown {
    if (typeof value !== 'object' || value === null || !(BOX in value)) return value
    const { [BOX]: paths, value: inner } = value as Box
    if (!Array.isArray(paths)) return value
    const Decimal = this.#Decimal
    const top: Record<string | number, unknown> = { value: inner }
    const copies = new Set<unknown>([top])
    for (const path of paths) {
      let container = top
      let key: string | number = 'value'
      for (const step of path) {
        let child = container[key] as Record<string | number, unknown>
        if (!copies.has(child)) {
          child = (Array.isArray(child) ? child.slice() : { ...child }) as Record<string | number, unknown>
          copies.add(child)
          container[key] = child
        }
        container = child
        key = step
      }
      container[key] = new Decimal(String(container[key]))
    }
    return top.value
  }

  #strip(value: unknown, path: Path, paths: Path[], depth: number): unknown {
    if (typeof value !== 'object' || value === null || depth > 64) return value
    if (isDecimalLike(value)) {
      this.#Decimal = value.constructor
      paths.push(path.slice())
      return value.toFixed()
    }
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined
      for (let i = 0; i < value.length; i++) {
        path.push(i)
        const item = this.#strip(value[i], path, paths, depth + 1)
        path.pop()
        if (item !== value[i]) (copy ??= value.slice())[i] = item
      }
      return copy ?? value
    }
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return value
    let copy: Record<string, unknown> | undefined
    for (const key in value) {
      const field = (value as Record<string, unknown>)[key]
      path.push(key)
      const item = this.#strip(field, path, paths, depth + 1)
      path.pop()
      if (item !== field) (copy ??= { ...(value as Record<string, unknown>) })[key] = item
    }
    return copy ?? value
  }
}
