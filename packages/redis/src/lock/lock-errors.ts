import { LockError } from '@perf/core'
import { describeErrors, messageOf } from './redlock-lock.js'
import { label, parseHolder } from './resources.js'

/** Where an acquire stands: how many nodes there are and how many must agree. */
export interface QuorumInfo {
  nodes: number
  quorum: number
}

/** LOCK_TIMEOUT whose `cause` is the LOCK_CONTENDED error naming the holder and its remaining TTL. */
export function timeoutError(
  names: readonly string[],
  waitMs: number,
  held: { holder: string; pttl: number; heldOn: number },
  info: QuorumInfo,
): LockError {
  const holder = parseHolder(held.holder)
  const cause = new LockError(
    'LOCK_CONTENDED',
    `[perf:redis] lock ${label(names)} is held by "${holder}" on ${held.heldOn} of ${info.nodes} nodes (expires in ${held.pttl} ms)`,
    {
      context: { resources: names, holder, holderTtlMs: held.pttl, nodes: info.nodes, quorum: info.quorum },
    },
  )
  return new LockError(
    'LOCK_TIMEOUT',
    `[perf:redis] lock ${label(names)} not acquired within waitMs=${waitMs} (held by "${holder}")`,
    {
      cause,
      context: { resources: names, waitMs, holder },
    },
  )
}

/** LOCK_BACKEND_ERROR listing the distinct Redis errors; `cause` is an AggregateError of them. */
export function backendError(names: readonly string[], errors: unknown[], info: QuorumInfo): LockError {
  return new LockError(
    'LOCK_BACKEND_ERROR',
    `[perf:redis] lock ${label(names)}: Redis failed on ${errors.length} of ${info.nodes} nodes (quorum ${info.quorum}): ${describeErrors(errors)}`,
    {
      cause: new AggregateError(errors, 'Redis errors'),
      context: { resources: names, errors: errors.map(messageOf), nodes: info.nodes, quorum: info.quorum },
    },
  )
}

/** LOCK_VALIDITY_EXPIRED: latency and drift used up the TTL before the quorum answered. */
export function validityError(names: readonly string[], elapsedMs: number, ttlMs: number, driftMs: number): LockError {
  return new LockError(
    'LOCK_VALIDITY_EXPIRED',
    `[perf:redis] lock ${label(names)}: acquiring took ${elapsedMs} ms, no validity left of ttlMs=${ttlMs} (drift ${driftMs} ms)`,
    {
      context: { resources: names, elapsedMs, ttlMs },
    },
  )
}

/** LOCK_CONTENDED when the locker already has maxWaiters waiting acquires. */
export function tooManyWaiters(waiting: number, maxWaiters: number): LockError {
  return new LockError(
    'LOCK_CONTENDED',
    `[perf:redis] redlockLocker has ${waiting} waiting acquires (maxWaiters=${maxWaiters})`,
    {
      context: { waiting, maxWaiters },
    },
  )
}
