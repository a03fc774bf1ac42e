import type { Cache, Duration, Monitor } from '@perf/core'

// PLACEHOLDER owned by the caching work (src/cache/**): a no-op with the agreed signature so that
// instrument() can call it before the real implementation lands. Replace wholesale.

/** Options of {@link installCachedFinds}. */
export interface CachedFindsOptions {
  /** The cache finds are served from. */
  cache: Cache
  /** Records cache outcomes. */
  monitor?: Monitor
  /** Entry options of every cached find. */
  defaults?: { ttl?: Duration } & Record<string, unknown>
  /** Per-entity settings, by entity name. */
  entities?: Record<string, ({ ttl?: Duration } & Record<string, unknown>) | boolean>
}

/** Serves finds of `dataSource` from `options.cache`; returns a function that undoes it. */
export function installCachedFinds(_dataSource: unknown, _options: CachedFindsOptions): () => void {
  return () => undefined
}
