import { DeadlockError, LockError, PerfError } from '../errors.js'
import type { Acquisition } from './acquisition.js'

const list = (resources: readonly string[]): string => JSON.stringify(resources)

function holderText(holder: Acquisition | undefined, now: number): string {
  if (!holder) return 'no holder'
  if (holder.state !== 'held') return `owner "${holder.owner}" (still acquiring ${list(holder.resources)})`
  return `owner "${holder.owner}" (fence ${holder.fence}, expires in ${Math.max(0, holder.expiresAt - now)}ms)`
}

/** LOCK_TIMEOUT naming the resource waited for, its holder and the wait. */
export function timeoutError(
  component: string,
  acq: Acquisition,
  resource: string,
  holder: Acquisition | undefined,
  queued: number,
  now: number,
): LockError {
  const waited = now - acq.startedAt
  const what =
    acq.waitMs === 0 ? 'was not free (waitMs=0 tries once)' : `timed out after ${waited}ms (waitMs=${acq.waitMs})`
  return new LockError(
    'LOCK_TIMEOUT',
    `[${component}] acquire(${list(acq.resources)}) ${what} waiting for "${resource}", held by ${holderText(holder, now)}; ${queued} waiter(s) queued`,
    {
      context: {
        resources: acq.resources,
        resource,
        owner: acq.owner,
        holder: holder?.owner,
        waitMs: acq.waitMs,
        waitedMs: waited,
      },
    },
  )
}

/** LOCK_CONTENDED when a waiter cap is reached. */
export function contendedError(
  component: string,
  acq: Acquisition,
  resource: string,
  option: 'maxWaiters' | 'maxTotalWaiters',
  limit: number,
): LockError {
  const scope = option === 'maxWaiters' ? `"${resource}" already has` : 'the locker already has'
  return new LockError(
    'LOCK_CONTENDED',
    `[${component}] acquire(${list(acq.resources)}) rejected: ${scope} ${limit} waiters (${option}=${limit})`,
    {
      context: { resources: acq.resources, resource, owner: acq.owner, option, limit },
    },
  )
}

/** LOCK_NOT_HELD for release/extend on a lock that was released or lost. */
export function notHeldError(component: string, acq: Acquisition, op: 'release' | 'extend', now: number): LockError {
  const why = acq.state === 'released' ? 'it was already released' : lostWhy(acq, now)
  return new LockError(
    'LOCK_NOT_HELD',
    `[${component}] ${op}() on ${list(acq.resources)} (owner "${acq.owner}", fence ${acq.fence}) failed: ${why}`,
    {
      context: { resources: acq.resources, owner: acq.owner, fence: acq.fence, state: acq.state },
    },
  )
}

/** LOCK_LOST for a lock that expired or whose locker closed. */
export function lostError(component: string, acq: Acquisition, op: string, now: number): LockError {
  return new LockError(
    'LOCK_LOST',
    `[${component}] ${op} on ${list(acq.resources)} (owner "${acq.owner}", fence ${acq.fence}): ${lostWhy(acq, now)}`,
    {
      context: {
        resources: acq.resources,
        owner: acq.owner,
        fence: acq.fence,
        ttlMs: acq.ttlMs,
        reason: acq.lostReason,
      },
    },
  )
}

function lostWhy(acq: Acquisition, now: number): string {
  if (acq.lostReason === 'closed') return 'the lock was lost because the locker was closed'
  return `the lock expired ${Math.max(0, now - acq.expiresAt)}ms ago (ttlMs=${acq.ttlMs})`
}

/** DeadlockError naming the cycle, for the victim. */
export function deadlockError(component: string, victim: Acquisition, cycle: readonly string[]): DeadlockError {
  const path = cycle.join(' -> ')
  const self =
    cycle.length === 3 ? ` (owner "${victim.owner}" already holds "${cycle[1]}"; LocalLocker is not re-entrant)` : ''
  return new DeadlockError(
    `[${component}] deadlock: ${path}${self}; rejected the youngest waiter, owner "${victim.owner}" acquiring ${list(victim.resources)}`,
    cycle,
    {
      context: { resources: victim.resources, owner: victim.owner },
    },
  )
}

/** ABORTED for work cut short by close(). */
export function closedError(component: string, what: string): PerfError {
  return new PerfError('ABORTED', `[${component}] ${what}: the locker was closed`)
}
