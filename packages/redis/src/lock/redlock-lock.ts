import { LockError } from '@perf/core'
import type { Clock, Lock } from '@perf/core'
import { emitLockEvent, lockEventsObserved } from './events.js'
import type { LockNode } from './lock-node.js'

/** What a lock shares with the locker that issued it. */
export interface LockContext {
  readonly nodes: readonly LockNode[]
  readonly quorum: number
  readonly clock: Clock
  /** Milliseconds of validity given up for clock drift on a lock of `ttlMs`. */
  drift(ttlMs: number): number
}

/** A lock held through {@link RedlockLocker}; `expiresAt` is on the local clock, drift already deducted. */
export class RedlockLock implements Lock {
  readonly resources: readonly string[]
  readonly owner: string
  readonly fence: number
  readonly #keys: readonly string[]
  readonly #value: string
  readonly #context: LockContext
  readonly #acquiredAt: number
  // Allocated by the first onLost(): most locks are acquired and released without a listener.
  #lossListeners: Set<(error: LockError) => void> | undefined
  #expiresAt: number
  #state: 'held' | 'released' | 'lost' = 'held'
  #lostError: LockError | undefined
  #watchdog: NodeJS.Timeout | undefined

  constructor(
    context: LockContext,
    resources: readonly string[],
    keys: readonly string[],
    owner: string,
    value: string,
    fence: number,
    expiresAt: number,
  ) {
    this.#context = context
    this.resources = resources
    this.#keys = keys
    this.owner = owner
    this.#value = value
    this.fence = fence
    this.#expiresAt = expiresAt
    this.#acquiredAt = context.clock.now()
  }

  get expiresAt(): number {
    return this.#expiresAt
  }

  get isHeld(): boolean {
    return this.#state === 'held' && this.#context.clock.now() < this.#expiresAt
  }

  /** Pushes expiry to now + ttlMs (minus drift) on a quorum of nodes. @throws LockError LOCK_LOST, LOCK_NOT_HELD, LOCK_BACKEND_ERROR */
  async extend(ttlMs: number): Promise<void> {
    if (this.#state === 'released') throw this.#error('LOCK_NOT_HELD', 'extend() after release()')
    if (!this.isHeld) throw this.#lose(`its validity ended before extend() (expiresAt=${this.#expiresAt})`)
    const { nodes, quorum, clock } = this.#context
    const start = clock.now()
    const results = await Promise.allSettled(nodes.map((node) => node.extend(this.#keys, this.#value, ttlMs)))
    const extended = results.filter((r) => r.status === 'fulfilled' && r.value).length
    const refused = results.filter((r) => r.status === 'fulfilled' && !r.value).length
    const validUntil = start + ttlMs - this.#context.drift(ttlMs)
    if (extended >= quorum && validUntil > clock.now()) {
      this.#expiresAt = validUntil
      this.#arm()
      emitLockEvent({
        type: 'extend',
        locker: 'redlock',
        resources: this.resources,
        owner: this.owner,
        fence: this.fence,
        ttlMs,
      })
      return
    }
    if (refused > nodes.length - quorum)
      throw this.#lose(`another owner took it or it expired on ${refused} of ${nodes.length} nodes`)
    if (extended >= quorum)
      throw this.#lose(`extend() took ${clock.now() - start} ms, longer than the validity of ttlMs=${ttlMs}`)
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    throw new LockError(
      'LOCK_BACKEND_ERROR',
      `[perf:redis] lock ${this.#names()} could not be extended: ${describeErrors(errors)}`,
      {
        cause: new AggregateError(errors, 'Redis errors'),
        context: { resources: this.resources, owner: this.owner, errors: errors.map(messageOf) },
      },
    )
  }

  /** Releases the lock on every node. @throws LockError LOCK_NOT_HELD when it was already released or lost, LOCK_BACKEND_ERROR */
  async release(): Promise<void> {
    if (this.#state === 'lost') {
      // Within the drift margin the keys may still be ours: free them (and wake the next waiter).
      this.#state = 'released'
      await Promise.allSettled(this.#context.nodes.map((node) => node.release(this.#keys, this.#value)))
      throw this.#error('LOCK_NOT_HELD', 'release() on a lock that was already lost')
    }
    if (this.#state !== 'held')
      throw this.#error('LOCK_NOT_HELD', `release() on a lock that was already ${this.#state}`)
    const wasValid = this.isHeld
    this.#state = 'released'
    this.#disarm()
    const { nodes } = this.#context
    if (nodes.length === 1) {
      let held: number
      try {
        held = await (nodes[0] as LockNode).release(this.#keys, this.#value)
      } catch (error) {
        throw this.#releaseFailed([error])
      }
      if (held === 0)
        throw this.#error(
          'LOCK_NOT_HELD',
          wasValid ? 'release(): another owner holds it now' : 'release() after it expired',
        )
      if (lockEventsObserved()) this.#releasedEvent()
      return
    }
    const results = await Promise.allSettled(nodes.map((node) => node.release(this.#keys, this.#value)))
    const held = results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value : 0), 0)
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    if (held === 0 && errors.length === 0) {
      throw this.#error(
        'LOCK_NOT_HELD',
        wasValid ? 'release(): another owner holds it now' : 'release() after it expired',
      )
    }
    if (errors.length > this.#context.nodes.length - this.#context.quorum) throw this.#releaseFailed(errors)
    this.#releasedEvent()
  }

  #releasedEvent(): void {
    emitLockEvent({
      type: 'release',
      locker: 'redlock',
      resources: this.resources,
      owner: this.owner,
      fence: this.fence,
      durationMs: this.#heldMs(),
    })
  }

  #releaseFailed(errors: unknown[]): LockError {
    emitLockEvent({
      type: 'release-failed',
      locker: 'redlock',
      resources: this.resources,
      owner: this.owner,
      fence: this.fence,
      error: errors[0],
    })
    return new LockError(
      'LOCK_BACKEND_ERROR',
      `[perf:redis] lock ${this.#names()} release failed (it expires by its TTL): ${describeErrors(errors)}`,
      {
        cause: new AggregateError(errors, 'Redis errors'),
        context: { resources: this.resources, owner: this.owner },
      },
    )
  }

  /**
   * Calls `listener` once, asynchronously, when the lock is lost: its validity ends without a
   * successful extension (a timer fires at `expiresAt`, also while an extension waits on a hung
   * Redis) or an extension is refused. Never after release(). Returns the unsubscribe function.
   */
  onLost(listener: (error: LockError) => void): () => void {
    if (this.#state === 'lost') {
      const error = this.#lostError as LockError
      queueMicrotask(() => listener(error))
      return () => undefined
    }
    if (this.#state === 'released') return () => undefined
    const listeners = (this.#lossListeners ??= new Set())
    listeners.add(listener)
    this.#arm()
    return () => {
      listeners.delete(listener)
      if (listeners.size === 0) this.#disarm()
    }
  }

  #arm(): void {
    clearTimeout(this.#watchdog)
    if (this.#lossListeners === undefined || this.#lossListeners.size === 0 || this.#state !== 'held') return
    this.#watchdog = setTimeout(
      () => {
        if (this.#state !== 'held') return
        // Timers may fire a millisecond early: re-arm until the validity has really ended.
        if (this.isHeld) this.#arm()
        else this.#lose(`its validity ended at ${this.#expiresAt} without a successful extension`)
      },
      Math.max(1, this.#expiresAt - this.#context.clock.now()),
    )
    this.#watchdog.unref()
  }

  #disarm(): void {
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog)
    this.#watchdog = undefined
    this.#lossListeners?.clear()
  }

  #heldMs(): number {
    return this.#context.clock.now() - this.#acquiredAt
  }

  #lostEvent(): void {
    emitLockEvent({
      type: 'lost',
      locker: 'redlock',
      resources: this.resources,
      owner: this.owner,
      fence: this.fence,
      durationMs: this.#heldMs(),
      reason: 'expired',
    })
  }

  /** Marks the lock lost and returns the LOCK_LOST error. */
  #lose(why: string): LockError {
    if (this.#state === 'lost') return this.#lostError as LockError
    const error = this.#error('LOCK_LOST', `lost: ${why}`)
    this.#state = 'lost'
    this.#lostError = error
    this.#lostEvent()
    const listeners = [...(this.#lossListeners ?? [])]
    this.#disarm()
    queueMicrotask(() => listeners.forEach((listener) => listener(error)))
    return error
  }

  #error(code: 'LOCK_LOST' | 'LOCK_NOT_HELD', what: string): LockError {
    return new LockError(
      code,
      `[perf:redis] lock ${this.#names()} (owner "${this.owner}", fence ${this.fence}) ${what}`,
      {
        context: { resources: this.resources, owner: this.owner, fence: this.fence },
      },
    )
  }

  #names(): string {
    return this.resources.map((r) => JSON.stringify(r)).join(', ')
  }
}

/** Message of an unknown error value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A short list of distinct error messages. */
export function describeErrors(errors: readonly unknown[]): string {
  return [...new Set(errors.map(messageOf))].slice(0, 3).join('; ')
}
