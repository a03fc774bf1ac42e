/**
 * A Map bounded to `capacity` entries that evicts the least recently used one. Relies on Map's
 * insertion order: a hit is moved to the end, the first key is the oldest.
 */
export class LruMap<K, V> {
  readonly #map = new Map<K, V>()
  readonly #capacity: number

  /** @param capacity maximum entries kept; 0 keeps nothing. */
  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /** The value for `key`, marking it most recently used. */
  get(key: K): V | undefined {
    const value = this.#map.get(key)
    if (value !== undefined) {
      this.#map.delete(key)
      this.#map.set(key, value)
    }
    return value
  }

  /** Stores `value`, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.#capacity === 0) return
    this.#map.delete(key)
    if (this.#map.size >= this.#capacity) this.#map.delete(this.#map.keys().next().value as K)
    this.#map.set(key, value)
  }

  /** The value for `key` without marking it used. */
  peek(key: K): V | undefined {
    return this.#map.get(key)
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: K): boolean {
    return this.#map.delete(key)
  }

  /** Entries currently held. */
  get size(): number {
    return this.#map.size
  }

  /** Drops every entry. */
  clear(): void {
    this.#map.clear()
  }
}
