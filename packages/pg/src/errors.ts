import { PerfError, type PerfErrorOptions } from '@perf/core'

/**
 * Thrown when a PostgreSQL extension a diagnostic needs is not usable; the message and
 * `context.fix` say what to run or configure. Code `EXTENSION_MISSING`.
 *
 * @example
 * try { await diag.topStatements() } catch (err) { if (err instanceof PgExtensionError) console.log(err.fix) }
 */
export class PgExtensionError extends PerfError {
  /** The extension, e.g. `pg_stat_statements`. */
  readonly extension: string
  /** `not-available` (not shipped with the server), `not-installed` (no CREATE EXTENSION) or `not-preloaded`. */
  readonly reason: 'not-available' | 'not-installed' | 'not-preloaded'
  /** What to do about it, in one sentence. */
  readonly fix: string
  constructor(extension: string, reason: PgExtensionError['reason'], fix: string, options: PerfErrorOptions = {}) {
    super('EXTENSION_MISSING', `[perf:pg] ${extension} is ${reason.replace('-', ' ')}: ${fix}`, {
      ...options,
      context: { ...options.context, extension, reason, fix },
    })
    this.name = 'PgExtensionError'
    this.extension = extension
    this.reason = reason
    this.fix = fix
  }
}

/**
 * Thrown by bulk writes (`copyInsert`, `bulkUpdate`, `bulkUpsert`) when a row cannot be written.
 * `INVALID_ARGUMENT` when the row was refused before anything was sent (a value that cannot be
 * encoded, a missing column); `BATCH_FAILED` when the server refused it (the driver's error is
 * the `cause`). `rowIndex` is the 0-based position of the failing row in the input, when known,
 * `failedRows` every failing row found (for `bulkUpdate`/`bulkUpsert`, whose statements do not
 * name a row, the refused chunk is bisected in a rolled-back transaction to find up to 10), and
 * `committedRows` how many rows before it are committed (0 with `atomic: true`).
 */
export class BulkWriteError extends PerfError {
  /** 0-based index of the failing row in the caller's input, when the server or the encoder named it. */
  readonly rowIndex: number | undefined
  /** The failing column, when known. */
  readonly column: string | undefined
  /** 0-based indexes of the failing rows found, in input order; empty when none could be named. */
  readonly failedRows: readonly number[]
  /** Rows committed before the failure (always 0 for an atomic write). */
  readonly committedRows: number
  constructor(
    code: 'INVALID_ARGUMENT' | 'BATCH_FAILED',
    message: string,
    facts: { rowIndex?: number; failedRows?: readonly number[]; column?: string; committedRows: number; table: string },
    options: PerfErrorOptions = {},
  ) {
    super(code, message, { ...options, context: { ...options.context, ...facts } })
    this.name = 'BulkWriteError'
    this.rowIndex = facts.rowIndex
    this.failedRows = facts.failedRows ?? (facts.rowIndex === undefined ? [] : [facts.rowIndex])
    this.column = facts.column
    this.committedRows = facts.committedRows
  }
}
