import type { Acquisition } from './acquisition.js'
import type { WaitForView } from './wait-for-graph.js'

/** Counts of the table's internal state; all zero when nothing is held or waiting. */
export interface LockTableStats {
  /** Resources currently held (by granted locks or by acquires still taking the rest). */
  heldResources: number
  /** Owners holding at least one resource. */
  holdingOwners: number
  /** Resources with at least one waiter. */
  queuedResources: number
  /** Acquires waiting in some queue. */
  waiters: number
  /** Owners with at least one waiting acquire. */
  waitingOwners: number
}

const NO_WAITS: ReadonlySet<Acquisition> = new Set()

/**
 * Who holds which resource, FIFO queues of waiters, and the waits of each owner (the wait-for
 * graph's adjacency). Pure bookkeeping: no timers, no promises. Empty collections are deleted so
 * the table shrinks back to nothing when all locks are released.
 */
export class LockTable implements WaitForView<Acquisition> {
  private readonly holders = new Map<string, Acquisition>()
  private readonly holdings = new Map<string, number>()
  private readonly queues = new Map<string, Acquisition[]>()
  private readonly waits = new Map<string, Set<Acquisition>>()
  private waiting = 0
  private lastTicket = 0

  /** The acquire holding `resource`, if any. */
  holderOf(resource: string): Acquisition | undefined {
    return this.holders.get(resource)
  }

  /** Number of waiters queued on `resource`. */
  queueLength(resource: string): number {
    return this.queues.get(resource)?.length ?? 0
  }

  /** The waiter just ahead of `acq` in its queue, if any. */
  predecessorOf(acq: Acquisition): Acquisition | undefined {
    const queue = acq.waitingOn === undefined ? undefined : this.queues.get(acq.waitingOn)
    const index = queue ? this.indexIn(queue, acq) : -1
    return index > 0 ? queue?.[index - 1] : undefined
  }

  /** Pending waits of `owner`. */
  waitsOf(owner: string): ReadonlySet<Acquisition> {
    return this.waits.get(owner) ?? NO_WAITS
  }

  /** Whether `owner` holds any resource. */
  holdsAny(owner: string): boolean {
    return this.holdings.has(owner)
  }

  /** Total number of queued acquires. */
  get waiterCount(): number {
    return this.waiting
  }

  /** Records `acq` as the holder of its next resource. The resource must be free. */
  take(acq: Acquisition): void {
    this.holders.set(acq.resources[acq.taken] as string, acq)
    this.holdings.set(acq.owner, (this.holdings.get(acq.owner) ?? 0) + 1)
    acq.taken++
  }

  /** Queues `acq` on its next resource (which someone holds). */
  enqueue(acq: Acquisition): void {
    const resource = acq.resources[acq.taken] as string
    let queue = this.queues.get(resource)
    if (!queue) this.queues.set(resource, (queue = []))
    // Tickets only grow and queues only append, so every queue is sorted by ticket.
    acq.ticket = ++this.lastTicket
    queue.push(acq)
    acq.waitingOn = resource
    let owned = this.waits.get(acq.owner)
    if (!owned) this.waits.set(acq.owner, (owned = new Set()))
    owned.add(acq)
    this.waiting++
  }

  /** Removes `acq` from the queue it waits in, if any. */
  dequeue(acq: Acquisition): void {
    const resource = acq.waitingOn
    if (resource === undefined) return
    const queue = this.queues.get(resource) as Acquisition[]
    queue.splice(this.indexIn(queue, acq), 1)
    if (queue.length === 0) this.queues.delete(resource)
    const owned = this.waits.get(acq.owner) as Set<Acquisition>
    owned.delete(acq)
    if (owned.size === 0) this.waits.delete(acq.owner)
    acq.waitingOn = undefined
    this.waiting--
  }

  /**
   * Frees `resource` and hands it to the oldest waiter (FIFO). Returns that waiter, which now holds
   * the resource and must be advanced to its next one, or `undefined` when nobody waited.
   */
  free(resource: string): Acquisition | undefined {
    const holder = this.holders.get(resource)
    if (holder) {
      const count = (this.holdings.get(holder.owner) ?? 1) - 1
      if (count === 0) this.holdings.delete(holder.owner)
      else this.holdings.set(holder.owner, count)
    }
    const next = this.queues.get(resource)?.[0]
    if (!next) {
      this.holders.delete(resource)
      return undefined
    }
    this.dequeue(next)
    this.take(next)
    return next
  }

  /** Sizes of the internal collections. */
  stats(): LockTableStats {
    return {
      heldResources: this.holders.size,
      holdingOwners: this.holdings.size,
      queuedResources: this.queues.size,
      waiters: this.waiting,
      waitingOwners: this.waits.size,
    }
  }

  /** Binary search by ticket: O(log n) even for long queues. */
  private indexIn(queue: readonly Acquisition[], acq: Acquisition): number {
    let low = 0
    let high = queue.length - 1
    while (low <= high) {
      const mid = (low + high) >>> 1
      const ticket = (queue[mid] as Acquisition).ticket
      if (ticket === acq.ticket) return mid
      if (ticket < acq.ticket) low = mid + 1
      else high = mid - 1
    }
    return -1
  }
}
