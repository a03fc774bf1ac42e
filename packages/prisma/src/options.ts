import { PerfError, type Cache, type Monitor } from '@perf/core'
import { validateStrategy, type ModelCacheOptions } from './read/cache-strategy.js'
import type { ModelGraph } from './model/model-graph.js'
import { READ_OPERATIONS, isReadOperation } from './model/operations.js'
import type { PgPoolInstrumentation, PgPoolLike } from '@perf/pg'

/** Options of {@link perf}. Every field is validated when the extension is created. */
export interface PerfOptions {
  /**
   * The cache reads are stored in; any `Cache` works (Decimal fields are stored as exact strings
   * and rebuilt as the client's Decimal class, whatever the codec). Nothing is cached unless a
   * call passes `cacheStrategy` or its model has defaults.
   * @default createCache() (in-memory, closed by `db.$perf.close()`)
   */
  cache?: Cache
  /**
   * Receives one QueryEvent per operation (model, operation, duration, cache status, SQL when
   * `pool` is given); use `monitor.scope()` per request for N+1 detection.
   * @default createMonitor() (closed by `db.$perf.close()`)
   */
  monitor?: Monitor
  /**
   * The `pg.Pool` behind `@prisma/adapter-pg` (or its `instrumentPgPool()` result): each
   * operation's event then carries its SQL fingerprint, and the pool's probe joins the monitor's
   * health. @default undefined (no SQL in events, no pool metrics)
   */
  pool?: PgPoolLike | PgPoolInstrumentation
  /**
   * Per-model caching defaults, keyed by model name (`User` or `user`): reads of these models are
   * cached without a per-call `cacheStrategy`; a per-call strategy overrides them field by field,
   * and `cacheStrategy: false` opts one call out. `false` turns a model's defaults off.
   * @throws PerfError UNKNOWN_MODEL for a name the schema does not have
   * @default {}
   */
  models?: Record<string, ModelCacheOptions | false>
  /**
   * Tables raw SQL may write that are not (only) a model's table, mapped to the models whose
   * cached reads they affect (`[]` for none, e.g. an audit log). A raw write to a table that is
   * neither a model nor listed here invalidates everything this client cached.
   * @default {}
   */
  rawTables?: Record<string, readonly string[]>
  /**
   * Tag every cached read with the shared `table:<name>` tags of the tables it reads (`@@map`
   * honoured, see core's `tableTag`), so writes through any adapter on the same cache (TypeORM,
   * raw `pg` through the SQL kit, another Prisma client) drop it. Writes through this client
   * always invalidate the table tags of what they write, whatever this option says. Set `false`
   * only when nothing but Prisma writes the tables this client caches: reads are then tagged by
   * row where `where` pins a key field, so a write to one row keeps reads of other rows cached.
   * @default true
   */
  tableTags?: boolean
  /** Called when caching fails open (a value the cache cannot store, a failing tier); must not throw. @default report through the monitor only */
  onError?: (error: unknown) => void
}

/** One model's defaults after validation. */
export interface ResolvedModelOptions extends Omit<ModelCacheOptions, 'operations'> {
  operations: ReadonlySet<string>
}

/** Options after validation against the schema. */
export interface ResolvedPerfOptions {
  models: Map<string, ResolvedModelOptions>
  rawTables: Map<string, readonly string[]>
  tableTags: boolean
}

function invalid(option: string, rule: string): PerfError {
  return new PerfError('INVALID_OPTION', `[perf:prisma] option "${option}" must be ${rule}`, { context: { option } })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Checks the options that do not need the schema (at `perf()` time).
 * @throws PerfError INVALID_OPTION naming the option
 */
export function checkOptions(options: PerfOptions): void {
  if (!isRecord(options as unknown)) throw invalid('options', 'an object')
  const { cache, monitor, pool, models, rawTables, onError, tableTags } = options
  if (cache !== undefined && (typeof cache?.getOrSet !== 'function' || typeof cache.invalidateTags !== 'function')) {
    throw invalid('cache', 'a Cache from createCache()')
  }
  if (monitor !== undefined && (typeof monitor?.record !== 'function' || typeof monitor.scope !== 'function')) {
    throw invalid('monitor', 'a Monitor from createMonitor()')
  }
  if (
    pool !== undefined &&
    typeof (pool as { collect?: unknown })?.collect !== 'function' &&
    typeof (pool as { query?: unknown })?.query !== 'function'
  ) {
    throw invalid('pool', 'a pg.Pool or the result of instrumentPgPool()')
  }
  if (models !== undefined && !isRecord(models)) throw invalid('models', 'an object keyed by model name')
  if (rawTables !== undefined && !isRecord(rawTables))
    throw invalid('rawTables', 'an object mapping table names to model names')
  if (onError !== undefined && typeof onError !== 'function') throw invalid('onError', 'a function')
  if (tableTags !== undefined && typeof tableTags !== 'boolean') throw invalid('tableTags', 'a boolean')
}

/**
 * Resolves model names against the schema and validates per-model strategies.
 * @throws PerfError UNKNOWN_MODEL, INVALID_CACHE_STRATEGY, INVALID_TTL, INVALID_OPTION
 */
export function resolveOptions(options: PerfOptions, graph: ModelGraph): ResolvedPerfOptions {
  const models = new Map<string, ResolvedModelOptions>()
  for (const [name, value] of Object.entries(options.models ?? {})) {
    const model = graph.resolve(name, `models.${name}`)
    if (value === false) continue
    const strategy = validateStrategy(value, `models.${name}`, ['operations']) as ModelCacheOptions
    const operations = strategy.operations ?? READ_OPERATIONS
    if (!Array.isArray(operations) || operations.some((op) => !isReadOperation(op))) {
      throw invalid(`models.${name}.operations`, `an array of read operations (${READ_OPERATIONS.join(', ')})`)
    }
    models.set(model, { ...strategy, operations: new Set<string>(operations) })
  }
  const rawTables = new Map<string, readonly string[]>()
  for (const [table, list] of Object.entries(options.rawTables ?? {})) {
    if (!Array.isArray(list)) throw invalid(`rawTables.${table}`, 'an array of model names')
    rawTables.set(
      table.toLowerCase(),
      list.map((m: string) => graph.resolve(m, `rawTables.${table}`)),
    )
  }
  return { models, rawTables, tableTags: options.tableTags !== false }
}
