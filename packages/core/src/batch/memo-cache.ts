import type { Clock } from '../util/clock.js'

/**
 * The subset of `Map` a {@link BatchLoader} memoizes promises in (the same shape as dataloader's
 * `CacheMap`, so existing custom maps keep working).
 */
export interface LoaderCacheMap<K, V> {
  get(key: K): V | void
  set(key: K, value: V): unknown
  delete(key: K): unknown
  clear(): unknown
}

interface Slot<V> {
  value: V
  expiresAt: number
}

/** How many stale entries one `set` may sweep from the oldest end; keeps `set` O(1) amortised. */
const SWEEP_PER_SET = 4

/**
 * A bounded memo map: least-recently-used eviction past `maxSize` entries and optional expiry
 * after `ttlMs`. Internal to the batch module; {@link BatchLoader} builds one when `maxCacheSize`
 * or `cacheTtlMs` is set.
 */
export class MemoCache<K, V> implements LoaderCacheMap<K, V> {
  readonly #slots = new Map<K, Slot<V>>()
  readonly #maxSize: number
  readonly #ttlMs: number
  readonly #clock: Clock

  /**
   * @param maxSize maximum number of entries (Infinity for no bound)
   * @param ttlMs lifetime of an entry in milliseconds (Infinity for no expiry)
   * @param clock time source for expiry
   */
  constructor(maxSize: number, ttlMs: number, clock: Clock) {
    this.#maxSize = maxSize
    this.#ttlMs = ttlMs
    this.#clock = clock
  }

  /** Number of entries held, expired ones not yet swept included. */
  get size(): number {
    return this.#slots.size
  }

  get(key: K): V | undefined {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    if (slot.expiresAt !== Infinity && this.#clock.now() >= slot.expiresAt) {
      this.#slots.delete(key)
      return undefined
    }
    if (this.#maxSize !== Infinity) {
      // Re-insert so Map iteration order doubles as recency order (oldest first).
      this.#slots.delete(key)
      this.#slots.set(key, slot)
    }
    return slot.value
  }

  set(key: K, value: V): this {
    const expiresAt = this.#ttlMs === Infinity ? Infinity : this.#clock.now() + this.#ttlMs
    this.#slots.delete(key)
    this.#slots.set(key, { value, expiresAt })
    this.#sweep()
    return this
  }

  delete(key: K): boolean {
    return this.#slots.delete(key)
  }

  clear(): void {
    this.#slots.clear()
  }

  /** Drops expired entries from the oldest end, then evicts least-recently-used ones over the bound. */
  #sweep(): void {
    if (this.#ttlMs !== Infinity) {
      const now = this.#clock.now()
      let budget = SWEEP_PER_SET
      for (const [key, slot] of this.#slots) {
        if (budget-- === 0 || slot.expiresAt > now) break
        this.#slots.delete(key)
      }
    }
    while (this.#slots.size > this.#maxSize) {
      const oldest = this.#slots.keys().next()
      if (oldest.done === true) break
      this.#slots.delete(oldest.value)
    }
  }
}
