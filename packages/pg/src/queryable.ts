import { PerfError } from '@perf/core'
import type pg from 'pg'

/** What @perf/pg accepts: a `pg.Pool`, a connected `pg.Client`, or a client checked out of a pool. */
export type PgQueryable = pg.Pool | pg.Client | pg.PoolClient

/** True for a `pg.Pool` (it hands out clients), false for a single client. */
export function isPool(db: PgQueryable): db is pg.Pool {
  return typeof (db as pg.Pool).connect === 'function' && typeof (db as pg.Pool).totalCount === 'number'
}

/** @throws PerfError CLIENT_INVALID when `db` is not a pg Pool or Client */
export function assertQueryable(db: unknown, fn: string): asserts db is PgQueryable {
  if (typeof db !== 'object' || db === null || typeof (db as pg.Client).query !== 'function') {
    throw new PerfError(
      'CLIENT_INVALID',
      `[perf:pg] ${fn}() needs a pg.Pool or pg.Client, got ${db === null ? 'null' : typeof db}`,
      {
        context: { function: fn },
      },
    )
  }
}

/** Runs `fn` on one connection: a client checked out of the pool and released after, or the caller's own client as it is. */
export async function withConnection<T>(
  db: PgQueryable,
  fn: (client: pg.ClientBase, owned: boolean) => Promise<T>,
): Promise<T> {
  if (!isPool(db)) return fn(db, false)
  const client = await db.connect()
  try {
    return await fn(client, true)
  } finally {
    client.release()
  }
}

/**
 * Resolves once the connection has finished its current statement (node-postgres emits `drain`
 * after ReadyForQuery). A failed COPY rejects at the server's ErrorResponse, before its
 * ReadyForQuery: releasing the client then would hand the pool a busy connection.
 */
export function untilIdle(client: pg.ClientBase, timeoutMs = 30_000): Promise<void> {
  const state = client as unknown as { readyForQuery?: boolean; _queryable?: boolean }
  if (state.readyForQuery === true || state._queryable === false) return Promise.resolve()
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      client.off('drain', done)
      client.off('end', done)
      client.off('error', done)
      resolve()
    }
    const timer = setTimeout(done, timeoutMs)
    timer.unref()
    client.on('drain', done)
    client.on('end', done)
    client.on('error', done)
  })
}
