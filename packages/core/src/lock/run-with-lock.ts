import { isPerfError, LockError, PerfError } from '../errors.js'
import { abortError } from '../util/abort.js'
import { type Clock, systemClock } from '../util/clock.js'
import { publish } from '../util/diagnostics.js'
import type { Lock, LockEvent } from './types.js'

/** Options for {@link runWithLock}. */
export interface RunWithLockOptions {
  /** Extend when this fraction of `ttlMs` is left (exclusive range 0..1). @default 0.5 */
  extendAt?: number
  /** Aborts `fn`'s signal too (the caller gave up); the lock is still released when `fn` settles. */
  signal?: AbortSignal
  /** The clock `lock.expiresAt` is measured on. @default systemClock */
  clock?: Clock
  /** Names the locker in `perf:lock` events. @default 'lock' */
  locker?: string
}

/** Smallest delay between two extension attempts, ms. */
const MIN_RETRY_MS = 10

/**
 * Validates an `extendAt` fraction: a number strictly between 0 and 1.
 * @throws PerfError INVALID_OPTION naming `extendAt`
 */
export function checkExtendAt(value: unknown, component = 'perf:lock'): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new PerfError(
      'INVALID_OPTION',
      `[${component}] option "extendAt" must be a number between 0 and 1 (exclusive), got ${String(value)}`,
      {
        context: { option: 'extendAt', value },
      },
    )
  }
  return value
}

/**
 * Runs `fn` while holding an already-acquired `lock`: extends it by `ttlMs` whenever `extendAt` of
 * the ttl is left, aborts `fn`'s signal with LOCK_LOST if the lock is lost (an extension fails or
 * `lock.onLost` fires), and releases the lock when `fn` settles. Shared by every `Locker.using`.
 * Never leaves a rejection unhandled: timer-driven extension failures only abort the signal.
 * `fn` must not release the lock itself (that would read as a loss).
 *
 * @returns `fn`'s value
 * @throws `fn`'s error when it rejects; LockError LOCK_LOST when `fn` resolved but the lock was lost;
 *   PerfError INVALID_OPTION for a bad `extendAt` (after releasing the lock)
 * @example
 * const lock = await locker.acquire('order:42', 5_000)
 * await runWithLock(lock, 5_000, async (signal) => charge(order, { signal }))
 */
export async function runWithLock<T>(
  lock: Lock,
  ttlMs: number,
  fn: (signal: AbortSignal, lock: Lock) => Promise<T>,
  options: RunWithLockOptions = {},
): Promise<T> {
  const locker = options.locker ?? 'lock'
  let extendAt: number
  try {
    extendAt = checkExtendAt(options.extendAt ?? 0.5)
  } catch (error) {
    // The caller handed over a held lock: give it back before reporting the bad option.
    await releaseAfter(lock, locker, false)
    throw error
  }
  const clock = options.clock ?? systemClock
  const controller = new AbortController()
  let lost: LockError | undefined
  const markLost = (error: LockError): void => {
    if (lost) return
    lost = error
    controller.abort(error)
  }
  const unsubscribe = lock.onLost?.(markLost)
  const { signal } = options
  const onAbort = (): void => controller.abort(abortError(signal as AbortSignal, 'using()'))
  signal?.addEventListener('abort', onAbort, { once: true })
  if (signal?.aborted) onAbort()
  const extender = new AutoExtender(lock, ttlMs, extendAt, clock, markLost)
  extender.start()
  try {
    const value = await fn(controller.signal, lock)
    // A loss nobody reported yet (expired between extensions) still means fn ran unprotected.
    if (!lost && !lock.isHeld) markLost(lostNow(lock))
    if (lost) throw lost
    return value
  } finally {
    unsubscribe?.()
    signal?.removeEventListener('abort', onAbort)
    // Wait for an in-flight extension so release never races it (redis-semaphore #205).
    await extender.stop()
    // Released even after a loss: a backend that failed to extend may still hold the key.
    await releaseAfter(lock, locker, lost !== undefined)
  }
}

function lostNow(lock: Lock): LockError {
  return new LockError(
    'LOCK_LOST',
    `[perf:lock] lock on ${JSON.stringify(lock.resources)} (owner "${lock.owner}", fence ${lock.fence}) was lost before using() finished`,
    {
      context: { resources: lock.resources, owner: lock.owner, fence: lock.fence },
    },
  )
}

/**
 * Releases after `fn`. A failure here cannot undo `fn` and the ttl bounds the lock, so it is
 * reported on `perf:lock`, not thrown; after a known loss, "not held" is the expected answer.
 */
async function releaseAfter(lock: Lock, locker: string, wasLost: boolean): Promise<void> {
  try {
    await lock.release()
  } catch (error) {
    if (wasLost && (isPerfError(error, 'LOCK_NOT_HELD') || isPerfError(error, 'LOCK_LOST'))) return
    const event: LockEvent = {
      type: 'release-failed',
      locker,
      resources: lock.resources,
      owner: lock.owner,
      fence: lock.fence,
      error,
    }
    publish('perf:lock', event)
  }
}

/** Extends a lock on a timer until stopped; reports loss once through `onLost`. */
class AutoExtender {
  private timer: ReturnType<typeof setTimeout> | undefined
  private inflight: Promise<void> | undefined
  private stopped = false

  constructor(
    private readonly lock: Lock,
    private readonly ttlMs: number,
    private readonly extendAt: number,
    private readonly clock: Clock,
    private readonly onLost: (error: LockError) => void,
  ) {}

  start(): void {
    this.schedule(this.untilExtend())
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.inflight
  }

  private untilExtend(): number {
    // The floor keeps a lock whose expiresAt did not move (clock oddity, buggy backend) from spinning.
    return Math.max(MIN_RETRY_MS, this.lock.expiresAt - this.clock.now() - this.extendAt * this.ttlMs)
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.inflight = this.extendOnce().finally(() => {
        this.inflight = undefined
      })
    }, ms)
    this.timer.unref?.()
  }

  private async extendOnce(): Promise<void> {
    try {
      await this.lock.extend(this.ttlMs)
      this.schedule(this.untilExtend())
    } catch (error) {
      if (this.stopped) return
      const remaining = this.lock.expiresAt - this.clock.now()
      const isLoss = isPerfError(error, 'LOCK_LOST') || isPerfError(error, 'LOCK_NOT_HELD')
      // A transient backend failure is retried while the lock is still valid; past expiry it is lost.
      if (!isLoss && remaining > MIN_RETRY_MS) return this.schedule(Math.max(MIN_RETRY_MS, remaining / 2))
      this.onLost(
        isPerfError(error, 'LOCK_LOST')
          ? (error as LockError)
          : new LockError(
              'LOCK_LOST',
              `[perf:lock] lock on ${JSON.stringify(this.lock.resources)} was lost: extending by ${this.ttlMs}ms failed`,
              {
                cause: error,
                context: {
                  resources: this.lock.resources,
                  owner: this.lock.owner,
                  fence: this.lock.fence,
                  ttlMs: this.ttlMs,
                },
              },
            ),
      )
    }
  }
}
