import { PerfError } from '@perf/core'
import { quoteColumns, quoteIdent, quoteTable, type TableName } from '../identifiers.js'
import type { PgQueryable } from '../queryable.js'
import type { BulkResult } from './copy-insert.js'
import type { BulkRows } from './rows.js'
import { castOf, unnestSource, writeWithUnnest, type UnnestWriteOptions } from './unnest-writer.js'

/** Options of {@link bulkUpsert}. */
export interface BulkUpsertOptions extends UnnestWriteOptions {
  /** The conflict target: columns of a unique index or constraint (required). */
  conflict: readonly string[]
  /**
   * Columns to overwrite from the new row on conflict; `[]` means `DO NOTHING`.
   * @default every column not in `conflict`
   */
  update?: readonly string[]
}

/**
 * Inserts rows, updating the ones whose `conflict` key exists, one statement per chunk:
 * `INSERT INTO t (…) SELECT v.c::type, … FROM unnest($1::text[], …) AS v(…) ON CONFLICT (…) DO UPDATE SET c = EXCLUDED.c`.
 * Rows are objects keyed by column name or arrays in `columns` order. A key given twice keeps its
 * last row (ON CONFLICT would otherwise refuse the statement). `rows` in the result counts rows
 * inserted or updated.
 *
 * @example
 * await bulkUpsert(pool, 'prices', ['sku', 'price'], rows, { conflict: ['sku'] })
 * @throws BulkWriteError INVALID_ARGUMENT naming the row and column of a value that cannot be encoded
 * @throws BulkWriteError BATCH_FAILED when the server refuses a chunk (no unique index on `conflict`, a constraint)
 * @throws PerfError INVALID_ARGUMENT for an unknown table or column, or `conflict`/`update` naming columns not in `columns`
 */
export function bulkUpsert(
  db: PgQueryable,
  table: TableName,
  columns: readonly string[],
  rows: BulkRows,
  options: BulkUpsertOptions,
): Promise<BulkResult> {
  const target = quoteTable(table)
  const quoted = quoteColumns(columns)
  const conflict = options?.conflict
  quoteColumns(conflict ?? [], 'conflict')
  const update = options.update ?? columns.filter((c) => !conflict.includes(c))
  for (const c of [...conflict, ...update]) {
    if (!columns.includes(c)) {
      return Promise.reject(
        new PerfError('INVALID_ARGUMENT', `[perf:pg] bulkUpsert() column "${c}" of conflict/update is not in columns`, {
          context: { argument: 'options', column: c },
        }),
      )
    }
  }
  const action =
    update.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${update.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}`
  return writeWithUnnest(
    db,
    rows,
    {
      fn: 'bulkUpsert',
      table: target,
      columns,
      keyIndexes: conflict.map((c) => columns.indexOf(c)),
      sql: (types) =>
        `INSERT INTO ${target} AS t (${quoted.join(', ')}) ` +
        `SELECT ${columns.map((c) => castOf(c, types)).join(', ')} FROM ${unnestSource(columns, types)} ` +
        `ON CONFLICT (${conflict.map((c) => quoteIdent(c)).join(', ')}) ${action}`,
    },
    options,
  )
}
