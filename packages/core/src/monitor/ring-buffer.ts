/** A fixed-capacity buffer that overwrites its oldest item when full. */
export class RingBuffer<T> {
  readonly #items: (T | undefined)[]
  #next = 0
  #size = 0

  /** @param capacity maximum items kept; 0 keeps nothing. */
  constructor(readonly capacity: number) {
    this.#items = new Array<T | undefined>(capacity)
  }

  /** Adds `item`, dropping the oldest one when full. */
  push(item: T): void {
    if (this.capacity === 0) return
    this.#items[this.#next] = item
    this.#next = (this.#next + 1) % this.capacity
    if (this.#size < this.capacity) this.#size++
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const out: T[] = []
    const first = (this.#next - this.#size + this.capacity) % Math.max(this.capacity, 1)
    for (let i = 0; i < this.#size; i++) out.push(this.#items[(first + i) % this.capacity] as T)
    return out
  }

  /** Items currently held (at most `capacity`). */
  get size(): number {
    return this.#size
  }

  /** Drops every item. */
  clear(): void {
    this.#items.fill(undefined)
    this.#next = 0
    this.#size = 0
  }
}
