import { PerfError, TimeoutError, isPerfError } from '../../errors.js'
import { CircuitBreaker } from '../../resilience/circuit-breaker.js'
import type { Clock } from '../../util/clock.js'
import type { CacheStore, MaybePromise } from '../types.js'

/** Returned instead of a result when a tier was skipped (breaker open, deadline, error). */
export const SKIPPED: unique symbol = Symbol('perf.cache.tier-skipped')
export type Skipped = typeof SKIPPED

/** Settings shared by every guarded tier. */
export interface TierGuardOptions {
  /** Deadline for one asynchronous tier call, ms. */
  timeoutMs: number
  /** Consecutive failures that open the breaker. */
  breakerThreshold: number
  /** How long an open breaker skips the tier before letting a probe through, ms. */
  breakerCooldownMs: number
  clock: Clock
  /** Called once per failed or timed-out call. Must not throw. */
  onError(tier: string, operation: string, error: unknown): void
}

/**
 * Errors about one value, not the tier's health (the caller's value is too large or cannot be
 * encoded; a stored entry cannot be decoded): they fail that call (reported, the tier skipped for
 * it, a read is a miss) but never count toward opening the tier's breaker.
 */
function isCallerError(error: unknown): boolean {
  return (
    isPerfError(error, 'VALUE_TOO_LARGE') ||
    isPerfError(error, 'UNSERIALIZABLE_VALUE') ||
    isPerfError(error, 'DECODE_FAILED')
  )
}

export function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * Wraps one tier so the engine can call it without try/catch: every asynchronous call has a
 * deadline, every failure is reported once, and a {@link CircuitBreaker} skips the tier after
 * `breakerThreshold` consecutive failures for `breakerCooldownMs` (no per-call connect timeouts
 * against a dead server). This is the single place where tier failures become "fail open".
 * In-process tiers that answer synchronously bypass the breaker so L1 hits stay allocation-free.
 */
export class TierGuard {
  readonly name: string
  readonly shared: boolean
  readonly serializes: boolean
  readonly supportsTags: boolean
  /** Shared tier that orders writes with versions of its own (`read`, `entry.version`). */
  readonly versioned: boolean
  /** In-process tier that answers synchronously: the engine may read it without the guard's promise machinery. */
  readonly direct: boolean
  private readonly breaker: CircuitBreaker

  constructor(
    readonly store: CacheStore,
    private readonly opts: TierGuardOptions,
  ) {
    this.name = store.name
    this.shared = store.capabilities.shared
    this.serializes = store.capabilities.serializes
    this.supportsTags = store.capabilities.tags
    this.versioned = store.capabilities.versioned === true && typeof store.read === 'function'
    this.direct = !this.shared && !this.serializes
    this.breaker = new CircuitBreaker({
      name: `cache-tier:${store.name}`,
      policy: { kind: 'consecutive', threshold: opts.breakerThreshold },
      halfOpenAfterMs: opts.breakerCooldownMs,
      clock: opts.clock,
    })
  }

  /** Whether the breaker currently lets calls through. */
  get isAvailable(): boolean {
    return this.breaker.state !== 'open'
  }

  /** Runs `fn` against the store; never throws, returns SKIPPED on any failure. */
  call<T>(operation: string, fn: (store: CacheStore) => MaybePromise<T>): MaybePromise<T | Skipped> {
    if (!this.direct) return this.guarded(operation, () => fn(this.store))
    let result: MaybePromise<T>
    try {
      result = fn(this.store)
    } catch (error) {
      this.report(operation, error)
      return SKIPPED
    }
    if (!isThenable(result)) return result
    // The promise exists already: if the breaker turns the call away, it must still be handled.
    const pending = result
    const guarded = this.guarded(operation, () => pending)
    if (guarded === SKIPPED) pending.then(undefined, () => undefined)
    return guarded
  }

  /**
   * Breaker admission, the call, its deadline and the outcome in one promise with callbacks: this
   * runs on every L2 read, where `execute()` + a deadline race + a result mapping (three promise
   * layers and their closures) showed up as CPU in profiles.
   */
  private guarded<T>(operation: string, start: () => MaybePromise<T>): MaybePromise<T | Skipped> {
    const breaker = this.breaker
    if (breaker.state === 'open') return SKIPPED
    let ticket: number
    try {
      ticket = breaker.enter()
    } catch (error) {
      // An open (or busy half-open) breaker is the point of the breaker, not a new failure.
      if (!isPerfError(error, 'CIRCUIT_OPEN')) this.report(operation, error)
      return SKIPPED
    }
    let pending: MaybePromise<T>
    try {
      pending = start()
    } catch (error) {
      breaker.settle(ticket, !isCallerError(error), error)
      this.report(operation, error)
      return SKIPPED
    }
    if (!isThenable(pending)) {
      breaker.settle(ticket, false)
      return pending
    }
    return new Promise<T | Skipped>((resolve) => {
      let settled = false
      const fail = (error: unknown): void => {
        breaker.settle(ticket, !isCallerError(error), error)
        this.report(operation, error)
        resolve(SKIPPED)
      }
      const timer = setTimeout(() => {
        if (settled) return
        settled = true
        fail(this.timeoutError(operation))
      }, this.opts.timeoutMs)
      timer.unref?.()
      pending.then(
        (value) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          breaker.settle(ticket, false)
          resolve(value)
        },
        (error: unknown) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          fail(error)
        },
      )
    })
  }

  private timeoutError(operation: string): TimeoutError {
    return new TimeoutError(
      'TIER_TIMEOUT',
      `[perf:cache] tier "${this.name}" ${operation} exceeded ${this.opts.timeoutMs} ms`,
      {
        context: { tier: this.name, operation, timeoutMs: this.opts.timeoutMs },
      },
    )
  }

  /** Reports a failure of a direct call the engine made itself. */
  report(operation: string, error: unknown): void {
    const reported =
      error instanceof PerfError
        ? error
        : new PerfError(
            'TIER_FAILED',
            `[perf:cache] tier "${this.name}" ${operation} failed: ${(error as Error)?.message ?? String(error)}`,
            {
              cause: error,
              context: { tier: this.name, operation },
            },
          )
    this.opts.onError(this.name, operation, reported)
  }
}
