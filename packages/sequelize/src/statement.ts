import {
  ALL_TABLES_TAG,
  sqlResultKey,
  tableTags,
  PerfError,
  isPerfError,
  type Cache,
  type CacheOutcome,
  type CommittedInvalidations,
  type LoaderContext,
  type Monitor,
  type SqlDialect,
  type SqlTouches,
} from '@perf/core'
import type { DriverShape } from './drivers.js'
import { widenWrites } from './references.js'
import { TouchesMemo } from './touches.js'
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
  /** Set inside a fast-path load: the statement is not cached itself, its tables become the entry's tags. */
  collect?: { tags: Set<string>; wrote: boolean; sql?: string; tables?: string[] }
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

/** Runs the statement: on the caller's connection, or on `on` (a connection leased for a background refresh). */
export type Exec = (on?: object) => Promise<unknown>

/** A connection of the instance's pool, leased for one statement. */
export interface Lease {
  connection: object
  release(): void
}

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
  private readonly touches: TouchesMemo

  constructor(
    private readonly dialect: SqlDialect,
    private readonly shape: DriverShape,
    private readonly cache: Cache | undefined,
    private readonly monitor: Monitor | undefined,
    private readonly salt: string,
    private readonly onError: ((error: unknown, context: InvalidationErrorContext) => void) | undefined,
    private readonly models: () => Record<string, unknown>,
    private readonly lease: () => Promise<Lease>,
  ) {
    this.touches = new TouchesMemo(dialect)
  }

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
    exec: Exec,
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

    const touches = this.touches.get(sql)
    const inTransaction = tx.active || ctx.inTransaction
    if (ctx.cache !== undefined && touches.kind !== 'read') {
      throw new PerfError(
        'INVALID_CACHE_STRATEGY',
        `[perf:sequelize] cache was given for a statement that writes (${ctx.type ?? 'RAW'}${ctx.model === undefined ? '' : ` on ${ctx.model}`}); only reads are cached`,
        { context: { model: ctx.model, type: ctx.type } },
      )
    }
    if (ctx.collect !== undefined) {
      if (touches.kind === 'read' && !inTransaction) {
        for (const tag of tableTags(touches.reads)) ctx.collect.tags.add(tag)
        if (ctx.collect.sql === undefined) {
          ctx.collect.sql = sql
          ctx.collect.tables = [...new Set(touches.reads.map((t) => t.name))]
        }
        return this.timed(ctx, sql, touches, false, 'miss', exec)
      }
      ctx.collect.wrote = true
    }
    if (ctx.cache !== undefined && this.cache !== undefined) {
      if (!inTransaction) return this.cached(ctx, this.cache, ctx.cache, sql, params, touches, exec)
      this.counters.bypasses++
      return this.timed(ctx, sql, touches, true, 'bypass', exec)
    }
    const result = await this.timed(ctx, sql, touches, inTransaction, undefined, exec)
    if (touches.kind !== 'read' && this.cache !== undefined) {
      const tags =
        touches.kind === 'unknown' ? [ALL_TABLES_TAG] : tableTags(widenWrites(this.models(), touches.writes, sql))
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
    exec: Exec,
  ): Promise<unknown> {
    const started = performance.now()
    const tags = [...tableTags(touches.reads), ALL_TABLES_TAG, ...(settings.tags ?? [])]
    let loaded = false
    const loader = async (load: LoaderContext) => {
      loaded = true
      // With a stale value there, this load may outlive the call (swr refreshes in the background)
      // and the caller's connection goes back to the pool when the call returns: a refresh on it
      // could land inside someone else's transaction. Refreshes lease a connection of their own.
      if (load.stale === undefined) return this.shape.toCached(await this.timed(ctx, sql, touches, false, 'miss', exec))
      const lease = await this.lease()
      try {
        return this.shape.toCached(await this.timed(ctx, sql, touches, false, 'miss', () => exec(lease.connection)))
      } finally {
        lease.release()
      }
    }
    let got: { value: unknown; meta: { status: CacheOutcome | 'miss' } }
    try {
      got = await cache.getOrSet(sqlResultKey(sql, params ? [...params] : [], this.salt), loader, {
        ttl: settings.ttl,
        swr: settings.swr,
        tags,
        meta: true,
      })
    } catch (error) {
      // A closed cache is the one failure core does not serve past: the statement runs uncached.
      if (loaded || !isPerfError(error, 'CACHE_CLOSED')) throw error
      this.counters.bypasses++
      return this.timed(ctx, sql, touches, false, 'bypass', exec)
    }
    const { value, meta } = got
    if (loaded) this.counters.misses++
    else {
      // A hit, a stale or grace value, or a load another caller ran: no statement for this call.
      this.counters.hits++
      const status: CacheOutcome = meta.status === 'miss' ? 'hit' : meta.status
      this.record(ctx, sql, touches, performance.now() - started, false, status, undefined, undefined)
    }
    return this.shape.fromCached(value)
  }

  /** Counts and records a call the fast path answered from the cache (no statement ran). */
  fastHit(model: string, durationMs: number, status: CacheOutcome, sql?: string, tables?: string[]): void {
    this.counters.hits++
    if (this.monitor === undefined) return
    this.monitor.record({
      source: SOURCE,
      ...(sql === undefined ? {} : { sql }),
      durationMs,
      model,
      operation: 'SELECT',
      ...(tables === undefined ? {} : { tables }),
      cache: status,
      inTransaction: false,
    })
  }

  /** Runs the driver call, timing it and recording one QueryEvent. */
  private async timed(
    ctx: StatementContext,
    sql: string,
    touches: SqlTouches,
    inTransaction: boolean,
    cache: CacheOutcome | undefined,
    exec: Exec,
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

  /**
   * Keeps the tags of a write made beside Sequelize's Query (a bulk write on `connection`) for the
   * COMMIT of the transaction open on it. False when this runner follows no transaction there
   * (one begun before instrument()): the caller invalidates some other way.
   */
  defer(connection: object, tags: readonly string[]): boolean {
    const tx = this.transactions.get(connection)
    if (tx === undefined || !tx.active) return false
    if (tags.length > 0) tx.add(tags)
    return true
  }

  /** Hands tags to the cache; never fails the write that caused them (`sql` names it for `onError`). */
  async invalidate(tags: readonly string[], sql: string): Promise<void> {
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
