import {
  ALL_TABLES_TAG,
  TransactionInvalidations,
  sqlResultKey,
  sqlTables,
  tableTags,
  type Cache,
  type CacheStatus,
  type Duration,
  type Monitor,
  type SqlTouches,
} from '@perf/core'
import type pg from 'pg'

/** Options of {@link cachedPg}. */
export interface CachedPgOptions {
  cache: Cache
  monitor?: Monitor
  /** Goes into every key: change it when the schema changes. @default 'pg' */
  salt?: string
  /** Called when an invalidation could not be handed to the cache (the write itself succeeded). */
  onError?: (error: unknown) => void
}

/** Per query: `{ cache: { ttl } }` caches a read. */
export interface QueryOptions {
  cache?: { ttl: Duration }
}

/** Queries inside {@link CachedPg.transaction}: never cached, invalidations held until COMMIT. */
export interface PgTransaction {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>
  /** A nested transaction: SAVEPOINT, rolled back to it when `fn` throws (the error rethrown). */
  savepoint<T>(fn: (tx: PgTransaction) => Promise<T>): Promise<T>
}

export interface CachedPg {
  query<R extends object = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    options?: QueryOptions,
  ): Promise<R[]>
  transaction<T>(fn: (tx: PgTransaction) => Promise<T>): Promise<T>
}

/** Raw `pg` with result caching, invalidation from every write and a QueryEvent per statement. */
export function cachedPg(pool: pg.Pool, { cache, monitor, salt = 'pg', onError }: CachedPgOptions): CachedPg {
  const record = (
    sql: string,
    started: number,
    touches: SqlTouches,
    extra: { cache?: CacheStatus; error?: unknown; rows?: number; inTransaction?: boolean },
  ) =>
    monitor?.record({
      source: 'pg-kit',
      sql,
      durationMs: performance.now() - started,
      tables: [...touches.reads, ...touches.writes.map((w) => w.table)].map((t) => t.name),
      ...extra,
    })

  /** Runs one statement and reports it. */
  async function run(
    client: pg.Pool | pg.PoolClient,
    sql: string,
    params: unknown[],
    touches: SqlTouches,
    extra: { cache?: CacheStatus; inTransaction?: boolean },
  ) {
    const started = performance.now()
    try {
      const result = await client.query(sql, params)
      record(sql, started, touches, { ...extra, rows: result.rowCount ?? undefined })
      return result.rows
    } catch (error) {
      record(sql, started, touches, { ...extra, error })
      throw error
    }
  }

  /** What a write invalidates: its tables, or every table when the parser cannot tell. */
  const tagsOf = (touches: SqlTouches): string[] =>
    touches.kind === 'unknown' ? [ALL_TABLES_TAG] : tableTags(touches.writes.map((w) => w.table))

  const invalidate = (tags: string[]) =>
    tags.length === 0 ? undefined : cache.invalidateTags(tags).catch((error: unknown) => onError?.(error))

  return {
    async query(sql, params = [], options) {
      const touches = sqlTables(sql)
      if (options?.cache !== undefined && touches.kind === 'read') {
        const started = performance.now()
        const tags = [...tableTags(touches.reads), ALL_TABLES_TAG]
        const loader = () => run(pool, sql, params, touches, { cache: 'miss' })
        const { value, meta } = await cache.getOrSet(sqlResultKey(sql, params, salt), loader, {
          ttl: options.cache.ttl,
          tags,
          meta: true,
        })
        // A miss was recorded by the statement itself; a hit ran none, so record it here.
        if (meta.status !== 'miss') record(sql, started, touches, { cache: meta.status })
        return value as never
      }
      const rows = await run(pool, sql, params, touches, {})
      await invalidate(tagsOf(touches))
      return rows as never
    },

    async transaction(fn) {
      const client = await pool.connect()
      const pending = new TransactionInvalidations()
      let savepoints = 0
      const scope = (): PgTransaction => ({
        async query(sql, params = []) {
          const touches = sqlTables(sql)
          const rows = await run(client, sql, params, touches, { inTransaction: true })
          if (touches.kind === 'unknown') pending.addEverything()
          else pending.add(tagsOf(touches))
          return rows as never
        },
        async savepoint(inner) {
          const name = `perf_sp_${++savepoints}`
          await client.query(`SAVEPOINT ${name}`)
          pending.begin()
          try {
            const result = await inner(scope())
            await client.query(`RELEASE SAVEPOINT ${name}`)
            pending.commit()
            return result
          } catch (error) {
            await client.query(`ROLLBACK TO SAVEPOINT ${name}`)
            pending.rollback()
            throw error
          }
        },
      })
      try {
        await client.query('BEGIN')
        pending.begin()
        const result = await fn(scope())
        await client.query('COMMIT')
        const done = pending.commit()
        // After COMMIT, never before: until then other connections still read the old rows.
        if (done !== undefined) await invalidate(done.everything ? [ALL_TABLES_TAG] : done.tags)
        return result
      } catch (error) {
        pending.reset()
        await client.query('ROLLBACK').catch(() => undefined)
        throw error
      } finally {
        client.release()
      }
    },
  }
}
