import { AsyncLocalStorage } from 'node:async_hooks'
import { PerfError, stableKey, type SqlDialect } from '@perf/core'
import type { Model, ModelStatic, Sequelize } from 'sequelize'
import { patchConnection, type DriverKind, type Route } from './connection.js'
import { mariadbShape, mysql2Shape, pgShape, type DriverShape } from './drivers.js'
import {
  checkSettings,
  resolveOptions,
  type CacheSettings,
  type InstrumentOptions,
  type ResolvedOptions,
} from './options.js'
import { sequelizePoolProbe } from './pool-probe.js'
import { sequelizeAdvisor } from './advisor.js'
import { statementTouches } from './touches.js'
import { StatementRunner, type StatementContext, type StatementCounters } from './statement.js'
import { installFastPath, type Collector } from './fast-path.js'
import { modelBulk, type BulkContext, type SequelizeBulk } from './bulk.js'

/** What {@link instrument} returns. */
export interface SequelizePerf {
  /** The instrumented Sequelize instance. */
  readonly sequelize: Sequelize
  /** Counters since instrument(). */
  stats(): SequelizePerfStats
  /**
   * Bulk writes of `model` in its attribute names (PostgreSQL only): `copyInsert` (COPY),
   * `bulkUpdate` and `bulkUpsert` (one `unnest` statement per chunk), on a connection of the
   * instance's pool or the given transaction's. Each write invalidates the model's table (and
   * tables its foreign keys cascade to) as Sequelize's own writes do: at once, or at COMMIT.
   * Skips Sequelize's hooks, validation and attribute setters.
   *
   * @throws PerfError INVALID_ARGUMENT for a dialect other than postgres or a non-model;
   *   UNKNOWN_MODEL for a model of another instance
   * @example
   * await perf.bulk(User).copyInsert(rows) // rows keyed by attribute name, or User instances
   * await perf.bulk(User).bulkUpdate([{ id: 1, score: 10 }, { id: 2, score: 7 }])
   */
  bulk<M extends Model>(model: ModelStatic<M>): SequelizeBulk<M>
  /**
   * Restores the dialect's Query class and the connection manager, and makes connections
   * wrapped so far pass statements straight through. Idempotent.
   */
  uninstrument(): void
}

/** Counters of {@link SequelizePerf.stats}. */
export interface SequelizePerfStats extends StatementCounters {}

interface QueryLike {
  options: Record<string, unknown> & { model?: { name?: string }; type?: string; transaction?: unknown }
  run(sql: string, params?: unknown): Promise<unknown>
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type QueryClass = new (...args: any[]) => QueryLike

interface SequelizeLike {
  options: { dialect?: string; dialectOptions?: { options?: unknown } }
  config: { host?: string; port?: number | string; database?: string }
  models: Record<string, unknown>
  dialect: { Query: QueryClass }
  connectionManager: {
    getConnection(this: unknown, ...args: unknown[]): Promise<unknown>
    releaseConnection(connection: unknown): unknown
  }
  getQueryInterface(): { rawSelect(this: unknown, ...args: unknown[]): Promise<unknown> }
  [INSTRUMENTED]?: true
}

const INSTRUMENTED = Symbol.for('@perf/sequelize.instrumented')

const DIALECTS: Record<string, { sql: SqlDialect; driver: DriverKind; shape: DriverShape }> = {
  postgres: { sql: 'postgres', driver: 'pg', shape: pgShape },
  mariadb: { sql: 'mysql', driver: 'mariadb', shape: mariadbShape },
  mysql: { sql: 'mysql', driver: 'mysql2', shape: mysql2Shape },
}

/** Query types that write: `cache` on them is an error. */
const WRITE_TYPES = new Set(['INSERT', 'UPDATE', 'BULKUPDATE', 'BULKDELETE', 'DELETE', 'UPSERT'])
/** Query types a call may ask to cache: model reads and raw statements (checked to be reads). */
const CACHEABLE_TYPES = new Set(['SELECT', 'RAW'])

/**
 * Instruments a Sequelize 6 instance: every statement it runs (finders, aggregates, instance and
 * static writes, association setters, raw `sequelize.query`, transactions) is timed around the
 * driver call and recorded on `monitor`; writes invalidate the table tags they touch in `cache`
 * (at once outside a transaction, after COMMIT inside one, never after ROLLBACK); reads that ask
 * for it (`cache: { ttl }` on the call, or `defaults`/`models`) are served from `cache` and come
 * back as real model instances. Finder hits (`findAll`, `findOne`, `findByPk`, `findAndCountAll`,
 * `count`) are answered above the finder, from cached plain data, without SQL or a pool connection;
 * other cached reads are served below it, from the driver's rows.
 *
 * Installs through the instance's own seams (its dialect's Query class and its connection
 * manager) and own static finders on the models it defines at this point, removed by
 * `uninstrument()`. Supported dialects: `postgres` (pg), `mariadb` and `mysql`
 * (mysql2).
 *
 * @throws PerfError INVALID_ARGUMENT for something that is not a Sequelize instance, an
 * unsupported dialect or an instance already instrumented; INVALID_OPTION, UNKNOWN_MODEL,
 * INVALID_TTL for bad options
 * @example
 * const perf = instrument(sequelize, { cache, monitor, models: { Product: { ttl: '1m' } } })
 * const user = await User.findByPk(1, { cache: { ttl: '30s' } }) // a User instance, hit or miss
 * await user.update({ name: 'ann' }) // drops every entry tagged table:users
 */
export function instrument(sequelize: Sequelize, options?: InstrumentOptions): SequelizePerf {
  const sq = sequelize as unknown as SequelizeLike
  if (
    typeof sq !== 'object' ||
    sq === null ||
    typeof sq.dialect?.Query !== 'function' ||
    typeof sq.connectionManager?.getConnection !== 'function'
  )
    throw new PerfError('INVALID_ARGUMENT', '[perf:sequelize] instrument(sequelize): expected a Sequelize 6 instance')
  const dialectName = sq.options?.dialect ?? ''
  const dialect = Object.prototype.hasOwnProperty.call(DIALECTS, dialectName) ? DIALECTS[dialectName] : undefined
  if (dialect === undefined) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:sequelize] instrument(): dialect "${dialectName}" is not supported (postgres, mariadb, mysql)`,
      { context: { dialect: dialectName } },
    )
  }
  if (sq[INSTRUMENTED] === true) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      '[perf:sequelize] instrument(): this Sequelize instance is already instrumented; call uninstrument() on the first one first',
    )
  }
  const o = resolveOptions(options, new Set(Object.keys(sq.models)))
  const manager = sq.connectionManager
  const hadOwnGet = Object.prototype.hasOwnProperty.call(manager, 'getConnection')
  const originalGet = manager.getConnection
  const runner = new StatementRunner(
    dialect.sql,
    dialect.shape,
    o.cache,
    o.monitor,
    saltOf(sq, o.salt),
    o.onError,
    () => sq.models,
    async () => {
      const connection = (await originalGet.call(manager, { type: 'SELECT' })) as object
      return { connection, release: () => void manager.releaseConnection(connection) }
    },
  )
  const route: Route & { active: boolean } = { active: true, storage: new AsyncLocalStorage(), runner }

  const sqlDialect = dialect.sql
  const dialectObject = sq.dialect
  const hadOwnQuery = Object.prototype.hasOwnProperty.call(dialectObject, 'Query')
  const BaseQuery = dialectObject.Query
  // Aggregates (count, max, min, sum) reach the Query without a model: remember it around rawSelect.
  const aggregateModel = new AsyncLocalStorage<string>()
  // Statements of a fast-path load: not cached on their own, their tables collected for the entry's tags.
  const collector = new AsyncLocalStorage<Collector>()
  const contextOf = (query: QueryLike) => {
    const ctx = statementContext(query.options, o, aggregateModel.getStore())
    const collect = collector.getStore()
    return collect === undefined ? ctx : { ...ctx, collect }
  }
  class PerfQuery extends BaseQuery {
    override run(sql: string, params?: unknown): Promise<unknown> {
      if (!route.active) return super.run(sql, params)
      let ctx: StatementContext
      try {
        ctx = contextOf(this)
        if (ctx.explicit && ctx.cache !== undefined) refuseWrite(sql, sqlDialect, ctx)
      } catch (error) {
        return Promise.reject(error)
      }
      return route.storage.run(ctx, () => super.run(sql, params))
    }
  }
  dialectObject.Query = PerfQuery

  const getConnection = async function (this: unknown, ...args: unknown[]) {
    const connection = await originalGet.apply(this, args)
    if (route.active) patchConnection(connection, dialect.driver, route)
    return connection
  }
  manager.getConnection = getConnection

  const queryInterface = sq.getQueryInterface()
  const hadOwnRawSelect = Object.prototype.hasOwnProperty.call(queryInterface, 'rawSelect')
  const originalRawSelect = queryInterface.rawSelect
  const rawSelect = function (this: unknown, ...args: unknown[]) {
    const name = (args[3] as { name?: unknown } | undefined)?.name
    if (!route.active || typeof name !== 'string') return originalRawSelect.apply(this, args)
    return aggregateModel.run(name, () => originalRawSelect.apply(this, args))
  }
  queryInterface.rawSelect = rawSelect
  const cache = o.cache
  const removeFastPath =
    cache === undefined
      ? undefined
      : installFastPath(Object.values(sq.models) as Parameters<typeof installFastPath>[0], {
          cache,
          runner,
          salt: saltOf(sq, o.salt),
          collector,
          isActive: () => route.active,
          settingsFor: (model, requested) => cacheSettings(model, 'SELECT', requested, o),
        })
  const removeProbe =
    o.pool && o.monitor !== undefined ? o.monitor.addPoolProbe(sequelizePoolProbe(sequelize)) : undefined
  // N+1 findings of this instance name the loader or include that fixes them.
  const unadvise = o.monitor?.advise?.('sequelize', sequelizeAdvisor(sequelize))
  sq[INSTRUMENTED] = true

  const bulkContext: BulkContext = {
    sequelize: sq as unknown as BulkContext['sequelize'],
    runner,
    monitor: o.monitor,
    isActive: () => route.active,
  }

  return {
    sequelize,
    stats: () => ({ ...runner.counters }),
    bulk: (model) => modelBulk(bulkContext, model),
    uninstrument() {
      if (!route.active) return
      route.active = false
      // Someone wrapped them after us: leave their wrappers; ours now pass through.
      if (dialectObject.Query === PerfQuery) {
        if (hadOwnQuery) dialectObject.Query = BaseQuery
        else delete (dialectObject as Partial<SequelizeLike['dialect']>).Query
      }
      if (manager.getConnection === getConnection) {
        if (hadOwnGet) manager.getConnection = originalGet
        else delete (manager as Partial<SequelizeLike['connectionManager']>).getConnection
      }
      if (queryInterface.rawSelect === rawSelect) {
        if (hadOwnRawSelect) queryInterface.rawSelect = originalRawSelect
        else delete (queryInterface as { rawSelect?: unknown }).rawSelect
      }
      removeFastPath?.()
      removeProbe?.()
      unadvise?.()
      delete sq[INSTRUMENTED]
    },
  }
}

/**
 * A call that asked for caching must be a read; checked before anything runs, so Sequelize does
 * not wrap the error in a DatabaseError.
 * @throws PerfError INVALID_CACHE_STRATEGY
 */
function refuseWrite(sql: string, dialect: SqlDialect, ctx: StatementContext): void {
  if (statementTouches(sql, dialect).kind === 'read') return
  throw new PerfError(
    'INVALID_CACHE_STRATEGY',
    `[perf:sequelize] cache was given for a statement that writes (${ctx.type ?? 'RAW'}${ctx.model === undefined ? '' : ` on ${ctx.model}`}); only reads are cached`,
    { context: { model: ctx.model, type: ctx.type } },
  )
}

/** What one Query is: its model, type, transaction, and how (whether) to cache it. */
function statementContext(
  options: QueryLike['options'],
  o: ResolvedOptions,
  aggregateOf: string | undefined,
): StatementContext {
  const type = typeof options.type === 'string' ? options.type : undefined
  const model = typeof options.model?.name === 'string' ? options.model.name : aggregateOf
  const requested = options.cache
  const explicit = requested !== undefined && requested !== null && requested !== false
  const cache = cacheSettings(model, type, requested, o)
  return {
    model,
    type,
    cache,
    explicit,
    inTransaction: options.transaction !== undefined && options.transaction !== null,
  }
}

/**
 * How a read of `model` with `cache: requested` is cached, or undefined when it is not.
 * @throws PerfError INVALID_CACHE_STRATEGY for `cache` on a write or a malformed `cache`
 */
function cacheSettings(
  model: string | undefined,
  type: string | undefined,
  requested: unknown,
  o: ResolvedOptions,
): CacheSettings | undefined {
  const explicit = requested !== undefined && requested !== null && requested !== false
  let cache: CacheSettings | undefined
  if (explicit) {
    if (type !== undefined && !CACHEABLE_TYPES.has(type)) {
      throw new PerfError(
        'INVALID_CACHE_STRATEGY',
        `[perf:sequelize] cache was given for a ${WRITE_TYPES.has(type) ? 'write' : 'statement'} (${type}${model === undefined ? '' : ` on ${model}`}); only reads (finders, aggregates, raw SELECT) are cached`,
        { context: { model, type } },
      )
    }
    const base = { ...o.defaults, ...(model === undefined ? undefined : o.models.get(model) || undefined) }
    cache = requested === true ? base : { ...base, ...checkSettings(requested, 'cache', 'INVALID_CACHE_STRATEGY') }
  } else if (requested === undefined && model !== undefined && type === 'SELECT') {
    const entry = o.models.get(model)
    if (entry !== false && (entry !== undefined || o.defaults !== undefined)) cache = { ...o.defaults, ...entry }
  }
  return o.cache === undefined ? undefined : cache
}

/** The part of every key that tells this database apart from another one sharing the cache. */
function saltOf(sq: SequelizeLike, salt: string): string {
  const { host, port, database } = sq.config ?? {}
  const extra = sq.options?.dialectOptions?.options
  const where = stableKey([host ?? '', String(port ?? ''), database ?? '', typeof extra === 'string' ? extra : ''])
  return `sequelize:${sq.options.dialect ?? ''}:${where}${salt === '' ? '' : `:${salt}`}`
}
