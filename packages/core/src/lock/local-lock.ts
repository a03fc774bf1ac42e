import type { LockError } from '../errors.js'
import type { Acquisition } from './acquisition.js'
import type { Lock } from './types.js'

/** What a {@link LocalLock} asks its locker to do; keeps the locker's state private. */
export interface LockControls {
  isHeld(acq: Acquisition): boolean
  extend(acq: Acquisition, ttlMs: number): void
  release(acq: Acquisition): void
}

/** A lock granted by `LocalLocker`; a thin handle over the locker's record of the acquire. */
export class LocalLock implements Lock {
  readonly resources: readonly string[]
  readonly owner: string
  readonly fence: number

  constructor(
    private readonly acq: Acquisition,
    private readonly controls: LockControls,
  ) {
    this.resources = acq.resources
    this.owner = acq.owner
    this.fence = acq.fence
  }

  /** When the lock expires unless extended, ms since the epoch (locker clock). */
  get expiresAt(): number {
    return this.acq.expiresAt
  }

  /** False once released, expired or lost. */
  get isHeld(): boolean {
    return this.controls.isHeld(this.acq)
  }

  /** Pushes expiry to now + ttlMs. @throws LockError LOCK_LOST (expired) or LOCK_NOT_HELD (released) */
  async extend(ttlMs: number): Promise<void> {
    this.controls.extend(this.acq, ttlMs)
  }

  /** Releases every resource and hands each to its next waiter. @throws LockError LOCK_NOT_HELD */
  async release(): Promise<void> {
    this.controls.release(this.acq)
  }

  /** Calls `listener` once, asynchronously, if the lock is lost (expiry, locker closed). */
  onLost(listener: (error: LockError) => void): () => void {
    const { lostListeners, lostError } = this.acq
    if (lostError) {
      queueMicrotask(() => listener(lostError))
      return () => undefined
    }
    if (this.acq.state !== 'held') return () => undefined
    lostListeners.add(listener)
    return () => {
      lostListeners.delete(listener)
    }
  }

  /** `LocalLock(resources, owner=…, fence=…)`, for logs. */
  toString(): string {
    return `LocalLock(${JSON.stringify(this.resources)}, owner=${this.owner}, fence=${this.fence})`
  }
}
