import type { PgQueryable } from '../queryable.js'
import { clip, msSince, rowsOf } from './query.js'

/** A lock a session holds or waits for. */
export interface LockInfo {
  /** Lock mode, e.g. `AccessExclusiveLock`, `ShareLock`, `RowExclusiveLock`. */
  mode: string
  /** `relation`, `transactionid`, `tuple`, `advisory`, … */
  locktype: string
  /** The table or index, when the lock is on one (`schema.name` as regclass prints it). */
  relation: string | null
  granted: boolean
}

/** A session in the blocking tree. Durations in ms. */
export interface BlockingSession {
  pid: number
  user: string | null
  application: string | null
  /** `active`, `idle in transaction`, … */
  state: string | null
  /** Its current (or, when idle, last) statement, clipped. */
  query: string | null
  /** Since its current statement started. */
  queryMs: number | null
  /** Since its transaction started. */
  transactionMs: number | null
  /** What it waits on (`Lock:transactionid`), if anything. */
  waitEvent: string | null
  /** The lock it is waiting for (null for a root, which waits on no lock). */
  waitingFor: LockInfo | null
  /** The parent's locks that conflict with `waitingFor` (empty for a root). */
  blockedByLocks: LockInfo[]
  /** Every pid blocking this session (a session can wait behind several). */
  blockedBy: number[]
  /** Sessions waiting on this one. */
  blocking: BlockingSession[]
}

/** Who blocks whom. */
export interface BlockingTree {
  /** Sessions that block others and wait on nobody: the ones to look at (or cancel) first. */
  roots: BlockingSession[]
  /** Sessions waiting on another session's lock. */
  blockedCount: number
  /** Every (blocked, blocking) pair, flat. */
  pairs: Array<{ blockedPid: number; blockingPid: number }>
}

interface SessionRow {
  pid: number
  user: string | null
  application: string | null
  state: string | null
  query: string | null
  queryMs: number | null
  transactionMs: number | null
  waitEvent: string | null
  blockers: number[] | null
}

interface LockRow extends LockInfo {
  pid: number
  blocker: number | null
}

/**
 * The blocking tree, from `pg_blocking_pids()` and `pg_locks`: each root is a session that holds
 * locks others wait for, with its statement and durations, and below it the sessions waiting on
 * it with the lock each waits for and the parent's conflicting locks. A session behind two
 * blockers appears under both. Every database on the server is included.
 */
export async function blockingTree(db: PgQueryable, maxQueryLength = 2000): Promise<BlockingTree> {
  const sessions = await rowsOf<SessionRow>(
    db,
    `WITH blocked AS (
       SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(pid)) > 0
     ), involved AS (
       SELECT pid FROM blocked UNION SELECT unnest(blockers) FROM blocked
     )
     SELECT a.pid, a.usename AS "user", a.application_name AS application, a.state, a.query,
            ${msSince('a.query_start')} AS "queryMs", ${msSince('a.xact_start')} AS "transactionMs",
            CASE WHEN a.wait_event IS NULL THEN NULL ELSE a.wait_event_type || ':' || a.wait_event END AS "waitEvent",
            b.blockers
     FROM involved i JOIN pg_stat_activity a ON a.pid = i.pid LEFT JOIN blocked b ON b.pid = i.pid`,
  )
  if (sessions.length === 0) return { roots: [], blockedCount: 0, pairs: [] }
  const pids = sessions.map((s) => s.pid)
  // Each waiting lock, joined to the other sessions' locks on the same object (granted or queued ahead).
  const locks = await rowsOf<LockRow>(
    db,
    `SELECT w.pid, w.mode, w.locktype, w.relation::regclass::text AS relation, w.granted, h.pid AS blocker,
            h.mode AS "blockerMode", h.granted AS "blockerGranted"
     FROM pg_locks w
     LEFT JOIN pg_locks h ON h.pid <> w.pid AND h.pid = ANY($1) AND h.locktype = w.locktype
       AND h.database IS NOT DISTINCT FROM w.database AND h.relation IS NOT DISTINCT FROM w.relation
       AND h.page IS NOT DISTINCT FROM w.page AND h.tuple IS NOT DISTINCT FROM w.tuple
       AND h.virtualxid IS NOT DISTINCT FROM w.virtualxid AND h.transactionid IS NOT DISTINCT FROM w.transactionid
       AND h.classid IS NOT DISTINCT FROM w.classid AND h.objid IS NOT DISTINCT FROM w.objid
       AND h.objsubid IS NOT DISTINCT FROM w.objsubid
     WHERE NOT w.granted AND w.pid = ANY($1)`,
    [pids],
  )
  const byPid = new Map(sessions.map((s) => [s.pid, s]))
  const waiting = new Map<number, LockInfo>()
  const conflicts = new Map<string, LockInfo[]>()
  for (const l of locks as Array<LockRow & { blockerMode: string | null; blockerGranted: boolean | null }>) {
    waiting.set(l.pid, { mode: l.mode, locktype: l.locktype, relation: l.relation, granted: false })
    if (l.blocker === null || l.blockerMode === null) continue
    const key = `${l.pid}:${l.blocker}`
    const list = conflicts.get(key) ?? []
    list.push({ mode: l.blockerMode, locktype: l.locktype, relation: l.relation, granted: l.blockerGranted === true })
    conflicts.set(key, list)
  }
  const children = new Map<number, number[]>()
  const pairs: BlockingTree['pairs'] = []
  for (const s of sessions) {
    for (const blocker of s.blockers ?? []) {
      pairs.push({ blockedPid: s.pid, blockingPid: blocker })
      const list = children.get(blocker) ?? []
      list.push(s.pid)
      children.set(blocker, list)
    }
  }
  const build = (pid: number, parent: number | null, ancestors: Set<number>): BlockingSession => {
    const s = byPid.get(pid)
    const next = new Set(ancestors).add(pid)
    return {
      pid,
      user: s?.user ?? null,
      application: s?.application ?? null,
      state: s?.state ?? null,
      query: clip(s?.query ?? null, maxQueryLength),
      queryMs: s?.queryMs ?? null,
      transactionMs: s?.transactionMs ?? null,
      waitEvent: s?.waitEvent ?? null,
      waitingFor: parent === null ? null : (waiting.get(pid) ?? null),
      blockedByLocks: parent === null ? [] : (conflicts.get(`${pid}:${parent}`) ?? []),
      blockedBy: s?.blockers ?? [],
      // a cycle (a deadlock the server has not broken yet) stops at the first repeat
      blocking: (children.get(pid) ?? []).filter((c) => !next.has(c)).map((c) => build(c, pid, next)),
    }
  }
  let rootPids = sessions.filter((s) => (s.blockers ?? []).length === 0).map((s) => s.pid)
  if (rootPids.length === 0) rootPids = [Math.min(...pids)]
  return {
    roots: rootPids.sort((a, b) => a - b).map((pid) => build(pid, null, new Set())),
    blockedCount: sessions.filter((s) => (s.blockers ?? []).length > 0).length,
    pairs,
  }
}
