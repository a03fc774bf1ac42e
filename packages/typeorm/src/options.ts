import type { Cache, Monitor, SqlDialect } from '@perf/core'
import { PerfError, toMs } from '@perf/core'
import type { CachedFindsOptions } from './cache/cached-finds.js'
import type { InvalidationErrorContext } from './invalidation.js'

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /**
   * The cache finds are served from (through `installCachedFinds`) and writes invalidate.
   * @default undefined: no caching, no invalidation
   */
  cache?: Cache
  /** Receives one QueryEvent per statement. @default undefined: no monitoring */
  monitor?: Monitor
  /**
   * Invalidate the table tags of every write (after commit inside a transaction).
   * Needs `cache`. Turn it off to keep TypeORM's expiry-by-time-only behaviour.
   * @default true when `cache` is given
   */
  invalidate?: boolean
  /**
   * Told about an invalidation that failed (the write itself succeeds; the cache keeps
   * retrying durable invalidations). Counted in `stats().invalidationFailures` either way.
   * @default undefined: counted only
   */
  onError?: (error: unknown, context: InvalidationErrorContext) => void
  /** Entry options of every cached find (passed to `installCachedFinds`). Needs `cache`. */
  defaults?: CachedFindsOptions['defaults']
  /** Per-entity cache settings keyed by entity name (passed to `installCachedFinds`). Needs `cache`. */
  entities?: CachedFindsOptions['entities']
}

/** {@link InstrumentOptions} after validation. */
export interface ResolvedInstrumentOptions {
  cache: Cache | undefined
  monitor: Monitor | undefined
  invalidate: boolean
  onError: InstrumentOptions['onError']
  defaults: InstrumentOptions['defaults']
  entities: InstrumentOptions['entities']
}

const KNOWN = new Set(['cache', 'monitor', 'invalidate', 'onError', 'defaults', 'entities'])

function invalid(option: string, rule: string, value: unknown): PerfError {
  return new PerfError('INVALID_OPTION', `[perf:typeorm] instrument(): ${option} must be ${rule}`, {
    context: { option, value },
  })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkTtl(entry: unknown, option: string): void {
  if (isObject(entry) && entry.ttl !== undefined) toMs(entry.ttl as number | string, `[perf:typeorm] ${option}.ttl`)
}

/**
 * Validates {@link InstrumentOptions} against the DataSource's entities.
 * @throws PerfError INVALID_OPTION for a malformed option, UNKNOWN_MODEL for an entity name the
 * DataSource does not have, INVALID_TTL for a negative or unparsable ttl
 */
export function resolveOptions(options: unknown, entityNames: ReadonlySet<string>): ResolvedInstrumentOptions {
  if (options === undefined) options = {}
  if (!isObject(options)) throw invalid('options', 'an object', options)
  for (const key of Object.keys(options))
    if (!KNOWN.has(key)) throw invalid(key, `one of ${[...KNOWN].join(', ')} (unknown option)`, options[key])
  const { cache, monitor, invalidate, onError, defaults, entities } = options
  if (cache !== undefined && !(isObject(cache) && typeof cache.invalidateTags === 'function'))
    throw invalid('cache', 'a Cache from createCache()', cache)
  if (monitor !== undefined && !(isObject(monitor) && typeof monitor.record === 'function'))
    throw invalid('monitor', 'a Monitor from createMonitor()', monitor)
  if (invalidate !== undefined && typeof invalidate !== 'boolean') throw invalid('invalidate', 'a boolean', invalidate)
  if (invalidate === true && cache === undefined) throw invalid('invalidate', 'false without a cache', invalidate)
  if (onError !== undefined && typeof onError !== 'function') throw invalid('onError', 'a function', onError)
  if (defaults !== undefined) {
    if (cache === undefined) throw invalid('defaults', 'given together with a cache', defaults)
    if (!isObject(defaults)) throw invalid('defaults', 'an object', defaults)
    checkTtl(defaults, 'defaults')
  }
  if (entities !== undefined) {
    if (cache === undefined) throw invalid('entities', 'given together with a cache', entities)
    if (!isObject(entities)) throw invalid('entities', 'an object keyed by entity name', entities)
    for (const [name, entry] of Object.entries(entities)) {
      if (!entityNames.has(name)) {
        throw new PerfError(
          'UNKNOWN_MODEL',
          `[perf:typeorm] instrument(): entities.${name} names no entity of this DataSource (known: ${[...entityNames].join(', ') || 'none'})`,
          { context: { option: 'entities', entity: name } },
        )
      }
      if (!isObject(entry)) throw invalid(`entities.${name}`, 'an options object ({ ttl })', entry)
      checkTtl(entry, `entities.${name}`)
    }
  }
  return {
    cache: cache as Cache | undefined,
    monitor: monitor as Monitor | undefined,
    invalidate: invalidate ?? cache !== undefined,
    onError: onError as InstrumentOptions['onError'],
    defaults: defaults as InstrumentOptions['defaults'],
    entities: entities as InstrumentOptions['entities'],
  }
}

const DIALECTS: Record<string, SqlDialect> = {
  postgres: 'postgres',
  'aurora-postgres': 'postgres',
  cockroachdb: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  'aurora-mysql': 'mysql',
}

/** How statements of a DataSource of `type` (its `options.type`) are read; undefined when unsupported. */
export function dialectOf(type: string): SqlDialect | undefined {
  return Object.prototype.hasOwnProperty.call(DIALECTS, type) ? DIALECTS[type] : undefined
}
