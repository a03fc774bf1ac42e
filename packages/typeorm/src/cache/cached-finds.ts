import type { Cache, Duration, Monitor } from '@perf/core'

// PLACEHOLDER owned by the caching work (src/cache/**): a no-op with the agreed signature so that
// instrument() can call it before the real implementation lands. Take the caching branch's file wholesale.

/** Caching of one entity's finds. */
export interface CachedFindsEntityOptions {
  /** Ttl (ms or a duration string like `'30s'`) of this entity's finds. */
  ttl?: Duration
}

/** Options of {@link installCachedFinds}. */
export interface CachedFindsOptions {
  /** The cache finds are served from. */
  cache: Cache
  /** Records cache outcomes. */
  monitor?: Monitor
  /** Ttl of option-less finds of every entity. */
  defaults?: CachedFindsEntityOptions
  /** Per-entity settings by entity name. */
  entities?: Record<string, CachedFindsEntityOptions>
}

/** Serves finds of `dataSource` from `options.cache`; returns a function that undoes it. */
export function installCachedFinds(_dataSource: unknown, _options: CachedFindsOptions): () => void {
  return () => undefined
}
