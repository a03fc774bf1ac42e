import { PerfError } from '@perf/core'
import { quoteColumns, quoteIdent, quoteTable, type TableName } from '../identifiers.js'
import type { PgQueryable } from '../queryable.js'
import type { BulkResult } from './copy-insert.js'
import type { BulkRows } from './rows.js'
import { castOf, unnestSource, writeWithUnnest, type UnnestWriteOptions } from './unnest-writer.js'

/** Options of {@link bulkUpdate}. */
export type BulkUpdateOptions = UnnestWriteOptions

/**
 * Updates many rows, each with its own values, in one statement per chunk:
 * `UPDATE t SET c = v.c::type … FROM unnest($1::text[], …) AS v(…) WHERE t.key = v.key`.
 * Rows are objects keyed by column name, or arrays listing the key column(s) first, then
 * `columns`. A key given twice keeps its last row. `rows` in the result counts rows updated
 * (keys that matched nothing are not an error).
 *
 * @example
 * await bulkUpdate(pool, 'products', 'id', ['price', 'stock'], [{ id: 1, price: '9.90', stock: 3 }, …])
 * @throws BulkWriteError INVALID_ARGUMENT naming the row and column of a value that cannot be encoded
 * @throws BulkWriteError BATCH_FAILED when the server refuses a chunk (its first row in `context.batchStart`)
 * @throws PerfError INVALID_ARGUMENT for an unknown table or column, or a key column also in `columns`
 */
export function bulkUpdate(
  db: PgQueryable,
  table: TableName,
  key: string | readonly string[],
  columns: readonly string[],
  rows: BulkRows,
  options: BulkUpdateOptions = {},
): Promise<BulkResult> {
  const target = quoteTable(table)
  const keys = typeof key === 'string' ? [key] : [...key]
  quoteColumns(keys, 'key')
  quoteColumns(columns)
  const clash = columns.find((c) => keys.includes(c))
  if (clash !== undefined) {
    return Promise.reject(
      new PerfError(
        'INVALID_ARGUMENT',
        `[perf:pg] bulkUpdate() column "${clash}" is part of the key; list it only in key`,
        {
          context: { argument: 'columns', column: clash },
        },
      ),
    )
  }
  const all = [...keys, ...columns]
  return writeWithUnnest(
    db,
    rows,
    {
      fn: 'bulkUpdate',
      table: target,
      columns: all,
      keyIndexes: keys.map((_, i) => i),
      sql: (types) =>
        `UPDATE ${target} AS t SET ${columns.map((c) => `${quoteIdent(c)} = ${castOf(c, types)}`).join(', ')} ` +
        `FROM ${unnestSource(all, types)} ` +
        `WHERE ${keys.map((k) => `t.${quoteIdent(k)} = ${castOf(k, types)}`).join(' AND ')}`,
    },
    options,
  )
}
