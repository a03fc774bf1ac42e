import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

/** Event-loop delay sampling via `perf_hooks.monitorEventLoopDelay`, started on first use. */
export class EventLoopDelay {
  #histogram: IntervalHistogram | undefined
  #closed = false

  /** @param enabled false turns every method into a no-op (tests, serverless). */
  constructor(readonly enabled: boolean) {}

  /** Starts sampling if enabled and not started; a no-op after close(). */
  start(): void {
    if (!this.enabled || this.#closed || this.#histogram !== undefined) return
    // 20 ms resolution: enough to see stalls that matter to request latency, cheap to run.
    this.#histogram = monitorEventLoopDelay({ resolution: 20 })
    this.#histogram.enable()
  }

  /** p99 delay in ms since start or the last reset; null when not sampling or no sample yet. */
  p99Ms(): number | null {
    const h = this.#histogram
    if (h === undefined || h.count === 0) return null
    return h.percentile(99) / 1e6
  }

  /** Starts a new measuring window. */
  reset(): void {
    this.#histogram?.reset()
  }

  /** Stops sampling for good. */
  close(): void {
    this.#closed = true
    this.#histogram?.disable()
    this.#histogram = undefined
  }
}
