import type { LockError } from '../errors.js'
import type { Lock } from './types.js'
import type { Waiter } from './wait-for-graph.js'

/** Lifecycle of one acquire: waiting, then held, then released or lost; or failed while waiting. */
export type AcquisitionState = 'acquiring' | 'held' | 'released' | 'lost' | 'failed'

/**
 * Internal record of one `LocalLocker.acquire` call, from the call until release or loss.
 * The same record is the queue entry while waiting and the lock state while held.
 */
export interface Acquisition extends Waiter {
  readonly owner: string
  readonly seq: number
  /** Canonical resources; the first `taken` of them are held. */
  readonly resources: readonly string[]
  readonly ttlMs: number
  readonly waitMs: number
  /** Clock time of the acquire call, ms. */
  readonly startedAt: number
  readonly signal: AbortSignal | undefined
  taken: number
  waitingOn: string | undefined
  /** Queue position key: increases with every enqueue, so each queue is sorted by it. */
  ticket: number
  state: AcquisitionState
  /** Fencing token, 0 until granted. */
  fence: number
  /** Clock time the lock was granted, ms (0 until granted). */
  grantedAt: number
  /** Clock time the lock expires, ms (0 until granted). */
  expiresAt: number
  /** Why the lock was lost, for messages and events. */
  lostReason: 'expired' | 'closed' | undefined
  /** The LOCK_LOST error given to loss listeners, once lost. */
  lostError: LockError | undefined
  /** Wait timer while acquiring; expiry timer while held. */
  timer: ReturnType<typeof setTimeout> | undefined
  /** Removes the abort listener from `signal`. */
  detach: (() => void) | undefined
  /** Settles the acquire() promise. */
  resolve: (lock: Lock) => void
  reject: (error: Error) => void
  /** Notified once when the held lock is lost. */
  readonly lostListeners: Set<(error: LockError) => void>
}

/** The identity fields of a new acquire; everything else starts empty. */
export type AcquisitionInit = Pick<
  Acquisition,
  'owner' | 'seq' | 'resources' | 'ttlMs' | 'waitMs' | 'startedAt' | 'signal'
>

/** A fresh record in state `acquiring`, holding nothing. */
export function createAcquisition(init: AcquisitionInit): Acquisition {
  const unsettled = (): void => undefined
  // Fields listed one by one (no spread of `init`): a spread followed by many more properties
  // built a slow, dictionary-mode object here, which made every acquire several times dearer.
  return {
    owner: init.owner,
    seq: init.seq,
    resources: init.resources,
    ttlMs: init.ttlMs,
    waitMs: init.waitMs,
    startedAt: init.startedAt,
    signal: init.signal,
    taken: 0,
    waitingOn: undefined,
    ticket: 0,
    state: 'acquiring',
    fence: 0,
    grantedAt: 0,
    expiresAt: 0,
    lostReason: undefined,
    lostError: undefined,
    timer: undefined,
    detach: undefined,
    resolve: unsettled,
    reject: unsettled,
    lostListeners: new Set(),
  }
}
