import { PerfError } from '@perf/core'
import { PgExtensionError } from '../errors.js'
import type { PgQueryable } from '../queryable.js'
import { clip, rowsOf } from './query.js'
import { statementColumns } from './statement-columns.js'

/** One normalized statement from `pg_stat_statements` (times in ms). */
export interface TopStatement {
  /** pg_stat_statements' `queryid`, as a string (it is a 64-bit integer). */
  queryId: string
  /** The normalized text (`$1` for literals), clipped to `maxQueryLength`. */
  query: string
  /** Role that ran it. */
  user: string
  calls: number
  /** Execution time, plus planning time when `pg_stat_statements.track_planning` is on. */
  totalMs: number
  meanMs: number
  minMs: number
  maxMs: number
  stddevMs: number
  /** Planning time (0 unless `pg_stat_statements.track_planning = on`; PostgreSQL 13+). */
  planMs: number
  rows: number
  /** shared_blks_hit / (hit + read); null when it read no blocks. */
  cacheHitRatio: number | null
  /** This statement's share of the total time of all statements in scope, 0–100. */
  percentOfTotal: number
}

/** Options of `topStatements()`. */
export interface TopStatementsOptions {
  /** Sort key. @default 'totalTime' */
  orderBy?: 'totalTime' | 'meanTime' | 'calls' | 'rows'
  /** Statements returned. @default 20 */
  limit?: number
  /** Statements with fewer calls are left out. @default 1 */
  minCalls?: number
  /** Include every database's statements, not only the current one. @default false */
  allDatabases?: boolean
}

const ORDER = { totalTime: 'total_ms', meanTime: 'mean_ms', calls: 'calls', rows: 'rows' } as const

const FIX_PRELOAD =
  "add it to shared_preload_libraries (ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', or edit postgresql.conf) and restart PostgreSQL"

interface Probe {
  version: number
  schema: string | null
  available: number
}

/** Finds pg_stat_statements (its schema, which may be off the search_path) or says exactly what is missing. */
async function locate(db: PgQueryable): Promise<Probe> {
  const [probe] = await rowsOf<Probe>(
    db,
    `SELECT current_setting('server_version_num')::int AS version,
            (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_stat_statements') AS schema,
            (SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_stat_statements')::int AS available`,
  )
  if (!probe) throw new PerfError('INVALID_ARGUMENT', '[perf:pg] could not read the server version')
  if (probe.schema === null) {
    if (probe.available === 0) {
      throw new PgExtensionError(
        'pg_stat_statements',
        'not-available',
        'install the server contrib package (it ships with PostgreSQL; on Debian: postgresql-contrib), then ' +
          FIX_PRELOAD +
          ', then run CREATE EXTENSION pg_stat_statements',
      )
    }
    throw new PgExtensionError(
      'pg_stat_statements',
      'not-installed',
      'run CREATE EXTENSION pg_stat_statements in this database (it must also be preloaded: ' + FIX_PRELOAD + ')',
    )
  }
  return probe
}

/**
 * The statements that cost the most, from `pg_stat_statements` (PostgreSQL 13–17 column names;
 * 12 and older use the pre-13 ones).
 *
 * @throws PgExtensionError when the extension is not shipped, not created in this database, or not preloaded
 */
export async function topStatements(
  db: PgQueryable,
  options: TopStatementsOptions = {},
  maxQueryLength = 2000,
): Promise<TopStatement[]> {
  const orderBy = options.orderBy ?? 'totalTime'
  const order = ORDER[orderBy]
  if (order === undefined) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:pg] topStatements() orderBy must be one of ${Object.keys(ORDER).join(', ')}`,
      {
        context: { argument: 'orderBy', value: orderBy },
      },
    )
  }
  const limit = positiveInt(options.limit ?? 20, 'limit')
  const minCalls = positiveInt(options.minCalls ?? 1, 'minCalls')
  const probe = await locate(db)
  const c = statementColumns(probe.version)
  const plan = c.totalPlanTime === null ? '0' : `s.${c.totalPlanTime}`
  const sql = `
    WITH s AS (
      SELECT s.queryid::text AS "queryId", s.query, r.rolname AS "user", s.calls::float8 AS calls,
             (s.${c.totalTime} + ${plan})::float8 AS total_ms, s.${c.meanTime}::float8 AS mean_ms,
             s.${c.minTime}::float8 AS "minMs", s.${c.maxTime}::float8 AS "maxMs",
             s.${c.stddevTime}::float8 AS "stddevMs", (${plan})::float8 AS "planMs", s.rows::float8 AS rows,
             (s.shared_blks_hit::float8 / nullif(s.shared_blks_hit + s.shared_blks_read, 0)) AS "cacheHitRatio"
      FROM ${probe.schema}.pg_stat_statements s
      LEFT JOIN pg_roles r ON r.oid = s.userid
      WHERE s.calls >= $1 AND ($2 OR s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()))
    )
    SELECT *, (100 * total_ms / nullif(sum(total_ms) OVER (), 0))::float8 AS "percentOfTotal"
    FROM s ORDER BY ${order} DESC LIMIT $3`
  let rows: Array<Record<string, unknown>>
  try {
    rows = await rowsOf(db, sql, [minCalls, options.allDatabases === true, limit])
  } catch (error) {
    // 55000 object_not_in_prerequisite_state: "pg_stat_statements must be loaded via shared_preload_libraries"
    if ((error as { code?: string }).code === '55000') {
      throw new PgExtensionError('pg_stat_statements', 'not-preloaded', FIX_PRELOAD, { cause: error })
    }
    throw error
  }
  return rows.map((r) => ({
    queryId: r.queryId as string,
    query: clip(r.query as string, maxQueryLength) ?? '',
    user: (r.user as string | null) ?? '',
    calls: r.calls as number,
    totalMs: r.total_ms as number,
    meanMs: r.mean_ms as number,
    minMs: r.minMs as number,
    maxMs: r.maxMs as number,
    stddevMs: r.stddevMs as number,
    planMs: r.planMs as number,
    rows: r.rows as number,
    cacheHitRatio: r.cacheHitRatio as number | null,
    percentOfTotal: (r.percentOfTotal as number | null) ?? 0,
  }))
}

/** @throws PerfError INVALID_ARGUMENT unless an integer ≥ 1 */
export function positiveInt(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:pg] ${argument} must be an integer >= 1, got ${String(value)}`, {
      context: { argument, value },
    })
  }
  return value
}

/** @throws PerfError INVALID_ARGUMENT unless a finite number ≥ 0 */
export function nonNegative(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:pg] ${argument} must be a number >= 0, got ${String(value)}`, {
      context: { argument, value },
    })
  }
  return value
}
