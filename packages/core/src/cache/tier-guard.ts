import { PerfError, TimeoutError } from '../errors.js'
import type { Clock } from '../util/clock.js'
import type { CacheStore, MaybePromise } from './types.js'

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

function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * Wraps one tier so the engine can call it without try/catch: every call has a deadline, every
 * failure is reported once, and after `breakerThreshold` consecutive failures the tier is
 * skipped for `breakerCooldownMs` (no per-call connect timeouts against a dead server).
 * This is the single place where tier failures are turned into "fail open".
 */
export class TierGuard {
  readonly name: string
  readonly shared: boolean
  readonly serializes: boolean
  readonly supportsTags: boolean
  private failures = 0
  private openUntil = 0
  private probing = false

  constructor(
    readonly store: CacheStore,
    private readonly opts: TierGuardOptions,
  ) {
    this.name = store.name
    this.shared = store.capabilities.shared
    this.serializes = store.capabilities.serializes
    this.supportsTags = store.capabilities.tags
  }

  /** Whether the breaker currently lets calls through. */
  get isAvailable(): boolean {
    return this.openUntil === 0 || this.opts.clock.now() >= this.openUntil
  }

  /** Runs `fn` against the store; never throws, returns SKIPPED on any failure. */
  call<T>(operation: string, fn: (store: CacheStore) => MaybePromise<T>): MaybePromise<T | Skipped> {
    if (this.openUntil !== 0) {
      if (this.opts.clock.now() < this.openUntil || this.probing) return SKIPPED
      this.probing = true // half-open: one probe at a time
    }
    let result: MaybePromise<T>
    try {
      result = fn(this.store)
    } catch (error) {
      this.failed(operation, error)
      return SKIPPED
    }
    if (!isThenable(result)) {
      this.succeeded()
      return result
    }
    return this.withDeadline(operation, result)
  }

  private withDeadline<T>(operation: string, pending: Promise<T>): Promise<T | Skipped> {
    return new Promise<T | Skipped>((resolve) => {
      let settled = false
      const timer = setTimeout(() => {
        if (settled) return
        settled = true
        this.failed(
          operation,
          new TimeoutError('TIER_TIMEOUT', `[perf:cache] tier "${this.name}" ${operation} exceeded ${this.opts.timeoutMs} ms`, {
            context: { tier: this.name, operation, timeoutMs: this.opts.timeoutMs },
          }),
        )
        resolve(SKIPPED)
      }, this.opts.timeoutMs)
      timer.unref?.()
      pending.then(
        (value) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          this.succeeded()
          resolve(value)
        },
        (error: unknown) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          this.failed(operation, error)
          resolve(SKIPPED)
        },
      )
    })
  }

  private succeeded(): void {
    if (this.failures !== 0 || this.openUntil !== 0) {
      this.failures = 0
      this.openUntil = 0
      this.probing = false
    }
  }

  private failed(operation: string, error: unknown): void {
    this.failures++
    this.probing = false
    if (this.failures >= this.opts.breakerThreshold) this.openUntil = this.opts.clock.now() + this.opts.breakerCooldownMs
    const reported =
      error instanceof PerfError
        ? error
        : new PerfError('TIER_FAILED', `[perf:cache] tier "${this.name}" ${operation} failed: ${(error as Error)?.message ?? String(error)}`, {
            cause: error,
            context: { tier: this.name, operation },
          })
    this.opts.onError(this.name, operation, reported)
  }
}
