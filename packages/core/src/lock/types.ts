import type { LockError } from '../errors.js'

/** Options for one `acquire`/`using` call. */
export interface AcquireOptions {
  /** How long to wait for the lock, in ms, before rejecting with LOCK_TIMEOUT (0 = try once). @default 10_000 */
  waitMs?: number
  /** Cancels the wait (the waiter leaves the queue); rejects with ABORTED or the signal's Error reason. */
  signal?: AbortSignal
  /**
   * Identifies the holder in errors and deadlock cycles. Locks with the same owner count as one
   * party in deadlock detection. @default inherited from an enclosing `using()`, else a random id
   */
  owner?: string
}

/** Options for `using`. */
export interface UsingOptions extends AcquireOptions {
  /** Extend when this fraction of the ttl is left (exclusive range 0..1). @default 0.5 */
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
  /**
   * Calls `listener` once (asynchronously) if the lock is lost (expiry, takeover, locker closed);
   * never after a normal release. Returns an unsubscribe function. Optional: implementations that
   * only learn about loss when an extension fails may omit it.
   */
  onLost?(listener: (error: LockError) => void): () => void
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
   * Runs `fn` while holding the lock, extending it automatically; `signal` aborts if the lock is lost
   * (or `opts.signal` fires). The lock is released when `fn` settles. When `fn` rejects, `using`
   * rejects with that error; when `fn` resolves but the lock was lost meanwhile, `using` rejects
   * with LOCK_LOST, because the critical section ran without mutual exclusion.
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

/** Fields every {@link LockEvent} carries. */
interface LockEventBase {
  /** Which locker published it (`'local'`, `'redlock'`, or the `name` option). */
  locker: string
  /** The resources of the acquire or lock, canonical order. */
  resources: readonly string[]
  /** The owner that acquired or waited. */
  owner: string
}

/**
 * Published on the `perf:lock` diagnostics channel.
 * `durationMs` is the wait (acquire, timeout) or the hold time (release, lost).
 */
export type LockEvent =
  | (LockEventBase & { type: 'acquire'; fence: number; ttlMs: number; durationMs: number })
  | (LockEventBase & { type: 'extend'; fence: number; ttlMs: number })
  | (LockEventBase & { type: 'release'; fence: number; durationMs: number })
  | (LockEventBase & { type: 'lost'; fence: number; durationMs: number; reason: 'expired' | 'closed' })
  | (LockEventBase & { type: 'timeout'; resource: string; holder: string | undefined; durationMs: number })
  | (LockEventBase & { type: 'deadlock'; cycle: readonly string[] })
  | (LockEventBase & { type: 'release-failed'; fence: number; error: unknown })
