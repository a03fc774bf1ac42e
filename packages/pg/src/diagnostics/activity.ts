import type { PgQueryable } from '../queryable.js'
import { clip, msSince, rowsOf } from './query.js'
import { nonNegative } from './statements.js'

/** A client session from `pg_stat_activity`. Durations in ms. */
export interface ActiveSession {
  pid: number
  database: string | null
  user: string | null
  application: string | null
  clientAddress: string | null
  state: string | null
  /** Current statement (or the last one, when idle in transaction), clipped. */
  query: string | null
  /** Since the current (or last) statement started. */
  queryMs: number | null
  /** Since the transaction started. */
  transactionMs: number | null
  /** Since the state last changed: for idle-in-transaction sessions, how long they have been idle. */
  stateMs: number | null
  /** `Lock:relation`, `IO:DataFileRead`, … when waiting. */
  waitEvent: string | null
}

/** Options of `longRunning()`. */
export interface LongRunningOptions {
  /** Statements running at least this long. @default 5000 */
  minMs?: number
  /** Every database, not only the current one. @default false */
  allDatabases?: boolean
}

/** Options of `idleInTransaction()`. */
export interface IdleInTransactionOptions {
  /** Sessions idle in their transaction at least this long. @default 0 */
  minMs?: number
  /** Every database, not only the current one. @default false */
  allDatabases?: boolean
}

const SESSION_COLUMNS = `a.pid, a.datname AS database, a.usename AS "user", a.application_name AS application,
  a.client_addr::text AS "clientAddress", a.state, a.query, ${msSince('a.query_start')} AS "queryMs",
  ${msSince('a.xact_start')} AS "transactionMs", ${msSince('a.state_change')} AS "stateMs",
  CASE WHEN a.wait_event IS NULL THEN NULL ELSE a.wait_event_type || ':' || a.wait_event END AS "waitEvent"`

const CLIENTS = `a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
  AND ($2 OR a.datname = current_database())`

function clipped(rows: ActiveSession[], max: number): ActiveSession[] {
  for (const r of rows) r.query = clip(r.query, max)
  return rows
}

/** Client statements running for at least `minMs`, longest first (this session excluded). */
export async function longRunning(
  db: PgQueryable,
  options: LongRunningOptions = {},
  maxQueryLength = 2000,
): Promise<ActiveSession[]> {
  const minMs = nonNegative(options.minMs ?? 5000, 'minMs')
  const rows = await rowsOf<ActiveSession>(
    db,
    `SELECT ${SESSION_COLUMNS} FROM pg_stat_activity a
     WHERE ${CLIENTS} AND a.state NOT IN ('idle', 'idle in transaction', 'idle in transaction (aborted)')
       AND a.query_start <= clock_timestamp() - $1 * interval '1 millisecond'
     ORDER BY a.query_start`,
    [minMs, options.allDatabases === true],
  )
  return clipped(rows, maxQueryLength)
}

/**
 * Sessions idle inside an open transaction for at least `minMs`, longest first. They hold their
 * locks and snapshot while doing nothing: vacuum cannot clean behind them, writers queue on them.
 */
export async function idleInTransaction(
  db: PgQueryable,
  options: IdleInTransactionOptions = {},
  maxQueryLength = 2000,
): Promise<ActiveSession[]> {
  const minMs = nonNegative(options.minMs ?? 0, 'minMs')
  const rows = await rowsOf<ActiveSession>(
    db,
    `SELECT ${SESSION_COLUMNS} FROM pg_stat_activity a
     WHERE ${CLIENTS} AND a.state IN ('idle in transaction', 'idle in transaction (aborted)')
       AND a.state_change <= clock_timestamp() - $1 * interval '1 millisecond'
     ORDER BY a.state_change`,
    [minMs, options.allDatabases === true],
  )
  return clipped(rows, maxQueryLength)
}

/** Connections of one database, role and application. */
export interface ConnectionGroup {
  database: string | null
  user: string | null
  application: string
  total: number
  active: number
  idle: number
  idleInTransaction: number
}

/** Room left for new connections. */
export interface ConnectionHeadroom {
  /** `max_connections`. */
  max: number
  /** Slots only superusers (and, on PostgreSQL 16+, `pg_use_reserved_connections`) may take. */
  reserved: number
  /** Client connections open now, server-wide. */
  used: number
  /** `max - reserved - used`: what ordinary roles can still open. */
  available: number
  /** `used / (max - reserved)`, 0–1 (may exceed 1 when superusers use reserved slots). */
  usedRatio: number
  /** Client connections per database, role and application, largest first. */
  groups: ConnectionGroup[]
}

/** Client connections in use against `max_connections`, per database, role and application. */
export async function connectionHeadroom(db: PgQueryable): Promise<ConnectionHeadroom> {
  const [settings] = await rowsOf<{ max: number; reserved: number }>(
    db,
    `SELECT current_setting('max_connections')::int AS max,
            current_setting('superuser_reserved_connections')::int
              + coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int AS reserved`,
  )
  const groups = await rowsOf<ConnectionGroup>(
    db,
    `SELECT datname AS database, usename AS "user", application_name AS application,
            count(*)::int AS total,
            count(*) FILTER (WHERE state = 'active')::int AS active,
            count(*) FILTER (WHERE state = 'idle')::int AS idle,
            count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int AS "idleInTransaction"
     FROM pg_stat_activity WHERE backend_type = 'client backend'
     GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3`,
  )
  const max = settings?.max ?? 0
  const reserved = settings?.reserved ?? 0
  const used = groups.reduce((n, g) => n + g.total, 0)
  const usable = Math.max(1, max - reserved)
  return { max, reserved, used, available: Math.max(0, max - reserved - used), usedRatio: used / usable, groups }
}
