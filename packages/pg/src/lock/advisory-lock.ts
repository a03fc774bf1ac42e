import { LockError } from '@perf/core'
import type { Lock, LockEvent } from '@perf/core'

/** What a lock needs from its locker. */
export interface LockHost {
  readonly name: string
  /** Publishes a `perf:lock` event (only when someone subscribed). */
  publish(event: LockEvent): void
  /** Frees the advisory locks on the server (queued on the session) and wakes local waiters. */
  unlock(lock: PgAdvisoryLock): Promise<void>
  /** Runs a no-op on the session; rejects when it is gone. */
  ping(): Promise<void>
}

type State = 'held' | 'released' | 'expired' | 'lost'

const list = (resources: readonly string[]): string => JSON.stringify(resources)

/** One held set of advisory locks; its TTL is enforced here, on this process's clock. */
export class PgAdvisoryLock implements Lock {
  readonly resources: readonly string[]
  readonly owner: string
  readonly fence: number
  #expiresAt: number
  #ttlMs: number
  #state: State = 'held'
  readonly #acquiredAt = Date.now()
  #timer: ReturnType<typeof setTimeout> | undefined
  readonly #listeners = new Set<(error: LockError) => void>()
  readonly #host: LockHost

  constructor(host: LockHost, resources: readonly string[], owner: string, fence: number, ttlMs: number) {
    this.#host = host
    this.resources = resources
    this.owner = owner
    this.fence = fence
    this.#ttlMs = ttlMs
    this.#expiresAt = Date.now() + ttlMs
    this.#arm()
  }

  get expiresAt(): number {
    return this.#expiresAt
  }

  get isHeld(): boolean {
    return this.#state === 'held' && Date.now() < this.#expiresAt
  }

  #arm(): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, this.#expiresAt - Date.now()))
    this.#timer.unref?.()
  }

  #expire(): void {
    if (this.#state !== 'held') return
    if (Date.now() < this.#expiresAt) return this.#arm()
    this.lose('expired')
  }

  /** Marks the lock lost (expired, session gone, locker closed), frees it and tells the listeners. */
  lose(why: 'expired' | 'lost', unlock = true): void {
    if (this.#state !== 'held') return
    this.#state = why
    clearTimeout(this.#timer)
    if (unlock) void this.#host.unlock(this).catch(() => undefined)
    this.#host.publish({
      type: 'lost',
      locker: this.#host.name,
      resources: this.resources,
      owner: this.owner,
      fence: this.fence,
      durationMs: Date.now() - this.#acquiredAt,
      reason: why === 'expired' ? 'expired' : 'closed',
    })
    const error = this.#lostError(why === 'expired' ? 'expired' : 'session')
    for (const listener of this.#listeners) queueMicrotask(() => listener(error))
    this.#listeners.clear()
  }

  #lostError(reason: 'expired' | 'session', op = 'lock'): LockError {
    const why =
      reason === 'expired'
        ? `the lock expired ${Math.max(0, Date.now() - this.#expiresAt)}ms ago (ttlMs=${this.#ttlMs})`
        : 'its PostgreSQL session ended (connection lost or locker closed), which freed the advisory locks'
    return new LockError(
      'LOCK_LOST',
      `[perf:${this.#host.name}] ${op} on ${list(this.resources)} (owner "${this.owner}", fence ${this.fence}): ${why}`,
      {
        context: { resources: this.resources, owner: this.owner, fence: this.fence, ttlMs: this.#ttlMs, reason },
      },
    )
  }

  #notHeld(op: 'release' | 'extend'): LockError {
    const why =
      this.#state === 'released'
        ? 'it was already released'
        : this.#state === 'lost'
          ? 'its session ended'
          : 'it expired'
    return new LockError(
      'LOCK_NOT_HELD',
      `[perf:${this.#host.name}] ${op}() on ${list(this.resources)} (owner "${this.owner}", fence ${this.fence}) failed: ${why}`,
      {
        context: { resources: this.resources, owner: this.owner, fence: this.fence, state: this.#state },
      },
    )
  }

  async extend(ttlMs: number): Promise<void> {
    if (!(typeof ttlMs === 'number' && ttlMs > 0 && ttlMs <= 2 ** 31 - 1)) {
      throw new LockError(
        'LOCK_BACKEND_ERROR',
        `[perf:${this.#host.name}] extend() needs 0 < ttlMs <= 2^31-1, got ${ttlMs}`,
      )
    }
    if (this.#state === 'released') throw this.#notHeld('extend')
    this.#expire()
    if (this.#state !== 'held') throw this.#lostError(this.#state === 'expired' ? 'expired' : 'session', 'extend()')
    // The session is what holds the locks: prove it is still there before promising more time.
    try {
      await this.#host.ping()
    } catch {
      this.lose('lost', false)
    }
    if (this.#state !== 'held') throw this.#lostError('session', 'extend()')
    this.#ttlMs = ttlMs
    this.#expiresAt = Date.now() + ttlMs
    this.#arm()
    this.#host.publish({
      type: 'extend',
      locker: this.#host.name,
      resources: this.resources,
      owner: this.owner,
      fence: this.fence,
      ttlMs,
    })
  }

  async release(): Promise<void> {
    this.#expire()
    if (this.#state !== 'held') throw this.#notHeld('release')
    this.#state = 'released'
    clearTimeout(this.#timer)
    this.#listeners.clear()
    // An unlock that fails means the session is gone, and with it every advisory lock it held.
    await this.#host.unlock(this).catch(() => undefined)
    this.#host.publish({
      type: 'release',
      locker: this.#host.name,
      resources: this.resources,
      owner: this.owner,
      fence: this.fence,
      durationMs: Date.now() - this.#acquiredAt,
    })
  }

  onLost(listener: (error: LockError) => void): () => void {
    if (this.#state === 'expired' || this.#state === 'lost') {
      const error = this.#lostError(this.#state === 'expired' ? 'expired' : 'session')
      queueMicrotask(() => listener(error))
      return () => undefined
    }
    if (this.#state === 'held') this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
