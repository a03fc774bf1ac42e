import { BulkWriteError } from '../errors.js'
import { EncodeError } from './encode.js'

/**
 * A row: values in `columns` order, or an object keyed by column name (missing keys are NULL).
 * `object` rather than `Record<string, unknown>` so rows typed by an interface are accepted.
 */
export type BulkRow = readonly unknown[] | object

/** Rows in memory or streamed: any (async) iterable. */
export type BulkRows = Iterable<BulkRow> | AsyncIterable<BulkRow>

/** The value of `columns[i]` in `row`. */
export function field(row: BulkRow, columns: readonly string[], i: number): unknown {
  return Array.isArray(row) ? row[i] : (row as Record<string, unknown>)[columns[i]!]
}

/**
 * Checks one row's shape and runs `encode` on each field, turning an encoder failure into a
 * `BulkWriteError` that names the row and column.
 */
export function encodeRow<T>(
  row: BulkRow,
  rowIndex: number,
  columns: readonly string[],
  encoders: ReadonlyArray<(value: unknown) => T>,
  table: string,
  committedRows: number,
): T[] {
  if (typeof row !== 'object' || row === null) {
    throw new BulkWriteError(
      'INVALID_ARGUMENT',
      `[perf:pg] row ${rowIndex} for ${table} is ${row === null ? 'null' : typeof row}, not an array or object`,
      {
        rowIndex,
        committedRows,
        table,
      },
    )
  }
  if (Array.isArray(row) && row.length !== columns.length) {
    throw new BulkWriteError(
      'INVALID_ARGUMENT',
      `[perf:pg] row ${rowIndex} for ${table} has ${row.length} values for ${columns.length} columns`,
      { rowIndex, committedRows, table },
    )
  }
  const out: T[] = new Array(columns.length)
  for (let i = 0; i < columns.length; i++) {
    try {
      out[i] = encoders[i]!(field(row, columns, i))
    } catch (error) {
      if (!(error instanceof EncodeError)) throw error
      throw new BulkWriteError(
        'INVALID_ARGUMENT',
        `[perf:pg] row ${rowIndex} for ${table}, column "${columns[i]}": ${error.message}`,
        { rowIndex, column: columns[i]!, committedRows, table },
        { cause: error },
      )
    }
  }
  return out
}

/** Pulls rows one at a time; `sync` sources (arrays, generators) are read without an await per row. */
export interface RowSource {
  readonly sync: Iterator<BulkRow> | undefined
  readonly async: AsyncIterator<BulkRow> | undefined
}

/** A {@link RowSource} over `rows`: an await per row only when the source really is asynchronous. */
export function rowSource(rows: BulkRows): RowSource {
  if (Symbol.asyncIterator in rows)
    return { sync: undefined, async: (rows as AsyncIterable<BulkRow>)[Symbol.asyncIterator]() }
  return { sync: (rows as Iterable<BulkRow>)[Symbol.iterator](), async: undefined }
}
