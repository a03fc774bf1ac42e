import type { ClassRegistry } from './codec-registry.js'
import {
  PathError,
  RESTART,
  TYPED_ARRAY_BY_PROTO,
  describeError,
  describeMapKey,
  toUnserializable,
  unsupported,
  withRawSegment,
  withSegment,
  visitGuarded,
  type Ancestors,
} from './codec-shared.js'

/**
 * Deep copies without going through bytes; runs on every isolated cache hit, so the common
 * shapes (plain objects, arrays, Date) take the shortest paths and cycle bookkeeping only
 * starts when a walk gets deeper than CHEAP_DEPTH. Shared references are copied once per path.
 */
export class Cloner {
  constructor(private readonly registry: ClassRegistry) {}

  /** A deep copy of `value`. @throws PerfError UNSERIALIZABLE_VALUE naming the path of the offending part */
  clone(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return this.primitive(value)
    try {
      return this.object(value, 0, null)
    } catch (error) {
      if (error !== RESTART) return toUnserializable(error)
    }
    try {
      return this.object(value, 0, new Set())
    } catch (error) {
      return toUnserializable(error)
    }
  }

  private primitive(value: unknown): unknown {
    if (typeof value === 'function' || typeof value === 'symbol') toUnserializable(unsupported(value))
    return value
  }

  private value(value: unknown, depth: number, ancestors: Ancestors): unknown {
    if (typeof value === 'object') return value === null ? null : this.object(value, depth, ancestors)
    if (typeof value === 'function' || typeof value === 'symbol') throw unsupported(value)
    return value
  }

  private object(value: object, depth: number, ancestors: Ancestors): unknown {
    return visitGuarded(value, depth, ancestors, this.dispatchBound)
  }

  private readonly dispatchBound = (value: object, depth: number, ancestors: Ancestors): unknown =>
    this.dispatch(value, depth, ancestors)

  private dispatch(value: object, depth: number, ancestors: Ancestors): unknown {
    const proto = Object.getPrototypeOf(value) as object | null
    if (proto === Object.prototype || proto === null)
      return this.plain(value as Record<string, unknown>, proto, depth, ancestors)
    if (proto === Array.prototype) return this.array(value as unknown[], depth, ancestors)
    if (proto === Date.prototype) return new Date((value as Date).getTime())
    if (proto === Map.prototype) return this.map(value as Map<unknown, unknown>, depth, ancestors)
    if (proto === Set.prototype) return this.set(value as Set<unknown>, depth, ancestors)
    if (proto === Buffer.prototype) return Buffer.from(value as Buffer)
    if (TYPED_ARRAY_BY_PROTO.has(proto)) return (value as Uint8Array).slice()
    if (proto === ArrayBuffer.prototype) return (value as ArrayBuffer).slice(0)
    const cls = this.registry.find(value, proto)
    if (cls === undefined) throw unsupported(value)
    try {
      if (cls.clone !== undefined) return cls.clone(value)
      return cls.decode(this.value(cls.encode(value), depth, ancestors))
    } catch (error) {
      if (error instanceof PathError || error === RESTART) throw error
      throw new PathError(`could not be copied by the codec class "${cls.name}": ${describeError(error)}`, error)
    }
  }

  private plain(source: Record<string, unknown>, proto: object | null, depth: number, ancestors: Ancestors): object {
    // Spread first: V8 copies an object of a known shape in one step, and CopyDataProperties
    // defines keys (an own "__proto__" stays an own property). Then only object-valued
    // properties are replaced; assigning to an existing own "__proto__" is an ordinary write.
    const copy: Record<string, unknown> = proto === null ? Object.assign(Object.create(null), source) : { ...source }
    let key: string | undefined
    try {
      for (key in copy) {
        const item = copy[key]
        if (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol')
          copy[key] = this.value(item, depth, ancestors)
      }
    } catch (error) {
      throw withSegment(error, key)
    }
    return copy
  }

  private array(source: unknown[], depth: number, ancestors: Ancestors): unknown[] {
    // slice() copies primitives in one go and keeps the elements kind; objects are replaced below.
    const copy = Array.prototype.slice.call(source) as unknown[]
    let i = 0
    try {
      for (; i < copy.length; i++) {
        const item = copy[i]
        if (typeof item === 'object' || typeof item === 'function' || typeof item === 'symbol')
          copy[i] = this.value(item, depth, ancestors)
      }
    } catch (error) {
      throw withSegment(error, i)
    }
    return copy
  }

  private map(source: Map<unknown, unknown>, depth: number, ancestors: Ancestors): Map<unknown, unknown> {
    const copy = new Map<unknown, unknown>()
    let index = 0
    for (const [key, item] of source) {
      let clonedKey: unknown
      try {
        clonedKey = this.value(key, depth, ancestors)
      } catch (error) {
        throw withRawSegment(error, `.keys()[${index}]`)
      }
      try {
        copy.set(clonedKey, this.value(item, depth, ancestors))
      } catch (error) {
        throw withRawSegment(error, `.get(${describeMapKey(key)})`)
      }
      index++
    }
    return copy
  }

  private set(source: Set<unknown>, depth: number, ancestors: Ancestors): Set<unknown> {
    const copy = new Set<unknown>()
    let index = 0
    try {
      for (const item of source) {
        copy.add(this.value(item, depth, ancestors))
        index++
      }
    } catch (error) {
      throw withRawSegment(error, `.values()[${index}]`)
    }
    return copy
  }
}
