import { TimeoutError } from '../../errors.js'
import { withTimeout } from '../../resilience/with-timeout.js'
import { abortError } from '../../util/abort.js'
import type { Loader, LoaderContext } from '../types.js'

/** One load in progress, shared by every caller of its key. */
export interface Flight {
  readonly fullKey: string
  /** When the load began (the entry's createdAt). */
  readonly startedAt: number
  readonly tags: readonly string[] | undefined
  /** Versioned shared tiers' versions when the load began, by tier index: its write to such a tier carries them. */
  versions: readonly (string | undefined)[] | undefined
  /** Set when the key, a tag or the namespace was invalidated during the load: its result is not cached. */
  invalidated: boolean
  readonly controller: AbortController
  promise: Promise<unknown>
}

/**
 * Single-flight bookkeeping: at most one load per key; callers that arrive during a load wait
 * for it; an invalidation detaches the load so later callers start a fresh one.
 */
export class Flights {
  /** Returned by `wait` when the soft timeout elapsed first. */
  static readonly SOFT_TIMEOUT: unique symbol = Symbol('perf.cache.soft-timeout')
  private readonly map = new Map<string, Flight>()

  get(fullKey: string): Flight | undefined {
    return this.map.get(fullKey)
  }

  get size(): number {
    return this.map.size
  }

  start(
    fullKey: string,
    tags: readonly string[] | undefined,
    startedAt: number,
    versions: readonly (string | undefined)[] | undefined,
    run: (flight: Flight) => Promise<unknown>,
  ): Flight {
    const flight: Flight = {
      fullKey,
      startedAt,
      tags,
      versions,
      invalidated: false,
      controller: new AbortController(),
      promise: Promise.resolve(),
    }
    this.map.set(fullKey, flight)
    flight.promise = run(flight).finally(() => {
      if (this.map.get(fullKey) === flight) this.map.delete(fullKey)
    })
    // Background refreshes may have no awaiting caller; their errors are reported as events.
    flight.promise.catch(() => undefined)
    return flight
  }

  /**
   * Calls the loader with a context built for its signal; after `hardTimeoutMs` rejects with
   * LOADER_TIMEOUT and aborts that signal. Closing the cache (the flight's controller) aborts it too.
   */
  run<T>(
    flight: Flight,
    hardTimeoutMs: number | undefined,
    fullKey: string,
    context: (signal: AbortSignal) => LoaderContext,
    loader: Loader<T>,
  ): Promise<T> {
    if (hardTimeoutMs === undefined) return Promise.resolve().then(() => loader(context(flight.controller.signal)))
    return withTimeout((signal) => loader(context(signal)), hardTimeoutMs, {
      signal: flight.controller.signal,
      timeoutError: () =>
        new TimeoutError(
          'LOADER_TIMEOUT',
          `[perf:cache] loader for "${fullKey}" did not settle within hardTimeout=${hardTimeoutMs} ms`,
          {
            context: { key: fullKey, hardTimeoutMs },
          },
        ),
    })
  }

  /** Waits for a flight; resolves SOFT_TIMEOUT after `softMs`; rejects if `signal` fires. The flight itself continues. */
  wait(flight: Flight, softMs: number | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    if (softMs === undefined && signal === undefined) return flight.promise
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const onAbort = (): void => {
        cleanup()
        reject(abortError(signal as AbortSignal, 'cache.getOrSet'))
      }
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      if (softMs !== undefined) {
        timer = setTimeout(() => {
          cleanup()
          resolve(Flights.SOFT_TIMEOUT)
        }, softMs)
        timer.unref?.()
      }
      flight.promise.then(
        (value) => {
          cleanup()
          resolve(value)
        },
        (error: unknown) => {
          cleanup()
          reject(error)
        },
      )
    })
  }

  invalidateKeys(fullKeys: readonly string[]): void {
    for (const key of fullKeys) {
      const flight = this.map.get(key)
      if (flight !== undefined) this.detach(flight)
    }
  }

  invalidateTags(tags: readonly string[]): void {
    for (const flight of this.map.values()) {
      if (flight.tags !== undefined && flight.tags.some((t) => tags.includes(t))) this.detach(flight)
    }
  }

  invalidateAll(): void {
    for (const flight of this.map.values()) this.detach(flight)
  }

  abortAll(reason: Error): void {
    for (const flight of this.map.values()) {
      this.detach(flight)
      flight.controller.abort(reason)
    }
  }

  private detach(flight: Flight): void {
    flight.invalidated = true
    this.map.delete(flight.fullKey)
  }
}
