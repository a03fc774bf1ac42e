/**
 * A fast, conservative estimate of how much V8 heap a value occupies. Used by `MemoryStore` to
 * honour `maxBytes`; it errs high (strings count 2 bytes per character even when V8 stores one)
 * because an under-estimate lets the heap outgrow the budget the user set.
 */

import { toUnserializable, withSegment } from './codec-shared.js'

/** Bytes charged for an object or array header (map, properties and elements pointers, slack). */
const OBJECT_HEADER = 32
/** Bytes charged per property or element slot (a tagged pointer or an unboxed double). */
const SLOT = 8
/** Bytes charged for a string header (map, hash, length). */
const STRING_HEADER = 16
/** Bytes charged for a typed array view plus its ArrayBuffer and backing-store bookkeeping. */
const VIEW_HEADER = 96
/** Bytes charged per Map/Set entry beyond its key and value (hash table bucket and chain). */
const HASH_ENTRY = 24
/** Beyond this depth a subtree is charged a flat amount instead of being walked (cycles, pathologically deep data). */
const MAX_DEPTH = 32
/** Flat charge for a subtree deeper than MAX_DEPTH or visited after the node budget ran out. */
const FLAT_CHARGE = 1024
/** Most nodes one estimate visits, so a huge or self-referencing value costs bounded time. */
const NODE_BUDGET = 100_000

/** Mutable walk state: one small object per estimate, not per node. */
interface Walk {
  nodes: number
}

/**
 * Estimates the heap bytes `value` occupies (over- rather than under-estimating). Shared
 * references are charged once per path, cycles and very deep values are cut off, and the walk
 * visits at most 100,000 nodes, so the cost is bounded for any input.
 *
 * @throws PerfError UNSERIALIZABLE_VALUE (with `cause`) when reading `value` throws: a getter, a proxy trap, a revoked proxy
 * @example
 * estimateSize({ id: 1, name: 'Ada' }) // ≈ 90
 */
export function estimateSize(value: unknown): number {
  try {
    return sizeOf(value, 0, { nodes: 0 })
  } catch (error) {
    return toUnserializable(error, 'size')
  }
}

function sizeOf(value: unknown, depth: number, walk: Walk): number {
  switch (typeof value) {
    case 'string':
      return STRING_HEADER + 2 * value.length
    case 'number':
    case 'boolean':
    case 'undefined':
      return SLOT
    case 'bigint':
      // 64 bits per digit; toString(16) is cheap next to storing a bigint at all.
      return STRING_HEADER + SLOT * Math.ceil(value.toString(16).length / 16)
    case 'symbol':
      return OBJECT_HEADER
    case 'function':
      return 2 * OBJECT_HEADER
    default:
      if (value === null) return SLOT
      if (depth >= MAX_DEPTH || ++walk.nodes > NODE_BUDGET) return FLAT_CHARGE
      return objectSize(value as object, depth + 1, walk)
  }
}

function objectSize(value: object, depth: number, walk: Walk): number {
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return propertiesSize(value as Record<string, unknown>, depth, walk)
  if (Array.isArray(value)) {
    let total = OBJECT_HEADER + SLOT * value.length
    let i = 0
    try {
      for (; i < value.length; i++) total += sizeOf(value[i], depth, walk)
    } catch (error) {
      throw withSegment(error, i)
    }
    return total
  }
  if (proto === Date.prototype) return OBJECT_HEADER + 16
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return VIEW_HEADER + value.byteLength
  if (value instanceof Map) {
    let total = 2 * OBJECT_HEADER
    for (const [k, v] of value) total += HASH_ENTRY + sizeOf(k, depth, walk) + sizeOf(v, depth, walk)
    return total
  }
  if (value instanceof Set) {
    let total = 2 * OBJECT_HEADER
    for (const v of value) total += HASH_ENTRY + sizeOf(v, depth, walk)
    return total
  }
  if (value instanceof RegExp) return 2 * OBJECT_HEADER + 2 * value.source.length
  // Class instances (Decimal, Date subclasses...): their own enumerable data.
  return propertiesSize(value as Record<string, unknown>, depth, walk, Object.keys(value))
}

function propertiesSize(
  value: Record<string, unknown>,
  depth: number,
  walk: Walk,
  ownKeys?: readonly string[],
): number {
  let total = OBJECT_HEADER
  let key: string | undefined
  // Keys are usually shared through hidden classes; charging their length anyway keeps
  // dictionary-like objects (unique keys per object) from being under-counted. for-in is
  // safe for plain objects: their prototype is Object.prototype or null.
  try {
    if (ownKeys === undefined) for (key in value) total += SLOT + key.length + sizeOf(value[key], depth, walk)
    else for (key of ownKeys) total += SLOT + key.length + sizeOf(value[key], depth, walk)
  } catch (error) {
    throw withSegment(error, key)
  }
  return total
}
