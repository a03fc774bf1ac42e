import { instrumentationOf, RUNNER_TRANSACTION } from '../query-runner.js'
import type { BulkConnection } from './connection.js'

/** The bulk writes, as named in QueryEvents (`operation`). */
export type BulkOperation = 'copyInsert' | 'bulkUpdate' | 'bulkUpsert'

/** What one bulk write did, for the monitor and the cache. */
export interface BulkWriteReport {
  operation: BulkOperation
  /** The entity's name. */
  model: string
  /** Its table (unqualified). */
  table: string
  /** Which foreign-key actions the write can fire: none for an insert, ON UPDATE ones otherwise. */
  fires: 'none' | 'update'
  connection: BulkConnection
  durationMs: number
  startedAt: number
  /** Rows written; undefined when it failed. */
  rows: number | undefined
  /** The error it failed with, if it did. */
  error: unknown
}

/**
 * Reports a bulk write to what instrument() installed on the DataSource, if anything: one
 * QueryEvent on its monitor, and the write's table tags (widened along foreign keys as for a
 * statement) to its cache — at once, or into the runner's transaction buffer when the write ran
 * inside a transaction of an instrumented runner (applied at COMMIT, dropped at ROLLBACK).
 * A failed write invalidates too: with `atomic: false`, earlier batches are committed.
 */
export async function reportBulkWrite(dataSource: object, report: BulkWriteReport): Promise<void> {
  const instrumentation = instrumentationOf(dataSource)
  if (instrumentation === undefined) return
  const { graph, monitor, invalidator } = instrumentation
  const failed = report.error !== undefined
  monitor?.record({
    source: 'typeorm',
    operation: report.operation,
    model: report.model,
    durationMs: report.durationMs,
    startedAt: report.startedAt,
    rows: report.rows,
    error: failed ? report.error : undefined,
    tables: [report.table],
    inTransaction: report.connection.inTransaction,
  })
  if (invalidator === undefined || (!failed && report.rows === 0)) return
  const tags = graph.rowWriteTags(report.table, report.fires)
  const buffer = report.connection.runner?.[RUNNER_TRANSACTION]
  if (buffer !== undefined && buffer.add(tags, false)) return
  await invalidator.invalidate(tags, `${report.operation} ${report.table}`)
}
