// errors
export { BulkWriteError, PgExtensionError } from './errors.js'

// identifiers and connections
export { quoteIdent, quoteTable } from './identifiers.js'
export type { TableName } from './identifiers.js'
export type { PgQueryable } from './queryable.js'

// diagnostics
export { pgDiagnostics } from './diagnostics/pg-diagnostics.js'
export type { PgDiagnostics, PgDiagnosticsOptions, PgSnapshot } from './diagnostics/pg-diagnostics.js'
export type { TopStatement, TopStatementsOptions } from './diagnostics/statements.js'
export { statementColumns } from './diagnostics/statement-columns.js'
export type { StatementColumns } from './diagnostics/statement-columns.js'
export type { BlockingSession, BlockingTree, LockInfo } from './diagnostics/locks.js'
export type {
  ActiveSession,
  ConnectionGroup,
  ConnectionHeadroom,
  IdleInTransactionOptions,
  LongRunningOptions,
} from './diagnostics/activity.js'
export type {
  DuplicateIndex,
  MissingForeignKeyIndex,
  UnusedIndex,
  UnusedIndexesOptions,
} from './diagnostics/indexes.js'
export type { CacheHitRatio, TableStats, TableStatsOptions } from './diagnostics/tables.js'
export type { ExplainOptions, ExplainResult, PlanNode } from './explain/explain.js'
export type { AdviseIndexesOptions, IndexAdvice, IndexAdviceResult } from './explain/advise-indexes.js'

// health
export { combineHealth, pgFindings, scoreFindings } from './health/findings.js'
export type { PgFinding, PgHealthReport, PgHealthThresholds, Severity } from './health/findings.js'
export { pgHealthSource } from './health/health-source.js'
export type { PgHealthSourceOptions } from './health/health-source.js'

// bulk writes and streaming
export { copyInsert } from './bulk/copy-insert.js'
export type { BulkProgress, BulkResult, CopyInsertOptions } from './bulk/copy-insert.js'
export { bulkUpdate } from './bulk/bulk-update.js'
export type { BulkUpdateOptions } from './bulk/bulk-update.js'
export { bulkUpsert } from './bulk/bulk-upsert.js'
export type { BulkUpsertOptions } from './bulk/bulk-upsert.js'
export type { UnnestWriteOptions } from './bulk/unnest-writer.js'
export type { BulkRow, BulkRows } from './bulk/rows.js'
export { PG_MAX_PARAMETERS, maxRowsPerStatement, parameterChunks } from './bulk/parameter-chunks.js'
export { mappedBulk } from './bulk/mapped-bulk.js'
export type {
  BulkMapping,
  MappedBulk,
  MappedBulkResult,
  MappedBulkUpdateOptions,
  MappedBulkUpsertOptions,
  MappedCopyInsertOptions,
  MappedField,
  MappedFieldsOption,
  MappedRows,
} from './bulk/mapped-bulk.js'
export { streamQuery } from './bulk/stream-query.js'
export type { StreamQueryOptions } from './bulk/stream-query.js'

// pools
export { pgPoolProbe } from './pool/pg-pool-probe.js'
export type { PgPoolLike } from './pool/pg-pool-probe.js'
export { instrumentPgPool, pgPoolInstrumentation } from './pool/instrument-pg-pool.js'
export type {
  InstrumentPgPoolOptions,
  PgPoolInstrumentation,
  PgStatement,
  StatementSink,
} from './pool/instrument-pg-pool.js'

// locks
export { pgAdvisoryLocker } from './lock/pg-advisory-locker.js'
export type { PgAdvisoryLockerOptions } from './lock/pg-advisory-locker.js'
