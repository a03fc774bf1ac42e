import { AdaptiveBatchSize, PerfError } from '@perf/core'
import type pg from 'pg'
import { quoteIdent } from '../identifiers.js'
import { assertQueryable, withConnection, type PgQueryable } from '../queryable.js'
import { closeScope, openScope, type Scope } from '../transaction.js'
import type { BulkProgress, BulkResult } from './copy-insert.js'
import { cachedColumnTypes, forgetColumnTypes, givenTypes, isJsonType, type ColumnTypes } from './column-types.js'
import { paramEncoderFor } from './encode.js'
import { encodeRow, rowSource, type BulkRows } from './rows.js'
import { findFailingSlots } from './failing-rows.js'
import { abortedError, assertPositiveInt, serverFailure } from './shared.js'

/** Options shared by {@link bulkUpdate} and {@link bulkUpsert}. */
export interface UnnestWriteOptions {
  /**
   * All chunks in one transaction: every row or none. Given a pool, @perf/pg opens the
   * transaction; given a client already inside one, it uses a savepoint, so a failure rolls back
   * only this call and leaves your transaction usable. With `false`, each chunk commits on its own.
   * @default true
   */
  atomic?: boolean
  /**
   * Rows per statement: a number, or an `AdaptiveBatchSize` from @perf/core that steers the size
   * toward a target statement time. Each statement carries one array parameter per column, so
   * PostgreSQL's 65,535-parameter limit never applies.
   * @default 5000
   */
  batchSize?: number | AdaptiveBatchSize
  /**
   * Column → PostgreSQL type (`'integer'`, `'timestamp with time zone'`, `'jsonb'`, `'text[]'`).
   * When it names every column the catalog is not read (one round trip less: ORM adapters know
   * their columns' types). Only plain type names are accepted.
   * @default read from the catalog
   */
  types?: Readonly<Record<string, string>>
  /** Text columns holding JSON: encode their values as JSON (json/jsonb columns always are). @default [] */
  json?: readonly string[]
  /** Called after each statement. */
  onProgress?: (progress: BulkProgress) => void
  /** Checked between statements; an aborted call rolls back (when atomic) and rejects with `ABORTED`. */
  signal?: AbortSignal
}

/** What a statement-based bulk write needs from its caller. */
export interface UnnestPlan {
  fn: string
  table: string
  /** Every column a row carries, in the order array rows list them. */
  columns: readonly string[]
  /** Positions in `columns` of the key: rows with equal keys in one chunk keep the last one. */
  keyIndexes: readonly number[]
  /** The statement, given the column types and `v`'s column list of casts. */
  sql(types: ColumnTypes): string
}

/**
 * `unnest($1::integer[], $2::text[], …) AS v("a", "b", …)`: one array per column, typed as the
 * column so the server parses each element once. Array columns travel as `text[]` of array
 * literals (unnest would flatten a two-dimensional array) and are cast where used.
 */
export function unnestSource(columns: readonly string[], types: ColumnTypes): string {
  const arrays = columns.map((c, i) => {
    const type = types.get(c)!
    return `$${i + 1}::${type.endsWith('[]') ? 'text[]' : `${type}[]`}`
  })
  return `unnest(${arrays.join(', ')}) AS v(${columns.map((c) => quoteIdent(c, 'column')).join(', ')})`
}

/** `v."col"`, cast to its type when it travelled as text (array columns). */
export function castOf(column: string, types: ColumnTypes): string {
  const type = types.get(column)!
  const value = `v.${quoteIdent(column, 'column')}`
  return type.endsWith('[]') ? `${value}::${type}` : value
}

/** Chunks, encodes and writes rows with one `unnest` statement per chunk. */
export async function writeWithUnnest(
  db: PgQueryable,
  rows: BulkRows,
  plan: UnnestPlan,
  options: UnnestWriteOptions,
): Promise<BulkResult> {
  assertQueryable(db, plan.fn)
  if (rows === null || typeof rows !== 'object' || !(Symbol.iterator in rows || Symbol.asyncIterator in rows)) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:pg] ${plan.fn}() rows must be an array or an (async) iterable`, {
      context: { argument: 'rows' },
    })
  }
  const atomic = options.atomic ?? true
  const adaptive = options.batchSize instanceof AdaptiveBatchSize ? options.batchSize : undefined
  const fixed = adaptive ? 0 : assertPositiveInt(options.batchSize ?? 5000, 'batchSize')
  const { signal, onProgress } = options
  if (signal?.aborted) throw abortedError(plan.fn, signal)
  const json = new Set(options.json ?? [])
  const { columns, keyIndexes, table } = plan

  const given = givenTypes(options.types, columns)
  return withConnection(db, async (client, owned) => {
    const types = given ?? (await cachedColumnTypes(db, client, table, columns))
    const encoders = columns.map((c) => {
      const type = types.get(c)!
      return paramEncoderFor(type, json.has(c) || isJsonType(type) ? 'json' : 'auto')
    })
    const sql = plan.sql(types)
    // On the caller's client the scope (a savepoint, if it is in a transaction) opens at once, so a
    // failure never aborts the caller's transaction. On our own connection it opens only when a
    // second statement follows: one statement is atomic by itself, and saves two round trips.
    let mode: Scope | undefined = atomic && !owned ? await openScope(client, owned) : undefined
    let sent = 0
    let written = 0
    let batches = 0
    // Column-major: one text array per column, the statement's parameters as they are.
    let arrays: Array<Array<string | null>> = columns.map(() => [])
    let size = 0
    let positions = new Map<string, number>()
    // Input index of the row in each slot (the last one, for a key given twice).
    let slotRows: number[] = []
    let chunkStart = 0
    let refused: { error: unknown; arrays: Array<Array<string | null>>; slotRows: number[]; start: number } | undefined

    const flush = async (): Promise<void> => {
      if (size === 0) return
      if (signal?.aborted) throw abortedError(plan.fn, signal, atomic ? 0 : written)
      const started = performance.now()
      let result: pg.QueryResult
      try {
        result = await client.query(sql, arrays)
      } catch (error) {
        refused = { error, arrays, slotRows, start: chunkStart }
        forgetColumnTypes(db, table)
        throw serverFailure(plan.fn, table, error, chunkStart, written, atomic)
      }
      adaptive?.record({ items: size, durationMs: performance.now() - started })
      written += result.rowCount ?? 0
      batches++
      arrays = columns.map(() => [])
      size = 0
      positions = new Map()
      slotRows = []
      onProgress?.({ rows: sent, committedRows: atomic ? 0 : written, bytes: 0 })
    }

    try {
      const source = rowSource(rows)
      for (;;) {
        const next = source.sync ? source.sync.next() : await source.async!.next()
        if (next.done) break
        const row = next.value
        // A full chunk is sent once the next row shows it is not the last.
        if (size >= (adaptive ? adaptive.size : fixed)) {
          if (atomic && mode === undefined) mode = await openScope(client, owned)
          await flush()
        }
        const encoded = encodeRow(row, sent, columns, encoders, table, atomic ? 0 : written)
        if (size === 0) chunkStart = sent
        sent++
        // The same key twice in one statement is an error for ON CONFLICT DO UPDATE and an
        // arbitrary pick for UPDATE … FROM: keep the last, as row-by-row writes would.
        const key =
          keyIndexes.length === 1
            ? encoded[keyIndexes[0]!]
            : keyIndexes.length === 0
              ? null
              : JSON.stringify(keyIndexes.map((i) => encoded[i]))
        const at = key === null || key === undefined ? undefined : positions.get(key)
        const slot = at ?? size++
        if (at === undefined && key !== null && key !== undefined) positions.set(key, slot)
        for (let i = 0; i < columns.length; i++) arrays[i]![slot] = encoded[i]!
        slotRows[slot] = sent - 1
      }
      await flush()
      if (mode) await closeScope(client, mode, true)
    } catch (error) {
      if (mode) await closeScope(client, mode, false).catch(() => undefined)
      if (refused === undefined) throw error
      const chunk = refused
      // The statement names no row: bisect the refused chunk (rolled back) to find the ones that fail.
      const slots = await findFailingSlots(client, chunk.slotRows.length, (lo, hi) =>
        client.query(
          sql,
          chunk.arrays.map((a) => a.slice(lo, hi)),
        ),
      ).catch(() => [])
      const failedRows = slots.map((s) => chunk.slotRows[s]!).sort((a, b) => a - b)
      throw serverFailure(plan.fn, table, chunk.error, chunk.start, written, atomic, failedRows)
    }
    return { rows: written, batches, bytes: 0 }
  })
}
