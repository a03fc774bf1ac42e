import type { ClassRegistry } from './codec-registry.js'
import {
  MAX_BIGINT_DIGITS,
  PathError,
  RESTART,
  TAG,
  TILDE,
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

const UNDEFINED = `{"${TAG.undefined}":0}`

function tagged(tag: string, json: string): string {
  return `{"${tag}":${json}}`
}

function base64(view: ArrayBufferView | ArrayBuffer): string {
  return ArrayBuffer.isView(view)
    ? Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64')
    : Buffer.from(view).toString('base64')
}

/**
 * Writes a value as tagged JSON text in one pass: JSON values as themselves, everything else as
 * a one-key object whose key starts with `~` (`{"~d":1700000000000}`). A user key that starts
 * with `~` is written with one more `~`, so user data never reads as a tag.
 */
export class Encoder {
  constructor(private readonly registry: ClassRegistry) {}

  /** Tagged JSON text for `value`. @throws PerfError UNSERIALIZABLE_VALUE naming the path of the offending part */
  encode(value: unknown): string {
    try {
      return this.value(value, 0, null)
    } catch (error) {
      if (error !== RESTART) return toUnserializable(error)
    }
    try {
      return this.value(value, 0, new Set())
    } catch (error) {
      return toUnserializable(error)
    }
  }

  private value(value: unknown, depth: number, ancestors: Ancestors): string {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value)
      case 'number':
        if (Number.isFinite(value)) return value === 0 && 1 / value < 0 ? tagged(TAG.number, '"-0"') : String(value)
        return tagged(TAG.number, `"${String(value)}"`)
      case 'boolean':
        return value ? 'true' : 'false'
      case 'undefined':
        return UNDEFINED
      case 'bigint': {
        const digits = value.toString()
        if (digits.length - (value < 0n ? 1 : 0) > MAX_BIGINT_DIGITS)
          throw new PathError(`is a BigInt of more than ${MAX_BIGINT_DIGITS} digits`)
        return tagged(TAG.bigint, `"${digits}"`)
      }
      case 'object':
        return value === null ? 'null' : this.object(value, depth, ancestors)
      default:
        throw unsupported(value)
    }
  }

  private object(value: object, depth: number, ancestors: Ancestors): string {
    return visitGuarded(value, depth, ancestors, this.dispatchBound)
  }

  private readonly dispatchBound = (value: object, depth: number, ancestors: Ancestors): string =>
    this.dispatch(value, depth, ancestors)

  private dispatch(value: object, depth: number, ancestors: Ancestors): string {
    const proto = Object.getPrototypeOf(value) as object | null
    if (proto === Object.prototype || proto === null)
      return this.plain(value as Record<string, unknown>, depth, ancestors)
    if (proto === Array.prototype) return this.array(value as unknown[], depth, ancestors)
    if (proto === Date.prototype) {
      const time = (value as Date).getTime()
      return tagged(TAG.date, Number.isNaN(time) ? 'null' : String(time))
    }
    if (proto === Map.prototype) return this.map(value as Map<unknown, unknown>, depth, ancestors)
    if (proto === Set.prototype) return tagged(TAG.set, this.items(value as Set<unknown>, depth, ancestors))
    if (proto === Buffer.prototype) return tagged(TAG.bytes, `["Buffer","${base64(value as Buffer)}"]`)
    const view = TYPED_ARRAY_BY_PROTO.get(proto)
    if (view !== undefined) return tagged(TAG.bytes, `["${view.name}","${base64(value as Uint8Array)}"]`)
    if (proto === ArrayBuffer.prototype) return tagged(TAG.bytes, `["ArrayBuffer","${base64(value as ArrayBuffer)}"]`)
    return this.instance(value, proto, depth, ancestors)
  }

  private instance(value: object, proto: object, depth: number, ancestors: Ancestors): string {
    const cls = this.registry.find(value, proto)
    if (cls === undefined) throw unsupported(value)
    let json: unknown
    try {
      json = cls.encode(value)
    } catch (error) {
      throw new PathError(`could not be encoded by the codec class "${cls.name}": ${describeError(error)}`, error)
    }
    return tagged(TAG.class, `[${JSON.stringify(cls.name)},${this.value(json, depth, ancestors)}]`)
  }

  private plain(value: Record<string, unknown>, depth: number, ancestors: Ancestors): string {
    let text = '{'
    let key: string | undefined
    try {
      for (key of Object.keys(value)) {
        const name = key.charCodeAt(0) === TILDE ? '~' + key : key
        text += (text.length === 1 ? '' : ',') + JSON.stringify(name) + ':' + this.value(value[key], depth, ancestors)
      }
    } catch (error) {
      throw withSegment(error, key)
    }
    return text + '}'
  }

  private array(value: unknown[], depth: number, ancestors: Ancestors): string {
    let text = '['
    let i = 0
    try {
      for (; i < value.length; i++) text += (i === 0 ? '' : ',') + this.value(value[i], depth, ancestors)
    } catch (error) {
      throw withSegment(error, i)
    }
    return text + ']'
  }

  private map(value: Map<unknown, unknown>, depth: number, ancestors: Ancestors): string {
    // Flat [k1, v1, k2, v2, ...]: shorter than an array of pairs.
    let text = '['
    let index = 0
    for (const [key, item] of value) {
      if (index > 0) text += ','
      try {
        text += this.value(key, depth, ancestors)
      } catch (error) {
        throw withRawSegment(error, `.keys()[${index}]`)
      }
      try {
        text += ',' + this.value(item, depth, ancestors)
      } catch (error) {
        throw withRawSegment(error, `.get(${describeMapKey(key)})`)
      }
      index++
    }
    return tagged(TAG.map, text + ']')
  }

  private items(value: Set<unknown>, depth: number, ancestors: Ancestors): string {
    let text = '['
    let index = 0
    try {
      for (const item of value) {
        text += (index === 0 ? '' : ',') + this.value(item, depth, ancestors)
        index++
      }
    } catch (error) {
      throw withRawSegment(error, `.values()[${index}]`)
    }
    return text + ']'
  }
}
