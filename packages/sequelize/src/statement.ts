import {
  ALL_TABLES_TAG,
  sqlResultKey,
  sqlTables,
  tableTags,
  PerfError,
  type Cache,
  type CacheOutcome,
  type CommittedInvalidations,
  type Monitor,
  type SqlDialect,
  type SqlTouches,
} from '@perf/core'
import type { DriverShape } from './drivers.js'
import { widenWrites } from './references.js'
import type { CacheSettings, InvalidationErrorContext } from './options.js'
import { ConnectionTransaction, transactionControl } from './transaction-state.js'

/** What the dialect's Query knew about the statement it is running (set around `Query.run`). */
export interface StatementContext {
  /** The model the statement is for, when Sequelize gave one. */
  model: string | undefined
  /** Sequelize's query type (`SELECT`, `INSERT`, `BULKUPDATE`, `RAW`, ...). */
  type: string | undefined
  /** How to cache it, when it is a read asked to be cached. */
  cache: CacheSettings | undefined
  /** Whether the caller passed `cache` itself (a write with it is an error). */
  explicit: boolean
  /** Sequelize resolved a transaction for it (passed, or from CLS). */
  inTransaction: boolean
}

/** The counters `stats()` reports. */
export interface StatementCounters {
  statements: number
  hits: number
  misses: number
  bypasses: number
  invalidations: number
  invalidationFailures: number
}

const SOURCE = 'sequelize'

/**
 * Everything that happens to one statement on an instrumented connection: transaction
 * bookkeeping, a cached read (hit or load), invalidation after a write, a QueryEvent.
 */
export class StatementRunner {
  readonly counters: StatementCounters = {
    statements: 0,
    hits: 0,
    misses: 0,
    bypasses: 0,
    invalidations: 0,
    invalidationFailures: 0,
  }
  private readonly transactions = new WeakMap<object, ConnectionTransaction>()

  constructor(
    private readonly dialect: SqlDialect,
    private readonly shape: DriverShape,
    private readonly cache: Cache | undefined,
    private readonly monitor: Monitor | undefined,
    private readonly salt: string,
    private readonly onError: ((error: unknown, context: InvalidationErrorContext) => void) | undefined,
    private readonly models: () => Record<string, unknown>,
  ) {}

  /** The transaction state of a connection. */
  transactionOf(connection: object): ConnectionTransaction {
    let state = this.transactions.get(connection)
    if (state === undefined) this.transactions.set(connection, (state = new ConnectionTransaction()))
    return state
  }

  /** Runs one statement through `exec` (the driver call) with everything around it. */
  async run(
    ctx: StatementContext,
    connection: object,
    sql: string,
    params: readonly unknown[] | undefined,
    exec: () => Promise<unknown>,
  ): Promise<unknown> {
    const control = transactionControl(sql)
    const tx = this.transactionOf(connection)
    if (control !== undefined) {
      let committed: CommittedInvalidations | undefined
      try {
        const result = await this.timed(ctx, sql, EMPTY, tx.active || ctx.inTransaction, undefined, exec)
        committed = tx.apply(control)
        return result
      } catch (error) {
        // A failed COMMIT leaves the outcome unknown: invalidate as if it committed.
        if (control.kind === 'commit') committed = tx.apply(control)
        else if (control.kind === 'rollback' || control.kind === 'begin') tx.reset()
        throw error
      } finally {
        if (committed !== undefined) await this.invalidate(committedTags(committed), sql)
      }
    }

    const touches = sqlTables(sql, { dialect: this.dialect })
    const inTransaction = tx.active || ctx.inTransaction
    if (ctx.cache !== undefined && touches.kind !== 'read') {
      throw new PerfError(
        'INVALID_CACHE_STRATEGY',
        `[perf:sequelize] cache was given for a statement that writes (${ctx.type ?? 'RAW'}${ctx.model === undefined ? '' : ` on ${ctx.model}`}); only reads are cached`,
        { context: { model: ctx.model, type: ctx.type } },
      )
    }
    if (ctx.cache !== undefined && this.cache !== undefined) {
      if (!inTransaction) return this.cached(ctx, this.cache, ctx.cache, sql, params, touches, exec)
      this.counters.bypasses++
      return this.timed(ctx, sql, touches, true, 'bypass', exec)
    }
    const result = await this.timed(ctx, sql, touches, inTransaction, undefined, exec)
    if (touches.kind !== 'read' && this.cache !== undefined) {
      const tags = touches.kind === 'unknown' ? [ALL_TABLES_TAG] : tableTags(widenWrites(this.models(), touches.writes))
      if (tags.length > 0) {
        if (tx.active) {
          if (touches.kind === 'unknown') tx.addEverything()
          else tx.add(tags)
        } else await this.invalidate(tags, sql)
      }
    }
    return result
  }

  private async cached(
    ctx: StatementContext,
    cache: Cache,
    settings: CacheSettings,
    sql: string,
    params: readonly unknown[] | undefined,
    touches: SqlTouches,
    exec: () => Promise<unknown>,
  ): Promise<unknown> {
    const started = performance.now()
    const tags = [...tableTags(touches.reads), ALL_TABLES_TAG, ...(settings.tags ?? [])]
    let loaded = false
    const loader = async () => {
      loaded = true
      const raw = await this.timed(ctx, sql, touches, false, 'miss', exec)
      return this.shape.toCached(raw)
    }
    const { value, meta } = await cache.getOrSet(sqlResultKey(sql, params ? [...params] : [], this.salt), loader, {
      ttl: settings.ttl,
      swr: settings.swr,
      tags,
      meta: true,
    })
    if (loaded) this.counters.misses++
    else {
      // A hit, a stale or grace value, or a load another caller ran: no statement for this call.
      this.counters.hits++
      const status: CacheOutcome = meta.status === 'miss' ? 'hit' : meta.status
      this.record(ctx, sql, touches, performance.now() - started, false, status, undefined, undefined)
    }
    return this.shape.fromCached(value)
  }

  /** Runs the driver call, timing it and recording one QueryEvent. */
  private async timed(
    ctx: StatementContext,
    sql: string,
    touches: SqlTouches,
    inTransaction: boolean,
    cache: CacheOutcome | undefined,
    exec: () => Promise<unknown>,
  ): Promise<unknown> {
    this.counters.statements++
    const started = performance.now()
    try {
      const raw = await exec()
      this.record(ctx, sql, touches, performance.now() - started, inTransaction, cache, this.shape.rows(raw), undefined)
      return raw
    } catch (error) {
      this.record(ctx, sql, touches, performance.now() - started, inTransaction, cache, undefined, error)
      throw error
    }
  }

  private record(
    ctx: StatementContext,
    sql: string,
    touches: SqlTouches,
    durationMs: number,
    inTransaction: boolean,
    cache: CacheOutcome | undefined,
    rows: number | undefined,
    error: unknown,
  ): void {
    if (this.monitor === undefined) return
    const tables = touches === EMPTY ? undefined : [...touches.reads, ...touches.writes.map((w) => w.table)]
    this.monitor.record({
      source: SOURCE,
      sql,
      durationMs,
      ...(ctx.model === undefined ? {} : { model: ctx.model }),
      ...(ctx.type === undefined ? {} : { operation: ctx.type }),
      ...(tables === undefined ? {} : { tables: [...new Set(tables.map((t) => t.name))] }),
      ...(cache === undefined ? {} : { cache }),
      ...(rows === undefined ? {} : { rows }),
      ...(error === undefined ? {} : { error }),
      inTransaction,
    })
  }

  /** Hands tags to the cache; never fails the write that caused them. */
  private async invalidate(tags: readonly string[], sql: string): Promise<void> {
    if (this.cache === undefined || tags.length === 0) return
    this.counters.invalidations++
    try {
      await this.cache.invalidateTags([...tags])
    } catch (error) {
      this.counters.invalidationFailures++
      this.onError?.(error, { tags, sql })
    }
  }
}

const EMPTY: SqlTouches = { kind: 'read', reads: [], writes: [] }

function committedTags(done: CommittedInvalidations): string[] {
  return done.everything ? [ALL_TABLES_TAG] : done.tags
}
