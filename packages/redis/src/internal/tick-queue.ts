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

/**
 * Settles `pending` through callbacks under a deadline, without extra promise layers (for calls
 * made once per cache read or limiter check): `onValue` with the result, or `onError` once with
 * the mapped error or with `timeoutError()` when `ms` passes first (0 = no deadline).
 */
export function settleWithin<T>(
  pending: Promise<T>,
  ms: number,
  timeoutError: () => unknown,
  mapError: (error: unknown) => unknown,
  onValue: (value: T) => void,
  onError: (error: unknown) => void,
): void {
  let settled = false
  const timer =
    ms > 0
      ? setTimeout(() => {
          if (settled) return
          settled = true
          onError(timeoutError())
        }, ms)
      : undefined
  timer?.unref()
  pending.then(
    (value) => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      onValue(value)
    },
    (error: unknown) => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      onError(mapError(error))
    },
  )
}
