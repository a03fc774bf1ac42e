import { AsyncLocalStorage } from 'node:async_hooks'
import { randomUUID } from 'node:crypto'
import { PerfError } from '../errors.js'
import { abortError, throwIfAborted } from '../util/abort.js'
import { CHANNELS, publish } from '../util/diagnostics.js'
import { toMs } from '../util/duration.js'
import { type Acquisition, createAcquisition } from './acquisition.js'
import { canonicalResources } from './canonical.js'
import {
  checkTtl,
  type LocalLockerOptions,
  MAX_TIMER_MS,
  type ResolvedLocalLockerOptions,
  resolveLocalLockerOptions,
} from './local-locker-options.js'
import { LocalLock, type LockControls } from './local-lock.js'
import { closedError, contendedError, deadlockError, lostError, notHeldError, timeoutError } from './lock-errors.js'
import { LockTable, type LockTableStats } from './lock-table.js'
import { checkExtendAt, runWithLock } from './run-with-lock.js'
import type { AcquireOptions, Lock, Locker, LockEvent, UsingOptions } from './types.js'
import { findDeadlock } from './wait-for-graph.js'

const COMPONENT = 'perf:lock'

/** Sizes of a {@link LocalLocker}'s internal state; every field is 0 once all locks are released. */
export interface LocalLockerStats extends LockTableStats {
  /** Locks currently granted. */
  locks: number
  /** acquire() calls not yet granted or failed. */
  acquiring: number
}

/**
 * In-process {@link Locker}: FIFO waiters per resource, TTL expiry, fencing tokens, multi-resource
 * locks taken in canonical order, and deadlock detection on a wait-for graph.
 *
 * Owners: `opts.owner`, else the owner of the enclosing `using()` (AsyncLocalStorage), else a fresh
 * id per call. Not re-entrant: an owner waiting for a resource it already holds gets a
 * DeadlockError (a self-cycle `[owner, resource, owner]`) instead of waiting until its own ttl
 * runs out. When a new wait closes a longer cycle, the youngest acquire on the cycle is rejected.
 *
 * Fencing tokens come from one counter per locker, so each is greater than every token this
 * locker issued before, for any resource. A lock's TTL starts when all its resources are held;
 * resources taken while waiting for the rest do not expire.
 *
 * @example
 * const locker = new LocalLocker()
 * await locker.using('order:42', 5_000, async (signal, lock) => {
 *   await chargeOrder(42, { fence: lock.fence, signal })
 * })
 */
export class LocalLocker implements Locker {
  private readonly options: ResolvedLocalLockerOptions
  private readonly table = new LockTable()
  private readonly owners = new AsyncLocalStorage<string>()
  private readonly live = new Set<Acquisition>()
  private readonly ready: Acquisition[] = []
  private readonly controls: LockControls
  private draining = false
  /**
   * Fences start at the wall-clock time in µs (ms × 1000), not at 1: a restarted process (or a
   * second locker) then issues fences above the ones issued before it, as long as the earlier one
   * averaged under 1,000 locks per millisecond, so a fence kept next to data survives restarts.
   */
  private lastFence: number
  private lastSeq = 0
  private lastOwner = 0
  private readonly ownerPrefix = randomUUID().slice(0, 8)
  private closed = false

  /** @throws PerfError INVALID_OPTION naming the bad option */
  constructor(options: LocalLockerOptions = {}) {
    this.options = resolveLocalLockerOptions(options)
    this.lastFence = Math.max(0, Math.floor(this.options.clock.now())) * 1000
    this.controls = {
      isHeld: (acq) => acq.state === 'held' && this.options.clock.now() < acq.expiresAt,
      extend: (acq, ttlMs) => this.extend(acq, ttlMs),
      release: (acq) => this.release(acq),
    }
  }

  /**
   * Acquires every resource (sorted, de-duplicated) for `ttlMs` ms, waiting in FIFO order.
   * @throws LockError LOCK_TIMEOUT after `waitMs`, LOCK_CONTENDED when a waiter cap is reached;
   *   DeadlockError; PerfError ABORTED (signal or close), INVALID_ARGUMENT, INVALID_TTL
   */
  async acquire(resources: string | readonly string[], ttlMs: number, opts: AcquireOptions = {}): Promise<Lock> {
    if (this.closed) throw closedError(COMPONENT, 'acquire()')
    const acq = this.createAcquisition(resources, ttlMs, opts)
    throwIfAborted(acq.signal, 'acquire()')
    const granted = new Promise<Lock>((resolve, reject) => {
      acq.resolve = resolve
      acq.reject = reject
    })
    this.live.add(acq)
    this.watchAbort(acq)
    this.ready.push(acq)
    this.drain()
    return granted
  }

  /**
   * Runs `fn` holding the lock, extending it at `extendAt` of the ttl; `fn`'s signal aborts with
   * LOCK_LOST if the lock is lost, or when `opts.signal` fires. Acquires made inside `fn` (and
   * `using` calls nested in it) belong to the same owner.
   * @throws as {@link LocalLocker.acquire}; `fn`'s error; LockError LOCK_LOST if the lock was lost
   */
  async using<T>(
    resources: string | readonly string[],
    ttlMs: number,
    fn: (signal: AbortSignal, lock: Lock) => Promise<T>,
    opts: UsingOptions = {},
  ): Promise<T> {
    if (typeof fn !== 'function')
      throw new PerfError('INVALID_ARGUMENT', `[${COMPONENT}] using() needs a function, got ${typeof fn}`)
    const extendAt = opts.extendAt === undefined ? this.options.extendAt : checkExtendAt(opts.extendAt)
    const ttl = checkTtl(ttlMs)
    const owner = opts.owner ?? this.owners.getStore() ?? this.freshOwner()
    const lock = await this.acquire(resources, ttl, { ...opts, owner })
    const { clock, name } = this.options
    return this.owners.run(owner, () =>
      runWithLock(lock, ttl, fn, { extendAt, signal: opts.signal, clock, locker: name }),
    )
  }

  /** Counts of held locks, waiters and internal map sizes (all 0 when idle). */
  stats(): LocalLockerStats {
    let locks = 0
    for (const acq of this.live) if (acq.state === 'held') locks++
    return { ...this.table.stats(), locks, acquiring: this.live.size - locks }
  }

  /** Rejects every waiter with ABORTED, marks every held lock lost, clears all timers. Idempotent. */
  async close(): Promise<void> {
    this.closed = true
    const live = [...this.live]
    // Fail waiters before dropping holders, so no waiter is granted a resource on the way out.
    for (const acq of live) this.fail(acq, closedError(COMPONENT, `acquire(${JSON.stringify(acq.resources)})`))
    for (const acq of live) this.expire(acq, 'closed')
    this.drain()
  }

  private createAcquisition(resources: string | readonly string[], ttlMs: number, opts: AcquireOptions): Acquisition {
    const canonical = canonicalResources(resources, COMPONENT)
    const owner = opts.owner ?? this.owners.getStore() ?? this.freshOwner()
    if (typeof owner !== 'string' || owner.length === 0) {
      throw new PerfError('INVALID_ARGUMENT', `[${COMPONENT}] owner must be a non-empty string, got ${String(owner)}`, {
        context: { argument: 'owner' },
      })
    }
    const waitMs = opts.waitMs === undefined ? this.options.waitMs : toMs(opts.waitMs, 'waitMs', 'INVALID_ARGUMENT')
    if (waitMs > MAX_TIMER_MS)
      throw new PerfError('INVALID_ARGUMENT', `[${COMPONENT}] waitMs must be at most ${MAX_TIMER_MS}, got ${waitMs}`)
    const ttl = checkTtl(ttlMs)
    return createAcquisition({
      owner,
      seq: ++this.lastSeq,
      resources: canonical,
      ttlMs: ttl,
      waitMs,
      startedAt: this.options.clock.now(),
      signal: opts.signal,
    })
  }

  /** A new owner id: unique per locker (random prefix) and cheap (a counter). */
  private freshOwner(): string {
    return `${this.ownerPrefix}-${++this.lastOwner}`
  }

  private watchAbort(acq: Acquisition): void {
    const { signal } = acq
    if (!signal) return
    const onAbort = (): void => {
      this.fail(acq, abortError(signal, `acquire(${JSON.stringify(acq.resources)})`))
      this.drain()
    }
    signal.addEventListener('abort', onAbort, { once: true })
    acq.detach = () => signal.removeEventListener('abort', onAbort)
  }

  /** Advances every acquire that became ready; re-entrant calls only queue work for the running loop. */
  private drain(): void {
    if (this.draining) return
    this.draining = true
    try {
      for (let acq = this.ready.shift(); acq; acq = this.ready.shift()) this.advance(acq)
    } finally {
      this.draining = false
    }
  }

  /** Takes free resources in canonical order; queues on the first held one, or grants when done. */
  private advance(acq: Acquisition): void {
    if (acq.state !== 'acquiring') return
    while (acq.taken < acq.resources.length) {
      const resource = acq.resources[acq.taken] as string
      this.expireIfDue(this.table.holderOf(resource))
      const holder = this.table.holderOf(resource)
      if (!holder) {
        this.table.take(acq)
        continue
      }
      return this.wait(acq, resource, holder)
    }
    this.grant(acq)
  }

  private wait(acq: Acquisition, resource: string, holder: Acquisition): void {
    const { clock, detectDeadlocks, maxWaiters, maxTotalWaiters } = this.options
    const now = clock.now()
    // A try-once (or expired) acquire never waits, so it cannot deadlock: report it as not free.
    if (now - acq.startedAt >= acq.waitMs) return this.timeout(acq, resource)
    if (detectDeadlocks && holder.owner === acq.owner) return this.deadlock(acq, [acq.owner, resource, acq.owner])
    if (this.table.queueLength(resource) >= maxWaiters)
      return this.fail(acq, contendedError(COMPONENT, acq, resource, 'maxWaiters', maxWaiters))
    if (this.table.waiterCount >= maxTotalWaiters)
      return this.fail(acq, contendedError(COMPONENT, acq, resource, 'maxTotalWaiters', maxTotalWaiters))
    this.table.enqueue(acq)
    if (acq.timer === undefined) {
      acq.timer = setTimeout(
        () => {
          this.timeout(acq, acq.waitingOn ?? resource)
          this.drain()
        },
        acq.startedAt + acq.waitMs - now,
      )
      acq.timer.unref?.()
    }
    // Breaking one cycle through the new edge may leave another: repeat until none is left or
    // this acquire itself was the victim. Each round removes a waiter, so it terminates.
    while (detectDeadlocks && acq.state === 'acquiring') {
      const found = findDeadlock(this.table, acq)
      if (!found) break
      this.deadlock(found.victim, found.cycle)
    }
  }

  private grant(acq: Acquisition): void {
    const now = this.options.clock.now()
    clearTimeout(acq.timer)
    acq.detach?.()
    acq.detach = undefined
    acq.state = 'held'
    acq.fence = ++this.lastFence
    acq.grantedAt = now
    acq.expiresAt = now + acq.ttlMs
    this.armExpiry(acq)
    this.emit({
      type: 'acquire',
      ...this.eventBase(acq),
      fence: acq.fence,
      ttlMs: acq.ttlMs,
      durationMs: now - acq.startedAt,
    })
    acq.resolve(new LocalLock(acq, this.controls))
  }

  /** Rejects a pending acquire and gives back what it took. No-op unless still acquiring. */
  private fail(acq: Acquisition, error: Error): void {
    if (acq.state !== 'acquiring') return
    acq.state = 'failed'
    this.table.dequeue(acq)
    clearTimeout(acq.timer)
    acq.detach?.()
    this.live.delete(acq)
    this.freeTaken(acq)
    acq.reject(error)
  }

  private timeout(acq: Acquisition, resource: string): void {
    if (acq.state !== 'acquiring') return
    const now = this.options.clock.now()
    const holder = this.table.holderOf(resource)
    this.emit({
      type: 'timeout',
      ...this.eventBase(acq),
      resource,
      holder: holder?.owner,
      durationMs: now - acq.startedAt,
    })
    this.fail(acq, timeoutError(COMPONENT, acq, resource, holder, this.table.queueLength(resource), now))
  }

  private deadlock(victim: Acquisition, cycle: string[]): void {
    this.emit({ type: 'deadlock', ...this.eventBase(victim), cycle })
    this.fail(victim, deadlockError(COMPONENT, victim, cycle))
  }

  /** Frees the resources `acq` holds, handing each to its oldest waiter. */
  private freeTaken(acq: Acquisition): void {
    for (let i = 0; i < acq.taken; i++) {
      const next = this.table.free(acq.resources[i] as string)
      if (next) this.ready.push(next)
    }
  }

  private armExpiry(acq: Acquisition): void {
    clearTimeout(acq.timer)
    acq.timer = setTimeout(
      () => {
        // Timers and a custom clock may disagree; the clock decides, the timer only re-checks.
        if (this.expireIfDue(acq)) this.drain()
        else if (acq.state === 'held') this.armExpiry(acq)
      },
      Math.max(0, acq.expiresAt - this.options.clock.now()),
    )
    acq.timer.unref?.()
  }

  private expireIfDue(acq: Acquisition | undefined): boolean {
    if (acq?.state !== 'held' || this.options.clock.now() < acq.expiresAt) return false
    this.expire(acq, 'expired')
    return true
  }

  /** Marks a held lock lost, frees its resources and notifies loss listeners. No-op unless held. */
  private expire(acq: Acquisition, reason: 'expired' | 'closed'): void {
    if (acq.state !== 'held') return
    const now = this.options.clock.now()
    acq.state = 'lost'
    acq.lostReason = reason
    clearTimeout(acq.timer)
    this.live.delete(acq)
    this.freeTaken(acq)
    const error = lostError(COMPONENT, acq, 'lock', now)
    acq.lostError = error
    this.emit({ type: 'lost', ...this.eventBase(acq), fence: acq.fence, durationMs: now - acq.grantedAt, reason })
    for (const listener of acq.lostListeners) queueMicrotask(() => listener(error))
    acq.lostListeners.clear()
  }

  private extend(acq: Acquisition, ttlMs: number): void {
    const ttl = checkTtl(ttlMs)
    if (this.expireIfDue(acq)) this.drain()
    const now = this.options.clock.now()
    if (acq.state === 'lost') throw lostError(COMPONENT, acq, 'extend()', now)
    if (acq.state !== 'held') throw notHeldError(COMPONENT, acq, 'extend', now)
    acq.expiresAt = now + ttl
    this.armExpiry(acq)
    this.emit({ type: 'extend', ...this.eventBase(acq), fence: acq.fence, ttlMs: ttl })
  }

  private release(acq: Acquisition): void {
    if (this.expireIfDue(acq)) this.drain()
    const now = this.options.clock.now()
    if (acq.state !== 'held') throw notHeldError(COMPONENT, acq, 'release', now)
    acq.state = 'released'
    clearTimeout(acq.timer)
    this.live.delete(acq)
    acq.lostListeners.clear()
    this.freeTaken(acq)
    this.emit({ type: 'release', ...this.eventBase(acq), fence: acq.fence, durationMs: now - acq.grantedAt })
    this.drain()
  }

  private eventBase(acq: Acquisition): { locker: string; resources: readonly string[]; owner: string } {
    return { locker: this.options.name, resources: acq.resources, owner: acq.owner }
  }

  private emit(event: LockEvent): void {
    publish(CHANNELS.lock, event)
  }
}
