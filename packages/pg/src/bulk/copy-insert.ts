import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PerfError } from '@perf/core'
import { from as copyFrom } from 'pg-copy-streams'
import { BulkWriteError } from '../errors.js'
import { quoteColumns, quoteTable, type TableName } from '../identifiers.js'
import { assertQueryable, untilIdle, withConnection, type PgQueryable } from '../queryable.js'
import { closeScope, openScope, transactionStatus } from '../transaction.js'
import { cachedColumnTypes, forgetColumnTypes, givenTypes, isJsonType } from './column-types.js'
import { copyEncoderFor, EncodeError } from './encode.js'
import { encodeRow, rowSource, type BulkRow, type BulkRows } from './rows.js'
import { abortedError, assertPositiveInt, serverFailure } from './shared.js'

/** Carries an error thrown by the caller's row source through the COPY pipeline. */
class SourceFailure extends Error {
  // An Error on purpose: streams (and pg-copy-streams' CopyFail) need a message to abort with.
  constructor(readonly error: unknown) {
    super(`the row source failed: ${(error as Error)?.message ?? String(error)}`)
  }
}

/** Progress of a bulk write, reported as data is sent. */
export interface BulkProgress {
  /** Rows encoded and sent (or sent in a statement) so far. */
  rows: number
  /** Rows the server has committed so far (grows per batch when `atomic: false`). */
  committedRows: number
  /** Bytes of COPY data sent so far (0 for statement-based writes). */
  bytes: number
}

/** Options of {@link copyInsert}. */
export interface CopyInsertOptions {
  /**
   * One COPY for the whole source: all rows or none. With `false`, every `batchRows` rows are
   * their own COPY, committed as it ends, so a failure keeps the batches before it.
   * @default true
   */
  atomic?: boolean
  /** Rows per COPY when `atomic: false`. @default 10000 */
  batchRows?: number
  /**
   * Text columns holding JSON: their values are JSON-encoded. json and jsonb columns always are
   * (arrays included), found from the catalog.
   * @default []
   */
  json?: readonly string[]
  /**
   * Column → PostgreSQL type (`'integer'`, `'jsonb'`, …). When it names every column the catalog
   * is not read (json/jsonb and timestamptz are then known from it). Only plain type names.
   * @default read from the catalog
   */
  types?: Readonly<Record<string, string>>
  /** Bytes of encoded rows gathered before one write to the socket. @default 65536 */
  chunkBytes?: number
  /** Called after each chunk is handed to the connection and after each committed batch. */
  onProgress?: (progress: BulkProgress) => void
  /** Cancels the COPY: the server discards the unfinished batch; the call rejects with `ABORTED`. */
  signal?: AbortSignal
}

/** What a bulk write did. */
export interface BulkResult {
  /** Rows written (committed). */
  rows: number
  /** Statements (COPYs) run. */
  batches: number
  /** Bytes of COPY data sent (0 for statement-based writes). */
  bytes: number
}

/**
 * Inserts rows with `COPY … FROM STDIN` (text format), the fastest way into PostgreSQL. Rows come
 * from an array or any (async) iterable and are encoded and sent as the socket drains, so memory
 * stays bounded by about 16 × `chunkBytes` whatever the source size. Values are encoded as
 * node-postgres encodes parameters: strings, numbers, bigint, boolean, Date (timestamptz gets the
 * same instant), Buffer/Uint8Array (bytea), arrays (array columns), objects (JSON; every value of
 * a json/jsonb column is JSON, arrays included: the column types are read from the catalog
 * first), `null`/`undefined` (NULL).
 *
 * Given a `pg.Pool` it checks out one connection; given a client it uses that one (inside the
 * caller's transaction, if any).
 *
 * @example
 * await copyInsert(pool, 'events', ['id', 'at', 'payload'], readEvents(), { onProgress: (p) => log(p.rows) })
 * @throws BulkWriteError INVALID_ARGUMENT naming the row and column for a value that cannot be encoded
 * @throws BulkWriteError BATCH_FAILED naming the row the server refused (from its `COPY …, line N`), with `committedRows`
 * @throws PerfError ABORTED when `signal` fires
 */
export async function copyInsert(
  db: PgQueryable,
  table: TableName,
  columns: readonly string[],
  rows: BulkRows,
  options: CopyInsertOptions = {},
): Promise<BulkResult> {
  assertQueryable(db, 'copyInsert')
  const target = quoteTable(table)
  const quoted = quoteColumns(columns)
  if (rows === null || typeof rows !== 'object' || !(Symbol.iterator in rows || Symbol.asyncIterator in rows)) {
    throw new PerfError('INVALID_ARGUMENT', '[perf:pg] copyInsert() rows must be an array or an (async) iterable', {
      context: { argument: 'rows' },
    })
  }
  const atomic = options.atomic ?? true
  const batchRows = atomic ? Infinity : assertPositiveInt(options.batchRows ?? 10_000, 'batchRows')
  const chunkBytes = assertPositiveInt(options.chunkBytes ?? 65_536, 'chunkBytes')
  const sql = `COPY ${target} (${quoted.join(', ')}) FROM STDIN`
  const { signal, onProgress } = options
  if (signal?.aborted) throw abortedError('copyInsert', signal)

  const source = rowSource(rows)
  let sent = 0
  let committed = 0
  let bytes = 0
  let batches = 0
  let exhausted = false
  let encoders: Array<(value: unknown) => string> = []

  /** One row as a COPY text line; a value that cannot be encoded names its row and column. */
  const encodeLine = (row: BulkRow, rowIndex: number): string => {
    if (Array.isArray(row) ? row.length !== columns.length : typeof row !== 'object' || row === null) {
      encodeRow(row, rowIndex, columns, [], target, committed) // throws the shape error
    }
    let line = ''
    for (let i = 0; i < columns.length; i++) {
      const value = Array.isArray(row) ? row[i] : (row as Record<string, unknown>)[columns[i]!]
      try {
        line += i === 0 ? encoders[i]!(value) : `\t${encoders[i]!(value)}`
      } catch (error) {
        if (!(error instanceof EncodeError)) throw error
        throw new BulkWriteError(
          'INVALID_ARGUMENT',
          `[perf:pg] row ${rowIndex} for ${target}, column "${columns[i]}": ${error.message}`,
          {
            rowIndex,
            column: columns[i]!,
            committedRows: committed,
            table: target,
          },
          { cause: error },
        )
      }
    }
    return `${line}\n`
  }

  async function* encode(first: BulkRow): AsyncGenerator<Buffer> {
    let buffer = ''
    let inBatch = 0
    let row: BulkRow = first
    for (;;) {
      buffer += encodeLine(row, sent)
      sent++
      inBatch++
      if (buffer.length >= chunkBytes) {
        // Encoded once here: the stream would convert the string anyway, and this gives the byte count.
        const chunk = Buffer.from(buffer)
        bytes += chunk.length
        yield chunk
        buffer = ''
        onProgress?.({ rows: sent, committedRows: committed, bytes })
      }
      if (inBatch >= batchRows) break
      // `cond ? sync : await async`: no microtask per row for arrays and sync generators
      let next: IteratorResult<BulkRow>
      try {
        next = source.sync ? source.sync.next() : await source.async!.next()
      } catch (error) {
        throw new SourceFailure(error)
      }
      if (next.done) {
        exhausted = true
        break
      }
      row = next.value
    }
    if (buffer.length > 0) {
      const chunk = Buffer.from(buffer)
      bytes += chunk.length
      yield chunk
      onProgress?.({ rows: sent, committedRows: committed, bytes })
    }
  }

  const given = givenTypes(options.types, columns)
  return withConnection(db, async (client, owned) => {
    // Inside the caller's transaction each COPY gets a savepoint: a refused one then rolls back
    // only itself, and the caller's transaction stays usable.
    const guarded = !owned && transactionStatus(client) === 'transaction'
    // Also refuses an unknown table or column before any row is read from the source.
    const types = given ?? (await cachedColumnTypes(db, client, target, columns))
    const json = new Set(options.json ?? [])
    encoders = columns.map((c) => {
      const type = types.get(c)!
      return copyEncoderFor(type, json.has(c) || isJsonType(type) ? 'json' : 'auto')
    })
    while (!exhausted) {
      const first = source.sync ? source.sync.next() : await source.async!.next()
      if (first.done) break
      const batchStart = sent
      const scope = guarded ? await openScope(client, false) : undefined
      const copy = client.query(copyFrom(sql))
      try {
        await pipeline(Readable.from(encode(first.value)), copy, signal ? { signal } : {})
      } catch (error) {
        await untilIdle(client)
        if (scope) await closeScope(client, scope, false).catch(() => undefined)
        if (error instanceof BulkWriteError) throw error
        // The caller's own source failed: its error, unchanged (the COPY was abandoned).
        if (error instanceof SourceFailure) throw error.error
        if (signal?.aborted) throw abortedError('copyInsert', signal, committed)
        forgetColumnTypes(db, target)
        throw serverFailure('copyInsert', target, error, batchStart, committed, atomic)
      }
      if (scope) await closeScope(client, scope, true)
      batches++
      committed += copy.rowCount
      onProgress?.({ rows: sent, committedRows: committed, bytes })
    }
    return { rows: committed, batches, bytes }
  })
}
