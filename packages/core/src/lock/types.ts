/** Options for one `acquire`/`using` call. */
export interface AcquireOptions {
  /** How long to wait for the lock before rejecting with LOCK_TIMEOUT (0 = try once). @default 10_000 */
  waitMs?: number
  /** Cancels the wait. */
  signal?: AbortSignal
  /** Identifies the holder in errors and deadlock cycles. @default a random id per acquire */
  owner?: string
}

/** Options for `using`. */
export interface UsingOptions extends AcquireOptions {
  /** Extend when this fraction of the ttl is left. @default 0.5 */
  extendAt?: number
}

/** A held lock. */
export interface Lock {
  /** The resources held, in canonical (sorted, de-duplicated) order. */
  readonly resources: readonly string[]
  /** The holder's identity. */
  readonly owner: string
  /** Fencing token: strictly greater than every token issued before for any of these resources. */
  readonly fence: number
  /** When the lock expires unless extended (ms since the epoch, local clock). */
  readonly expiresAt: number
  /** Whether this holder still believes it holds the lock (false after release, loss or expiry). */
  readonly isHeld: boolean
  /** Pushes expiry to now + ttlMs. @throws LockError LOCK_LOST / LOCK_NOT_HELD */
  extend(ttlMs: number): Promise<void>
  /** Releases the lock. @throws LockError LOCK_NOT_HELD when it was already lost or released */
  release(): Promise<void>
}

/**
 * Mutual exclusion over named resources. Implementations: `LocalLocker` (in-process),
 * `redlockLocker` (@perf/redis). Run `lockerSuite` from `@perf/core/testing` against each.
 */
export interface Locker {
  /**
   * Acquires all `resources` (taken in canonical order) for `ttlMs`.
   * @throws LockError LOCK_TIMEOUT, DeadlockError, PerfError ABORTED
   */
  acquire(resources: string | readonly string[], ttlMs: number, opts?: AcquireOptions): Promise<Lock>
  /**
   * Runs `fn` while holding the lock, extending it automatically; `signal` aborts if the lock is lost.
   * The lock is released when `fn` settles.
   */
  using<T>(
    resources: string | readonly string[],
    ttlMs: number,
    fn: (signal: AbortSignal, lock: Lock) => Promise<T>,
    opts?: UsingOptions,
  ): Promise<T>
  /** Releases timers (and connections the locker opened itself). */
  close?(): Promise<void>
}
