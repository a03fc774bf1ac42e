/** How long the offset between the two clocks is reused, ms: a step of the wall clock (NTP) shows within this. */
const RESYNC_MS = 1_000

function isNative(fn: () => number): boolean {
  return Function.prototype.toString.call(fn).includes('[native code]')
}

/**
 * Wall-clock times of `performance.now()` readings, so an operation that is timed anyway reads
 * one clock rather than two (each read costs ~40 ns, a percent of a cache hit). The offset between
 * the clocks is read again every second; a replaced `Date.now` (fake timers, spies) is called
 * every time, so faked time shows at once.
 */
export class WallClock {
  readonly #nativeNow = isNative(Date.now) ? Date.now : undefined
  #offset = 0
  #syncedAt = Number.NEGATIVE_INFINITY

  /**
   * What `Date.now()` returned when `performance.now()` returned `monotonicMs`: whole
   * milliseconds since the epoch, within about 1 ms (erring early).
   */
  at(monotonicMs: number): number {
    if (Date.now !== this.#nativeNow) return Date.now()
    if (monotonicMs - this.#syncedAt >= RESYNC_MS || monotonicMs < this.#syncedAt) {
      // Date.now() first: the offset errs low, so times err early rather than late.
      this.#offset = Date.now() - performance.now()
      this.#syncedAt = monotonicMs
    }
    return Math.floor(this.#offset + monotonicMs)
  }
}
