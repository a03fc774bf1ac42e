import { adviseIndexes, type AdviseIndexesOptions, type IndexAdviceResult } from '../explain/advise-indexes.js'
import { explain, type ExplainOptions, type ExplainResult } from '../explain/explain.js'
import { pgFindings, scoreFindings, type PgHealthReport, type PgHealthThresholds } from '../health/findings.js'
import { assertQueryable, type PgQueryable } from '../queryable.js'
import {
  connectionHeadroom,
  idleInTransaction,
  longRunning,
  type ActiveSession,
  type ConnectionHeadroom,
  type IdleInTransactionOptions,
  type LongRunningOptions,
} from './activity.js'
import {
  duplicateIndexes,
  missingForeignKeyIndexes,
  unusedIndexes,
  type DuplicateIndex,
  type MissingForeignKeyIndex,
  type UnusedIndex,
  type UnusedIndexesOptions,
} from './indexes.js'
import { blockingTree, type BlockingTree } from './locks.js'
import { positiveInt, topStatements, type TopStatement, type TopStatementsOptions } from './statements.js'
import { cacheHitRatio, tableStats, type CacheHitRatio, type TableStats, type TableStatsOptions } from './tables.js'

/** Options of {@link pgDiagnostics}. */
export interface PgDiagnosticsOptions {
  /** Statement texts longer than this are clipped (with `…`). @default 2000 */
  maxQueryLength?: number
}

/** Everything at once; a section that failed is `null` with its reason in `errors`. */
export interface PgSnapshot {
  at: Date
  /** `server_version_num`, e.g. 150020. */
  serverVersion: number | null
  topStatements: TopStatement[] | null
  blockingTree: BlockingTree | null
  longRunning: ActiveSession[] | null
  idleInTransaction: ActiveSession[] | null
  unusedIndexes: UnusedIndex[] | null
  duplicateIndexes: DuplicateIndex[] | null
  missingForeignKeyIndexes: MissingForeignKeyIndex[] | null
  tableStats: TableStats[] | null
  cacheHitRatio: CacheHitRatio | null
  connectionHeadroom: ConnectionHeadroom | null
  /** Section name → why it is null (e.g. pg_stat_statements not preloaded, with the fix). */
  errors: Record<string, { code: string | undefined; message: string }>
}

/** Reads of the database's own view of its health. Every method is one or two read-only statements. */
export interface PgDiagnostics {
  /** @see {@link topStatements} */
  topStatements(options?: TopStatementsOptions): Promise<TopStatement[]>
  /** Who blocks whom. */
  blockingTree(): Promise<BlockingTree>
  /** Statements running for at least `minMs` (default 5000). */
  longRunning(options?: LongRunningOptions): Promise<ActiveSession[]>
  /** Sessions idle inside an open transaction. */
  idleInTransaction(options?: IdleInTransactionOptions): Promise<ActiveSession[]>
  /** Non-unique indexes scanned at most `maxScans` times. */
  unusedIndexes(options?: UnusedIndexesOptions): Promise<UnusedIndex[]>
  /** Indexes another index makes redundant. */
  duplicateIndexes(): Promise<DuplicateIndex[]>
  /** Foreign keys no index leads with, with the CREATE INDEX to run. */
  missingForeignKeyIndexes(): Promise<MissingForeignKeyIndex[]>
  /** Per-table scans, dead rows, vacuum and analyze times. */
  tableStats(options?: TableStatsOptions): Promise<TableStats[]>
  /** Buffer cache hit ratios for tables and indexes. */
  cacheHitRatio(): Promise<CacheHitRatio>
  /** Connections in use against max_connections. */
  connectionHeadroom(): Promise<ConnectionHeadroom>
  /** The plan PostgreSQL chooses (EXPLAIN; `analyze` runs it inside a rolled-back transaction). */
  explain(sql: string, params?: readonly unknown[], options?: ExplainOptions): Promise<ExplainResult>
  /** `CREATE INDEX CONCURRENTLY` advice for one statement, by heuristics from its plan and pg_stats. */
  adviseIndexes(sql: string, options?: AdviseIndexesOptions): Promise<IndexAdviceResult>
  /** A snapshot turned into findings and a 0–100 score (the shape of `monitor.health()`); see `combineHealth`. */
  health(thresholds?: PgHealthThresholds): Promise<PgHealthReport & { snapshot: PgSnapshot }>
  /** All of the above (but explain and adviseIndexes) with default options, one after another (never more than one connection). */
  snapshot(): Promise<PgSnapshot>
}

/**
 * Database-side diagnostics for a `pg.Pool` or `pg.Client`: the statements that cost the most
 * (`pg_stat_statements`), blocking chains, long and idle-in-transaction sessions, index health,
 * table statistics, cache hit ratio and connection headroom. Ideas follow pghero's; the queries
 * are written for PostgreSQL 13–17. The role needs `pg_read_all_stats` (or superuser) to see
 * other roles' statements and sessions.
 *
 * @example
 * const diag = pgDiagnostics(pool)
 * for (const s of await diag.topStatements({ limit: 5 })) console.log(s.meanMs.toFixed(1), s.query)
 * const { roots } = await diag.blockingTree()
 * @throws PerfError CLIENT_INVALID when `db` is not a pg Pool or Client
 */
export function pgDiagnostics(db: PgQueryable, options: PgDiagnosticsOptions = {}): PgDiagnostics {
  assertQueryable(db, 'pgDiagnostics')
  const max = positiveInt(options.maxQueryLength ?? 2000, 'maxQueryLength')
  const diagnostics: PgDiagnostics = {
    topStatements: (o) => topStatements(db, o, max),
    blockingTree: () => blockingTree(db, max),
    longRunning: (o) => longRunning(db, o, max),
    idleInTransaction: (o) => idleInTransaction(db, o, max),
    unusedIndexes: (o) => unusedIndexes(db, o),
    duplicateIndexes: () => duplicateIndexes(db),
    missingForeignKeyIndexes: () => missingForeignKeyIndexes(db),
    tableStats: (o) => tableStats(db, o),
    cacheHitRatio: () => cacheHitRatio(db),
    connectionHeadroom: () => connectionHeadroom(db),
    explain: (sql, params, o) => explain(db, sql, params, o),
    adviseIndexes: (sql, o) => adviseIndexes(db, sql, o),
    async health(thresholds) {
      const snapshot = await diagnostics.snapshot()
      return { ...scoreFindings(pgFindings(snapshot, thresholds)), snapshot }
    },
    snapshot: () => snapshotOf(db, diagnostics, SECTIONS),
  }
  return diagnostics
}

/** The sections of a {@link PgSnapshot}, in the order `snapshot()` reads them. */
export type SnapshotSection = Exclude<keyof PgSnapshot, 'at' | 'serverVersion' | 'errors'>

const SECTIONS: readonly SnapshotSection[] = [
  'topStatements',
  'blockingTree',
  'longRunning',
  'idleInTransaction',
  'unusedIndexes',
  'duplicateIndexes',
  'missingForeignKeyIndexes',
  'tableStats',
  'cacheHitRatio',
  'connectionHeadroom',
]

/**
 * A snapshot of the named sections (the others are null), read one after another: a diagnostic
 * must not take a busy pool's connections. A section that fails is null with its reason in `errors`.
 */
export async function snapshotOf(
  db: PgQueryable,
  diagnostics: PgDiagnostics,
  sections: readonly SnapshotSection[],
): Promise<PgSnapshot> {
  const errors: PgSnapshot['errors'] = {}
  const section = async <T>(name: string, run: () => Promise<T>): Promise<T | null> => {
    try {
      return await run()
    } catch (error) {
      const e = error as { code?: string; message?: string }
      errors[name] = { code: e.code, message: e.message ?? String(error) }
      return null
    }
  }
  const snapshot: PgSnapshot = {
    at: new Date(),
    serverVersion: await section('serverVersion', async () => {
      const { rows } = await db.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v")
      return rows[0]?.v ?? null
    }),
    topStatements: null,
    blockingTree: null,
    longRunning: null,
    idleInTransaction: null,
    unusedIndexes: null,
    duplicateIndexes: null,
    missingForeignKeyIndexes: null,
    tableStats: null,
    cacheHitRatio: null,
    connectionHeadroom: null,
    errors,
  }
  const target = snapshot as unknown as Record<SnapshotSection, unknown>
  for (const name of sections) target[name] = await section<unknown>(name, () => diagnostics[name]())
  return snapshot
}
