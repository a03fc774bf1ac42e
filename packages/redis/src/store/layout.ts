import { hash32 } from '../internal/slot.js'

/**
 * Where a store's keys live. Without buckets (single node): `<prefix>e:<key>` (entry),
 * `<prefix>d:<key>` (tombstone), `<prefix>t:<tag>` (tag invalidation stamp), `<prefix>c` (clock), `<prefix>x` (namespace clears),
 * `<prefix>m` (meta).
 * With N buckets (Cluster): `<prefix>{b}e:<key>` etc., so an entry, its tombstone, the tag records
 * it reads and its bucket's meta key share one hash slot and a read stays one MGET. Tag records
 * are written to every bucket; entries spread over the N slots.
 */
export class StoreLayout {
  readonly #tags: string[]
  constructor(
    readonly prefix: string,
    readonly buckets: number,
  ) {
    this.#tags = buckets === 0 ? [''] : Array.from({ length: buckets }, (_, b) => `{${b}}`)
  }

  /** Every bucket index (just 0 without buckets). */
  get bucketIds(): number[] {
    return this.#tags.map((_, b) => b)
  }

  bucketOf(key: string): number {
    return this.buckets === 0 ? 0 : hash32(key) % this.buckets
  }

  entryKey(key: string, bucket = this.bucketOf(key)): string {
    return `${this.prefix}${this.#tags[bucket]}e:${key}`
  }

  tombKey(key: string, bucket = this.bucketOf(key)): string {
    return `${this.prefix}${this.#tags[bucket]}d:${key}`
  }

  tagPrefix(bucket: number): string {
    return `${this.prefix}${this.#tags[bucket]}t:`
  }

  metaKey(bucket: number): string {
    return `${this.prefix}${this.#tags[bucket]}m`
  }

  /** The bucket's clock: the last stamp issued there (scripts.ts). */
  clockKey(bucket: number): string {
    return `${this.prefix}${this.#tags[bucket]}c`
  }

  /** The bucket's namespace clears: JSON `{ prefix: stamp }`. */
  clearsKey(bucket: number): string {
    return `${this.prefix}${this.#tags[bucket]}x`
  }

  /** SCAN pattern for entries whose key starts with `keyPrefix` (every key of the store when undefined). */
  scanPattern(keyPrefix: string | undefined): string {
    const base = escapeGlob(this.prefix) + (this.buckets === 0 ? '' : '{*}')
    return keyPrefix === undefined ? `${escapeGlob(this.prefix)}*` : `${base}e:${escapeGlob(keyPrefix)}*`
  }
}

/** Groups `items` by the bucket of `keyOf(item)`, keeping their order inside each bucket. */
export function groupByBucket<T>(
  layout: StoreLayout,
  items: readonly T[],
  keyOf: (item: T) => string,
): Map<number, T[]> {
  const groups = new Map<number, T[]>()
  for (const item of items) {
    const bucket = layout.bucketOf(keyOf(item))
    const group = groups.get(bucket)
    if (group === undefined) groups.set(bucket, [item])
    else group.push(item)
  }
  return groups
}

/** Escapes Redis glob metacharacters so SCAN MATCH treats `value` literally. */
export function escapeGlob(value: string): string {
  return value.replace(/[*?[\]\\]/g, (ch) => `\\${ch}`)
}

/** The logical key of an entry key of `layout`, or undefined when `redisKey` is not an entry key. */
export function entryKeyOf(layout: StoreLayout, redisKey: string): string | undefined {
  if (!redisKey.startsWith(layout.prefix)) return undefined
  let rest = redisKey.slice(layout.prefix.length)
  if (layout.buckets > 0) {
    const match = /^\{\d+\}/.exec(rest)
    if (!match) return undefined
    rest = rest.slice(match[0].length)
  }
  return rest.startsWith('e:') ? rest.slice(2) : undefined
}
