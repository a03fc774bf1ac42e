import type { DataType, QueryTypes } from 'sequelize'
import type { CacheOption } from './options.js'

// Typed `cache` on the finder and aggregate options users already pass. Writes do not get it:
// passing it there anyway is rejected at run time with INVALID_CACHE_STRATEGY.
declare module 'sequelize' {
  interface FindOptions<TAttributes = any> {
    /** Serve this read from the @perf cache: `{ ttl, swr, tags }`, `true` for the defaults, `false` to opt out. */
    cache?: CacheOption
  }
  interface CountOptions<TAttributes = any> {
    /** Serve this count from the @perf cache: `{ ttl, swr, tags }`, `true` for the defaults, `false` to opt out. */
    cache?: CacheOption
  }
  interface AggregateOptions<T extends DataType | unknown, TAttributes = any> {
    /** Serve this aggregate from the @perf cache: `{ ttl, swr, tags }`, `true` for the defaults, `false` to opt out. */
    cache?: CacheOption
  }
  interface QueryOptionsWithType<T extends QueryTypes> {
    /** Serve this raw read from the @perf cache (only statements that read; a write is rejected). */
    cache?: CacheOption
  }
}

export type { CacheOption }
