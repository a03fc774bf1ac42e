import { PerfError } from '../../errors.js'
import type { CodecClass } from './codec-shared.js'

function invalid(option: string, message: string, value: unknown): PerfError {
  return new PerfError('INVALID_OPTION', `[perf:codec] option "${option}" ${message}`, { context: { option, value } })
}

/** The classes one codec round-trips, found by prototype (fast) or instanceof (subclasses). */
export class ClassRegistry {
  private readonly byProto = new Map<object, CodecClass>()
  private readonly byName = new Map<string, CodecClass>()

  /** Validates and adds `cls`. @throws PerfError INVALID_OPTION on a malformed entry or a duplicate name or type. */
  register(cls: CodecClass): void {
    if (typeof cls !== 'object' || cls === null)
      throw invalid('classes', 'must contain objects { name, type, encode, decode }', cls)
    const { name, type } = cls
    if (typeof name !== 'string' || name === '') throw invalid('classes[].name', 'must be a non-empty string', name)
    if (typeof type !== 'function' || typeof type.prototype !== 'object' || type.prototype === null) {
      throw invalid(`classes["${name}"].type`, 'must be a class (constructor function)', type)
    }
    for (const method of ['encode', 'decode'] as const) {
      if (typeof cls[method] !== 'function')
        throw invalid(`classes["${name}"].${method}`, 'must be a function', cls[method])
    }
    if (cls.clone !== undefined && typeof cls.clone !== 'function')
      throw invalid(`classes["${name}"].clone`, 'must be a function', cls.clone)
    if (this.byName.has(name)) throw invalid('classes', `registers the name "${name}" twice`, name)
    if (this.byProto.has(type.prototype as object))
      throw invalid('classes', `registers the class ${type.name || name} twice`, name)
    this.byProto.set(type.prototype as object, cls)
    this.byName.set(name, cls)
  }

  /** The registration for `value` (whose prototype is `proto`), or undefined. */
  find(value: object, proto: object): CodecClass | undefined {
    const exact = this.byProto.get(proto)
    if (exact !== undefined || this.byName.size === 0) return exact
    for (const cls of this.byName.values()) if (value instanceof cls.type) return cls
    return undefined
  }

  /** The registration named `name`, or undefined. */
  named(name: string): CodecClass | undefined {
    return this.byName.get(name)
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.byName.keys()]
  }
}
