import type { PgQueryable } from '../queryable.js'
import { rowsOf } from './query.js'
import { positiveInt } from './statements.js'

/** Scan, tuple and maintenance statistics of one table. */
export interface TableStats {
  schema: string
  table: string
  /** Table, indexes and TOAST. */
  sizeBytes: number
  seqScans: number
  /** Rows read by sequential scans. */
  seqRowsRead: number
  indexScans: number
  /** indexScans / (seqScans + indexScans); null before any scan. */
  indexScanRatio: number | null
  liveRows: number
  deadRows: number
  /** deadRows / (liveRows + deadRows); null for an empty table. */
  deadRatio: number | null
  inserts: number
  updates: number
  deletes: number
  lastVacuum: Date | null
  lastAutovacuum: Date | null
  lastAnalyze: Date | null
  lastAutoanalyze: Date | null
}

/** Options of `tableStats()`. */
export interface TableStatsOptions {
  /** Tables returned, largest first. @default 50 */
  limit?: number
}

/** Per-table statistics from `pg_stat_user_tables`, largest tables first. */
export async function tableStats(db: PgQueryable, options: TableStatsOptions = {}): Promise<TableStats[]> {
  const limit = positiveInt(options.limit ?? 50, 'limit')
  return rowsOf<TableStats>(
    db,
    `SELECT schemaname AS schema, relname AS "table", pg_total_relation_size(relid)::float8 AS "sizeBytes",
            seq_scan::float8 AS "seqScans", seq_tup_read::float8 AS "seqRowsRead",
            coalesce(idx_scan, 0)::float8 AS "indexScans",
            (coalesce(idx_scan, 0)::float8 / nullif(seq_scan + coalesce(idx_scan, 0), 0)) AS "indexScanRatio",
            n_live_tup::float8 AS "liveRows", n_dead_tup::float8 AS "deadRows",
            (n_dead_tup::float8 / nullif(n_live_tup + n_dead_tup, 0)) AS "deadRatio",
            n_tup_ins::float8 AS inserts, n_tup_upd::float8 AS updates, n_tup_del::float8 AS deletes,
            last_vacuum AS "lastVacuum", last_autovacuum AS "lastAutovacuum",
            last_analyze AS "lastAnalyze", last_autoanalyze AS "lastAutoanalyze"
     FROM pg_stat_user_tables
     ORDER BY pg_total_relation_size(relid) DESC, schemaname, relname
     LIMIT $1`,
    [limit],
  )
}

/** Share of block reads served from shared buffers (0–1; null before any read). */
export interface CacheHitRatio {
  /** Table blocks (heap), from `pg_statio_user_tables`. */
  table: number | null
  /** Index blocks, from `pg_statio_user_indexes`. */
  index: number | null
  /** Table block accesses the ratio is computed over (hits + reads since the statistics reset). */
  tableBlocks: number
  /** Index block accesses the ratio is computed over. */
  indexBlocks: number
}

/**
 * Buffer cache hit ratios of the current database's user tables and indexes. Below ~0.99 on an
 * OLTP database usually means the working set no longer fits in `shared_buffers`.
 */
export async function cacheHitRatio(db: PgQueryable): Promise<CacheHitRatio> {
  const [row] = await rowsOf<CacheHitRatio>(
    db,
    `SELECT t.hit / nullif(t.hit + t.read, 0) AS "table", i.hit / nullif(i.hit + i.read, 0) AS "index",
            coalesce(t.hit + t.read, 0) AS "tableBlocks", coalesce(i.hit + i.read, 0) AS "indexBlocks"
     FROM (SELECT sum(heap_blks_hit)::float8 AS hit, sum(heap_blks_read)::float8 AS read FROM pg_statio_user_tables) t,
          (SELECT sum(idx_blks_hit)::float8 AS hit, sum(idx_blks_read)::float8 AS read FROM pg_statio_user_indexes) i`,
  )
  return row ?? { table: null, index: null, tableBlocks: 0, indexBlocks: 0 }
}
