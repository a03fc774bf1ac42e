import { randomUUID } from 'node:crypto'
import { PerfError, runWithLock, systemClock, toMs } from '@perf/core'
import type { AcquireOptions, Clock, Duration, Lock, Locker, UsingOptions } from '@perf/core'
import { assertClient, clientKeyPrefix, type RedisClient } from '../internal/client.js'
import { assertFinite, assertPrefix, assertWholeNumber } from '../internal/validate.js'
import { LockNode, type NodeAttempt, type QueueEntry } from './lock-node.js'
import { backendError, timeoutError, tooManyWaiters, validityError, type QuorumInfo } from './lock-errors.js'
import { RedlockLock, type LockContext } from './redlock-lock.js'
import { abortReason, normalizeResources, parseHolder } from './resources.js'
import { emitLockEvent, lockEventsObserved } from './events.js'
import { WakeNotifier, type WaiterHandle } from './wake-notifier.js'

/** Options for {@link redlockLocker}. */
export interface RedlockLockerOptions {
  /** Prefix of lock keys, wait queues, the fence counter and wake-up channels. Must not contain `{` or `}`. @default 'perf:lock:' */
  prefix?: string
  /** Fraction of the TTL given up for clock drift between nodes and this process. @default 0.01 */
  driftFactor?: number
  /** Constant milliseconds given up for drift, added to `ttl × driftFactor`. @default 2 */
  driftMs?: number
  /** Nodes that must grant a lock. @default ⌊N/2⌋ + 1 */
  quorum?: number
  /** Deadline of each Redis call in ms. 0 disables. @default 250 */
  commandTimeoutMs?: Duration
  /**
   * Longest a waiter sleeps without a wake-up before trying again, in ms (a safety net for a
   * wake-up lost with a crashed process or a reconnect; normally waiters are woken on release).
   * @default 1000
   */
  recheckMs?: Duration
  /** Waiting acquires allowed at once in this locker; more reject with LOCK_CONTENDED. @default 10_000 */
  maxWaiters?: number
  /** Time source for validity. @default systemClock */
  clock?: Clock
  /** Receives errors nobody awaits (wake-up subscriber trouble, queue clean-up after a give-up). Must not throw. */
  onError?: (error: unknown) => void
}

type Failure =
  | { kind: 'contended'; holder: string; pttl: number; heldOn: number }
  | { kind: 'backend'; errors: unknown[] }
  | { kind: 'validity'; elapsed: number }

// Used only while no wake-up subscription is up.
const FALLBACK_POLL_MS = 50

/**
 * A {@link Locker} implementing Redlock over one or more independent Redis deployments (single
 * nodes or Clusters), in Lua. A contended acquire queues in Redis and sleeps; each release wakes
 * the first queued waiter through a per-locker channel (no polling, no thundering herd); waiters
 * also retry when the holder's TTL runs out. Every lock carries a fencing token from a counter in
 * Redis set to `max(counter + 1, server TIME in µs)`: it keeps growing across a Redis restart
 * without persistence; ~1.8e15, so store it in a bigint column.
 *
 * @example
 * const locker = redlockLocker([redisA, redisB, redisC])
 * await locker.using('order:42', 5_000, async (signal, lock) => { await save(order, { fence: lock.fence, signal }) })
 */
export class RedlockLocker implements Locker {
  readonly #nodes: LockNode[]
  readonly #context: LockContext
  readonly #notifier: WakeNotifier
  readonly #prefix: string
  readonly #maxWaiters: number
  readonly #recheckMs: number
  readonly #clock: Clock
  readonly #onError: (error: unknown) => void
  readonly #id = randomUUID()
  #sequence = 0
  #closed = false

  constructor(clients: RedisClient | readonly RedisClient[], options: RedlockLockerOptions = {}) {
    const list = Array.isArray(clients) ? (clients as readonly RedisClient[]) : [clients as RedisClient]
    if (list.length === 0)
      throw new PerfError('CLIENT_INVALID', '[perf:redis] redlockLocker needs at least one ioredis client')
    list.forEach((client, i) => assertClient(client, 'redlockLocker', `clients[${i}]`))
    this.#prefix = assertPrefix(options.prefix ?? 'perf:lock:', 'redlockLocker', 'prefix')
    const driftFactor = assertFinite(options.driftFactor ?? 0.01, 'driftFactor', 0, 0.5, 'redlockLocker')
    const driftMs = assertFinite(options.driftMs ?? 2, 'driftMs', 0, 60_000, 'redlockLocker')
    const quorum = assertWholeNumber(
      options.quorum ?? Math.floor(list.length / 2) + 1,
      'quorum',
      1,
      list.length,
      'redlockLocker',
    )
    const timeoutMs = toMs(options.commandTimeoutMs ?? 250, 'commandTimeoutMs', 'INVALID_OPTION')
    this.#recheckMs = toMs(options.recheckMs ?? 1_000, 'recheckMs', 'INVALID_OPTION')
    this.#maxWaiters = assertWholeNumber(
      options.maxWaiters ?? 10_000,
      'maxWaiters',
      0,
      Number.MAX_SAFE_INTEGER,
      'redlockLocker',
    )
    this.#clock = options.clock ?? systemClock
    this.#onError = options.onError ?? (() => undefined)
    const lockerId = randomUUID()
    const channelPrefix = `${this.#prefix}w:`
    this.#nodes = list.map((client) => new LockNode(client, { prefix: this.#prefix, channelPrefix, timeoutMs }))
    this.#context = { nodes: this.#nodes, quorum, clock: this.#clock, drift: (ttlMs) => ttlMs * driftFactor + driftMs }
    // Wake-ups name the lock key as Redis stores it, with the client's ioredis keyPrefix in front;
    // passing it on as a key argument would get that prefix added a second time.
    const stored = clientKeyPrefix(list[0] as RedisClient)
    const unprefixed = (key: string): string =>
      stored !== '' && key.startsWith(stored) ? key.slice(stored.length) : key
    this.#notifier = new WakeNotifier(list, lockerId, channelPrefix + lockerId, this.#onError, (key) =>
      this.#passOn([unprefixed(key)]),
    )
  }

  /**
   * Acquires all `resources` for `ttlMs`, waiting up to `waitMs` for other holders.
   * @throws LockError LOCK_TIMEOUT (still held after waitMs, also waitMs 0; `cause` is the LOCK_CONTENDED
   * error naming the holder and its remaining TTL), LOCK_BACKEND_ERROR (Redis failed on too many nodes:
   * rejects at once), LOCK_VALIDITY_EXPIRED (latency and drift used up the TTL); PerfError ABORTED, INVALID_ARGUMENT
   */
  async acquire(resources: string | readonly string[], ttlMs: number, opts: AcquireOptions = {}): Promise<Lock> {
    if (this.#closed)
      throw new PerfError('INVALID_ARGUMENT', '[perf:redis] redlockLocker.acquire() called after close()')
    const names = normalizeResources(resources)
    const ttl = assertTtl(ttlMs)
    const waitMs = opts.waitMs === undefined ? 10_000 : toMs(opts.waitMs, 'waitMs', 'INVALID_ARGUMENT')
    // Unique per acquisition without a randomUUID per call: this locker's random id and a counter.
    const nonce = `${this.#id}:${++this.#sequence}`
    const owner = opts.owner ?? nonce
    const value = `${owner}|${nonce}`
    const keys = names.map((name) => `${this.#prefix}{${name}}`)
    const startedAt = this.#clock.now()
    const deadline = startedAt + waitMs
    let handle: WaiterHandle | undefined
    let queued = false
    let front = false
    let contended: Extract<Failure, { kind: 'contended' }> | undefined
    let lock: RedlockLock | undefined
    try {
      for (;;) {
        if (opts.signal?.aborted) throw abortReason(opts.signal, names)
        if (this.#closed)
          throw new PerfError(
            'ABORTED',
            `[perf:redis] redlockLocker closed while acquire() of ${names.map((n) => JSON.stringify(n)).join(', ')} waited`,
          )
        const queue =
          handle && this.#notifier.isListening
            ? { token: handle.token, front, ttlMs: deadline - this.#clock.now() + ttl }
            : undefined
        queued ||= queue !== undefined
        if (handle) handle.woken = false
        front = false
        const outcome = await this.#attempt(names, keys, owner, value, ttl, queue)
        if (outcome instanceof RedlockLock) {
          if (lockEventsObserved())
            emitLockEvent({
              type: 'acquire',
              locker: 'redlock',
              resources: names,
              owner,
              fence: outcome.fence,
              ttlMs: ttl,
              durationMs: this.#clock.now() - startedAt,
            })
          return (lock = outcome)
        }
        if (outcome.kind === 'backend') throw backendError(names, outcome.errors, this.#quorumInfo())
        if (outcome.kind === 'contended') contended = outcome
        const remaining = deadline - this.#clock.now()
        if (waitMs === 0 || remaining <= 0) {
          if (!contended)
            throw validityError(names, outcome.kind === 'validity' ? outcome.elapsed : 0, ttl, this.#context.drift(ttl))
          const holder = parseHolder(contended.holder)
          emitLockEvent({
            type: 'timeout',
            locker: 'redlock',
            resources: names,
            owner,
            resource: names[0] as string,
            holder,
            durationMs: this.#clock.now() - startedAt,
          })
          throw timeoutError(names, waitMs, contended, this.#quorumInfo())
        }
        if (outcome.kind === 'validity') continue
        if (!handle) {
          // First contention: subscribe to wake-ups, then retry at once so the attempt queues us.
          if (this.#notifier.waiting >= this.#maxWaiters) throw tooManyWaiters(this.#notifier.waiting, this.#maxWaiters)
          handle = this.#notifier.register()
          await this.#notifier.start()
          continue
        }
        if (handle.woken) front = true
        else
          await this.#notifier.sleep(
            handle,
            Math.min(remaining, this.#retryAfter(outcome.pttl, queue !== undefined)),
            opts.signal,
          )
        if (handle.woken) front = true
      }
    } finally {
      if (handle) this.#leave(handle, keys, queued, lock !== undefined)
    }
  }

  /**
   * Runs `fn` holding the lock, extending it when `extendAt` of the TTL is left; `signal` aborts
   * with LOCK_LOST if an extension fails or the lock expires (or with `opts.signal`'s reason).
   * Releases when `fn` settles. If the lock was lost, `using` rejects with LOCK_LOST even when `fn`
   * resolved. Extension failures never surface as unhandled rejections.
   */
  async using<T>(
    resources: string | readonly string[],
    ttlMs: number,
    fn: (signal: AbortSignal, lock: Lock) => Promise<T>,
    opts: UsingOptions = {},
  ): Promise<T> {
    // Checked before acquiring, so a bad option never takes (and hands back) a lock.
    const extendAt = opts.extendAt ?? 0.5
    if (typeof extendAt !== 'number' || !(extendAt > 0 && extendAt < 1)) {
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:redis] redlockLocker.using() option "extendAt" must be a number between 0 and 1 (exclusive), got ${String(extendAt)}`,
        {
          context: { option: 'extendAt', value: extendAt },
        },
      )
    }
    const lock = await this.acquire(resources, ttlMs, opts)
    return runWithLock(lock, ttlMs, fn, { extendAt, signal: opts.signal, clock: this.#clock, locker: 'redlock' })
  }

  /** Stops waiting acquires and closes the subscriber connections the locker opened. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#notifier.close()
  }

  async #attempt(
    names: readonly string[],
    keys: readonly string[],
    owner: string,
    value: string,
    ttl: number,
    queue: QueueEntry | undefined,
  ): Promise<RedlockLock | Failure> {
    const { nodes, quorum, clock } = this.#context
    const start = clock.now()
    if (nodes.length === 1) return this.#attemptOne(nodes[0] as LockNode, start, names, keys, owner, value, ttl, queue)
    const results = await Promise.allSettled(nodes.map((node) => node.acquire(keys, value, ttl, queue)))
    const granted = results.flatMap((r, i) =>
      r.status === 'fulfilled' && r.value.granted ? [{ node: nodes[i] as LockNode, fence: r.value.fence }] : [],
    )
    const drift = this.#context.drift(ttl)
    if (granted.length >= quorum) {
      const fence = Math.max(...granted.map((g) => g.fence))
      // Several nodes count separately: lift every granting node's counter so the next holder's max is higher.
      if (nodes.length > 1) await Promise.allSettled(granted.map((g) => g.node.raiseFence(fence)))
      if (start + ttl - drift > clock.now())
        return new RedlockLock(this.#context, names, keys, owner, value, fence, start + ttl - drift)
      await Promise.allSettled(nodes.map((node) => node.release(keys, value)))
      return { kind: 'validity', elapsed: clock.now() - start }
    }
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    // Roll back wherever we may hold keys (granted, or errored after the server executed the script).
    if (granted.length > 0 || errors.length > 0)
      await Promise.allSettled(nodes.map((node) => node.release(keys, value)))
    const held = results.flatMap((r) => (r.status === 'fulfilled' && !r.value.granted ? [r.value] : []))
    if (errors.length > nodes.length - quorum || held.length === 0) return { kind: 'backend', errors }
    return {
      kind: 'contended',
      holder: held[0]!.holder,
      pttl: Math.max(...held.map((h) => h.pttl)),
      heldOn: held.length,
    }
  }

  /** {@link #attempt} on a single node: the same outcomes without quorum bookkeeping (the common deployment). */
  async #attemptOne(
    node: LockNode,
    start: number,
    names: readonly string[],
    keys: readonly string[],
    owner: string,
    value: string,
    ttl: number,
    queue: QueueEntry | undefined,
  ): Promise<RedlockLock | Failure> {
    let attempt: NodeAttempt
    try {
      attempt = await node.acquire(keys, value, ttl, queue)
    } catch (error) {
      // The script may have run and only its reply been lost: free what may be ours.
      await node.release(keys, value).catch(() => undefined)
      return { kind: 'backend', errors: [error] }
    }
    if (!attempt.granted) return { kind: 'contended', holder: attempt.holder, pttl: attempt.pttl, heldOn: 1 }
    const { clock } = this.#context
    const validUntil = start + ttl - this.#context.drift(ttl)
    if (validUntil > clock.now())
      return new RedlockLock(this.#context, names, keys, owner, value, attempt.fence, validUntil)
    await node.release(keys, value).catch(() => undefined)
    return { kind: 'validity', elapsed: clock.now() - start }
  }

  #leave(handle: WaiterHandle, keys: readonly string[], queued: boolean, acquired: boolean): void {
    this.#notifier.leave(handle)
    // The acquire script already dequeued a winner on its granting nodes; elsewhere, tidy up.
    if (queued && (!acquired || this.#nodes.length > 1)) {
      for (const node of this.#nodes) node.leave(keys, handle.token).catch(this.#onError)
    }
    // Woken but not taking the lock (timed out, aborted): hand the wake-up to the next waiter.
    if (handle.woken && !acquired) this.#passOn(keys)
  }

  #passOn(keys: readonly string[]): void {
    for (const node of this.#nodes) for (const key of keys) node.wakeNext(key).catch(this.#onError)
  }

  #quorumInfo(): QuorumInfo {
    return { nodes: this.#nodes.length, quorum: this.#context.quorum }
  }

  #retryAfter(pttl: number, queued: boolean): number {
    // +1 ms: the key is gone once PTTL has elapsed on the server.
    const holderGone = pttl >= 0 ? pttl + 1 : FALLBACK_POLL_MS
    return Math.min(holderGone, queued ? this.#recheckMs : FALLBACK_POLL_MS)
  }
}

function assertTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:redis] redlockLocker ttlMs must be a finite number >= 1, got ${String(ttlMs)}`,
      { context: { ttlMs } },
    )
  }
  return Math.ceil(ttlMs)
}

/**
 * Creates a {@link RedlockLocker} over the clients you pass (one node is plain Redis locking with
 * fencing; three or five independent nodes give Redlock's quorum). Clients stay yours.
 * @throws PerfError CLIENT_INVALID, INVALID_OPTION
 * @example
 * const locker = redlockLocker(redis)
 * const lock = await locker.acquire(['account:1', 'account:2'], 2_000, { waitMs: 1_000 })
 * try { await transfer(lock.fence) } finally { await lock.release() }
 */
export function redlockLocker(
  clients: RedisClient | readonly RedisClient[],
  options: RedlockLockerOptions = {},
): RedlockLocker {
  return new RedlockLocker(clients, options)
}
