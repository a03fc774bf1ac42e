/**
 * Collects items added during one tick and hands them over together at its end
 * (`process.nextTick`): the calls an application issues concurrently become one Redis command
 * instead of one each. A lone call waits only until the current tick ends.
 */
export class TickQueue<T> {
  #items: T[] = []
  #scheduled = false
  readonly #run = (): void => {
    const items = this.#items
    this.#items = []
    this.#scheduled = false
    // Bounded batches: one huge command (or script) would hold the single-threaded server for
    // everyone else; a few hundred items already amortise the per-command cost.
    if (items.length <= this.maxBatch) this.flush(items)
    else for (let i = 0; i < items.length; i += this.maxBatch) this.flush(items.slice(i, i + this.maxBatch))
  }

  /**
   * @param flush receives the items of one tick, at most `maxBatch` at a time, in the order added
   * @param maxBatch most items handed to one `flush` call
   */
  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly maxBatch = Number.POSITIVE_INFINITY,
  ) {}

  add(item: T): void {
    this.#items.push(item)
    if (!this.#scheduled) {
      this.#scheduled = true
      process.nextTick(this.#run)
    }
  }
}
