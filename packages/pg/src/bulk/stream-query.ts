import { PerfError } from '@perf/core'
import type pg from 'pg'
import type CursorClass from 'pg-cursor'
import { assertQueryable, isPool, type PgQueryable } from '../queryable.js'
import { abortedError, assertPositiveInt } from './shared.js'

// pg-cursor requires pg's internals when loaded: loaded on first use, so that importing @perf/pg
// (as the ORM adapters do) never needs pg in an app that does not use it (TypeORM on MySQL).
let cursorClass: Promise<typeof CursorClass> | undefined
const loadCursor = (): Promise<typeof CursorClass> =>
  (cursorClass ??= import('pg-cursor').then(
    (m) => (m as { default?: typeof CursorClass }).default ?? (m as unknown as typeof CursorClass),
  ))

/** Options of {@link streamQuery}. */
export interface StreamQueryOptions {
  /** Rows fetched per round trip; memory holds about one batch. @default 1000 */
  batchSize?: number
  /** Stops the stream: the cursor is closed and iteration rejects with `ABORTED`. */
  signal?: AbortSignal
}

/**
 * Runs a query through a server-side cursor and yields its rows one by one, fetching
 * `batchSize` at a time only as you consume them: memory stays at about one batch for any
 * result size, and a slow consumer slows the fetching (backpressure). Given a pool, one
 * connection is held until the iteration ends (`break` included); given a client, that client
 * must not run anything else meanwhile.
 *
 * @example
 * for await (const row of streamQuery<{ id: number }>(pool, 'SELECT id FROM events WHERE day = $1', [day])) process(row)
 * @throws PerfError INVALID_ARGUMENT / INVALID_OPTION for a malformed call (at once), ABORTED when `signal` fires
 */
export function streamQuery<T = Record<string, unknown>>(
  db: PgQueryable,
  sql: string,
  params: readonly unknown[] = [],
  options: StreamQueryOptions = {},
): AsyncIterable<T> {
  assertQueryable(db, 'streamQuery')
  if (typeof sql !== 'string' || sql.trim() === '') {
    throw new PerfError('INVALID_ARGUMENT', '[perf:pg] streamQuery() sql must be a non-empty string', {
      context: { argument: 'sql' },
    })
  }
  if (!Array.isArray(params)) {
    throw new PerfError('INVALID_ARGUMENT', '[perf:pg] streamQuery() params must be an array', {
      context: { argument: 'params' },
    })
  }
  const batchSize = assertPositiveInt(options.batchSize ?? 1000, 'batchSize')
  const { signal } = options
  return {
    async *[Symbol.asyncIterator]() {
      if (signal?.aborted) throw abortedError('streamQuery', signal)
      const Cursor = await loadCursor()
      const client: pg.ClientBase = isPool(db) ? await db.connect() : db
      const cursor = client.query(new Cursor<T>(sql, [...params]))
      let failed: Error | undefined
      try {
        for (;;) {
          const rows = await cursor.read(batchSize)
          if (signal?.aborted) throw abortedError('streamQuery', signal)
          if (rows.length === 0) return
          for (const row of rows) yield row
          if (rows.length < batchSize) return
        }
      } catch (error) {
        failed = error instanceof Error ? error : new Error(String(error))
        throw error
      } finally {
        await cursor.close().catch(() => undefined)
        // A connection whose cursor failed mid-protocol is destroyed rather than reused.
        if (isPool(db)) (client as pg.PoolClient).release(failed && !(failed instanceof PerfError) ? failed : undefined)
      }
    },
  }
}
