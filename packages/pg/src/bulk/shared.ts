import { PerfError } from '@perf/core'
import { BulkWriteError } from '../errors.js'

/** @throws PerfError INVALID_OPTION unless `value` is an integer ≥ 1 */
export function assertPositiveInt(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new PerfError(
      'INVALID_OPTION',
      `[perf:pg] option "${option}" must be an integer >= 1, got ${String(value)}`,
      {
        context: { option, value },
      },
    )
  }
  return value
}

/** The `ABORTED` error for a cancelled bulk write or stream. */
export function abortedError(fn: string, signal: AbortSignal, committedRows = 0): PerfError {
  return new PerfError('ABORTED', `[perf:pg] ${fn}() was aborted (${committedRows} rows committed)`, {
    cause: signal.reason,
    context: { function: fn, committedRows },
  })
}

interface DriverError {
  message?: string
  code?: string
  where?: string
  column?: string
  detail?: string
}

/**
 * A server error during a bulk write as a `BulkWriteError`: the row is found from COPY's
 * `line N` context (1-based within that COPY) or, for statement-based writes, from
 * `failedRows` (found by bisecting the refused chunk).
 */
export function serverFailure(
  fn: string,
  table: string,
  error: unknown,
  batchStart: number,
  committedRows: number,
  atomic: boolean,
  failedRows: readonly number[] = [],
): BulkWriteError {
  const err = (typeof error === 'object' && error !== null ? error : {}) as DriverError
  // The COPY context is the last line of `where` (a json error puts its own "line 1" before it);
  // the greedy `.*` skips a table name that itself holds ", line".
  const copyContext = (err.where ?? '')
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('COPY '))
  const match = copyContext ? /^COPY .*, line (\d+)(?:, column ([^:]*))?/.exec(copyContext) : null
  const rowIndex = match ? batchStart + Number(match[1]) - 1 : failedRows[0]
  const column = match?.[2] ?? err.column
  const at =
    rowIndex === undefined
      ? `in the batch starting at row ${batchStart}`
      : failedRows.length > 1
        ? `at rows ${failedRows.join(', ')}`
        : `at row ${rowIndex}`
  const col = column === undefined ? '' : ` (column ${column.startsWith('"') ? column : `"${column}"`})`
  const kept = atomic ? 'nothing committed (atomic)' : `${committedRows} rows committed before it`
  return new BulkWriteError(
    'BATCH_FAILED',
    `[perf:pg] ${fn}() into ${table} failed ${at}${col}: ${err.message ?? String(error)}; ${kept}`,
    {
      ...(rowIndex === undefined ? {} : { rowIndex }),
      ...(match ? {} : { failedRows }),
      ...(column === undefined ? {} : { column }),
      committedRows: atomic ? 0 : committedRows,
      table,
    },
    { cause: error, context: { sqlState: err.code, batchStart } },
  )
}
