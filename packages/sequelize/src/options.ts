import type { Cache, Duration, Monitor } from '@perf/core'
import { PerfError, toMs } from '@perf/core'

/**
 * How one read is cached: the `cache` option of `findAll`, `findOne`, `findByPk`,
 * `findAndCountAll`, `count`, `max`, `min`, `sum` and of a raw `sequelize.query` read.
 * `true` uses the model's or the global defaults; `false` turns a default off for this call.
 */
export type CacheOption = boolean | CacheSettings

/** Entry options of a cached read. Durations are milliseconds or strings (`'30s'`). */
export interface CacheSettings {
  /** How long the result is fresh. @default the model's, the global, then the cache's `defaultTtl` */
  ttl?: Duration
  /** After `ttl`, serve the stale result at once and refresh it in the background for this long. @default 0 */
  swr?: Duration
  /** Tags added to the table tags the statement read (`table:<name>`), for `cache.invalidateTags()`. @default [] */
  tags?: readonly string[]
}

/** Why an invalidation failed, as given to `onError`. */
export interface InvalidationErrorContext {
  /** The tags that could not be invalidated. */
  tags: readonly string[]
  /** The statement whose write it was (the COMMIT for a transaction's writes). */
  sql: string
}

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /**
   * The cache reads are served from and writes invalidate.
   * @default undefined: no caching, no invalidation (monitoring only)
   */
  cache?: Cache
  /**
   * Receives one QueryEvent per statement, and one per cache hit; its N+1 findings name the
   * loader or `include` that fixes them (`sequelizeAdvisor`, registered here).
   * @default undefined: no monitoring
   */
  monitor?: Monitor
  /**
   * Caches every model read (finders and aggregates) without a `cache` option at the call site,
   * as the older caching packages did. `cache: false` on a call opts out. Raw `sequelize.query`
   * reads and Sequelize's catalog queries are never cached by default.
   * @default undefined: only calls that pass `cache` are cached
   */
  defaults?: CacheSettings
  /**
   * Per-model settings keyed by model name (`sequelize.models`): `true` or settings caches every
   * read of that model by default, `false` never caches it by default.
   * @default {}
   */
  models?: Record<string, CacheSettings | boolean>
  /**
   * Registers the instance's connection pool with `monitor` (`sequelizePoolProbe`), so it joins
   * `monitor.health()` and the Prometheus output; removed by `uninstrument()`.
   * @default true when `monitor` is given
   */
  pool?: boolean
  /**
   * Goes into every cache key: change it when a schema change alters what a statement returns.
   * @default ''
   */
  salt?: string
  /**
   * Told about an invalidation that failed (the write itself succeeds; the cache keeps
   * retrying durable invalidations). Counted in `stats().invalidationFailures` either way.
   * @default undefined: counted only
   */
  onError?: (error: unknown, context: InvalidationErrorContext) => void
}

/** {@link InstrumentOptions} after validation. */
export interface ResolvedOptions {
  cache: Cache | undefined
  monitor: Monitor | undefined
  defaults: CacheSettings | undefined
  models: ReadonlyMap<string, CacheSettings | false>
  salt: string
  pool: boolean
  onError: InstrumentOptions['onError']
}

const KNOWN = new Set(['cache', 'monitor', 'defaults', 'models', 'salt', 'pool', 'onError'])
const SETTINGS = new Set(['ttl', 'swr', 'tags'])

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(option: string, rule: string, value: unknown): PerfError {
  return new PerfError('INVALID_OPTION', `[perf:sequelize] instrument(): ${option} must be ${rule}`, {
    context: { option, value },
  })
}

/**
 * Checks one `{ ttl, swr, tags }` object; `where` names it in messages.
 * @throws PerfError INVALID_TTL for a negative or unparsable ttl/swr, `code` for a malformed object
 */
export function checkSettings(
  value: unknown,
  where: string,
  code: 'INVALID_OPTION' | 'INVALID_CACHE_STRATEGY',
): CacheSettings {
  if (!isObject(value))
    throw new PerfError(code, `[perf:sequelize] ${where} must be true, false or { ttl, swr, tags }`, {
      context: { option: where, value },
    })
  for (const key of Object.keys(value))
    if (!SETTINGS.has(key))
      throw new PerfError(code, `[perf:sequelize] ${where}.${key} is not an option (ttl, swr, tags)`, {
        context: { option: `${where}.${key}` },
      })
  if (value.ttl !== undefined) toMs(value.ttl as Duration, `[perf:sequelize] ${where}.ttl`)
  if (value.swr !== undefined) toMs(value.swr as Duration, `[perf:sequelize] ${where}.swr`)
  const tags = value.tags
  if (tags !== undefined && !(Array.isArray(tags) && tags.every((t) => typeof t === 'string' && t.length > 0)))
    throw new PerfError(code, `[perf:sequelize] ${where}.tags must be an array of non-empty strings`, {
      context: { option: `${where}.tags`, value: tags },
    })
  return value as CacheSettings
}

/**
 * Validates {@link InstrumentOptions} against the models the Sequelize instance defines.
 * @throws PerfError INVALID_OPTION for a malformed option, UNKNOWN_MODEL for a model name the
 * instance does not have, INVALID_TTL for a negative or unparsable ttl
 */
export function resolveOptions(options: unknown, modelNames: ReadonlySet<string>): ResolvedOptions {
  if (options === undefined) options = {}
  if (!isObject(options)) throw invalid('options', 'an object', options)
  for (const key of Object.keys(options))
    if (!KNOWN.has(key)) throw invalid(key, `one of ${[...KNOWN].join(', ')} (unknown option)`, options[key])
  const { cache, monitor, defaults, models, salt, pool, onError } = options
  if (pool !== undefined && typeof pool !== 'boolean') throw invalid('pool', 'a boolean', pool)
  if (pool === true && monitor === undefined) throw invalid('pool', 'false without a monitor', pool)
  if (cache !== undefined && !(isObject(cache) && typeof cache.getOrSet === 'function'))
    throw invalid('cache', 'a Cache from createCache()', cache)
  if (monitor !== undefined && !(isObject(monitor) && typeof monitor.record === 'function'))
    throw invalid('monitor', 'a Monitor from createMonitor()', monitor)
  if (onError !== undefined && typeof onError !== 'function') throw invalid('onError', 'a function', onError)
  if (salt !== undefined && typeof salt !== 'string') throw invalid('salt', 'a string', salt)
  if (defaults !== undefined) {
    if (cache === undefined) throw invalid('defaults', 'given together with a cache', defaults)
    checkSettings(defaults, 'instrument(): defaults', 'INVALID_OPTION')
  }
  const resolved = new Map<string, CacheSettings | false>()
  if (models !== undefined) {
    if (cache === undefined) throw invalid('models', 'given together with a cache', models)
    if (!isObject(models)) throw invalid('models', 'an object keyed by model name', models)
    for (const [name, entry] of Object.entries(models)) {
      if (!modelNames.has(name)) {
        throw new PerfError(
          'UNKNOWN_MODEL',
          `[perf:sequelize] instrument(): models.${name} names no model of this Sequelize instance (known: ${[...modelNames].join(', ') || 'none'})`,
          { context: { option: 'models', model: name } },
        )
      }
      if (entry === false) resolved.set(name, false)
      else if (entry === true) resolved.set(name, {})
      else resolved.set(name, checkSettings(entry, `instrument(): models.${name}`, 'INVALID_OPTION'))
    }
  }
  return {
    cache: cache as Cache | undefined,
    monitor: monitor as Monitor | undefined,
    defaults: defaults as CacheSettings | undefined,
    models: resolved,
    salt: (salt as string | undefined) ?? '',
    pool: (pool as boolean | undefined) ?? monitor !== undefined,
    onError: onError as InstrumentOptions['onError'],
  }
}
