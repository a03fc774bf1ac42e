import type { CacheMeta, CacheStatus } from '@perf/core'

/** Where a result came from, as `withPerfInfo()` reports it. */
export interface PerfInfo {
  /**
   * `hit` fresh from a cache tier, `stale` served within `swr` while refreshing, `grace` stale
   * because the database failed, `miss` loaded now and cached, `bypass` not cached because the
   * call ran inside a transaction, `none` no cache strategy applied.
   */
  status: CacheStatus | 'none'
  /** The tier that answered (`'memory'`, `'redis'`), or `'database'`. */
  tier: string
  /** Milliseconds since the cached value was loaded (0 when loaded by this call). */
  ageMs: number
  /** Milliseconds until the value goes stale (negative when stale); undefined when not cached. */
  ttlRemainingMs?: number
  /** The cache key (namespace included); undefined when not cached. */
  key?: string
}

/** A result with its {@link PerfInfo}. */
export interface WithPerfInfo<T> {
  data: T
  info: PerfInfo
}

/** Info for a call that did not use the cache. */
export function uncachedInfo(status: 'none' | 'bypass'): PerfInfo {
  return { status, tier: 'database', ageMs: 0 }
}

/** Info from the cache's per-call metadata. */
export function cachedInfo(meta: CacheMeta): PerfInfo {
  return {
    status: meta.status,
    tier: meta.tier === 'loader' ? 'database' : meta.tier,
    ageMs: meta.ageMs,
    ttlRemainingMs: meta.ttlRemainingMs,
    key: meta.key,
  }
}

/** Receives a read's {@link PerfInfo} (`withPerfInfo()`). */
export type InfoSink = (info: PerfInfo) => void
