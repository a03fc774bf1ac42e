import { PerfError } from '../errors.js'
import { optionalMs } from '../util/duration.js'
import { assertFunction, assertInt } from '../util/validate.js'
import type { BatchLoaderOptions } from './batch-loader.js'

/** Validated, normalised {@link BatchLoaderOptions}; internal to the batch module. */
export interface LoaderConfig<K, C> {
  maxBatchSize: number
  batchScheduleFn: ((callback: () => void) => void) | undefined
  cacheKeyFn: ((key: K) => C) | undefined
  caching: boolean
  name: string | null
  maxCacheSize: number
  cacheTtlMs: number
}

const CACHE_MAP_METHODS = ['get', 'set', 'delete', 'clear'] as const

function invalid(option: string, rule: string, value: unknown): PerfError {
  const shown =
    typeof value === 'function' ? 'a function' : typeof value === 'string' ? JSON.stringify(value) : String(value)
  return new PerfError('INVALID_OPTION', `[perf:batch] BatchLoader option "${option}" must be ${rule}, got ${shown}`, {
    context: { option, value },
  })
}

function readBoolean(value: unknown, option: string): boolean {
  if (value === undefined) return true
  if (typeof value !== 'boolean') throw invalid(option, 'a boolean', value)
  return value
}

/** Like dataloader: any number >= 1, Infinity included (a fractional bound rounds up in effect). */
function readMaxBatchSize(batch: boolean, value: unknown): number {
  if (!batch) return 1
  if (value === undefined) return Infinity
  if (typeof value !== 'number' || Number.isNaN(value) || value < 1)
    throw invalid('maxBatchSize', 'a number >= 1', value)
  return value
}

function readCacheMap(value: unknown): void {
  if (value === undefined || value === null) return
  if (typeof value !== 'object')
    throw invalid('cacheMap', 'an object with get, set, delete and clear methods, or null', value)
  const missing = CACHE_MAP_METHODS.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function')
  if (missing.length > 0)
    throw invalid(
      'cacheMap',
      `an object with get, set, delete and clear methods (missing: ${missing.join(', ')})`,
      value,
    )
}

/**
 * Validates {@link BatchLoaderOptions}.
 *
 * @throws PerfError INVALID_OPTION naming the first malformed option
 */
export function readLoaderOptions<K, V, C>(options: BatchLoaderOptions<K, V, C>): LoaderConfig<K, C> {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options)
  const batch = readBoolean(options.batch, 'batch')
  const cache = readBoolean(options.cache, 'cache')
  readCacheMap(options.cacheMap)
  if (options.batchScheduleFn !== undefined) assertFunction(options.batchScheduleFn, 'batchScheduleFn')
  if (options.cacheKeyFn !== undefined) assertFunction(options.cacheKeyFn, 'cacheKeyFn')
  if (options.clock !== undefined && typeof options.clock?.now !== 'function')
    throw invalid('clock', 'an object with a now() method', options.clock)
  const name = options.name
  if (name !== undefined && name !== null && typeof name !== 'string') throw invalid('name', 'a string or null', name)
  const maxCacheSize =
    options.maxCacheSize === undefined ? Infinity : assertInt(options.maxCacheSize, 'maxCacheSize', 1)
  const cacheTtlMs = optionalMs(options.cacheTtlMs, 'cacheTtlMs', Infinity, 'INVALID_OPTION')
  const bounded = options.maxCacheSize !== undefined || options.cacheTtlMs !== undefined
  if (bounded && !cache)
    throw invalid(
      options.maxCacheSize !== undefined ? 'maxCacheSize' : 'cacheTtlMs',
      'unset when cache is false',
      'cache: false',
    )
  if (bounded && options.cacheMap !== undefined) {
    // A custom map owns its own eviction; silently ignoring the bound would hide a leak.
    throw invalid(
      options.maxCacheSize !== undefined ? 'maxCacheSize' : 'cacheTtlMs',
      'unset when a custom cacheMap is given',
      'a cacheMap',
    )
  }
  if (options.cacheTtlMs !== undefined && cacheTtlMs <= 0)
    throw invalid('cacheTtlMs', 'greater than 0', options.cacheTtlMs)
  return {
    maxBatchSize: readMaxBatchSize(batch, options.maxBatchSize),
    batchScheduleFn: options.batchScheduleFn,
    cacheKeyFn: options.cacheKeyFn,
    caching: cache && options.cacheMap !== null,
    // dataloader turns any falsy name into null
    name: name ? name : null,
    maxCacheSize,
    cacheTtlMs,
  }
}
