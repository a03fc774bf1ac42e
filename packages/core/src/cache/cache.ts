import { CacheEngine } from './engine/cache-engine.js'
import type { HotKey } from './hot/hot-keys.js'
import type {
  CacheLookup,
  CacheOptions,
  CacheStats,
  EntryOptions,
  GetOptions,
  GetOrSetOptions,
  Loader,
  LookupOptions,
  WarmEntry,
  WithMeta,
} from './types.js'

/**
 * A tiered cache: in-process L1 first, shared tiers (Redis) after, with single-flight loads,
 * stale-while-revalidate, fail-safe grace, soft and hard timeouts, O(1) tag invalidation, and a
 * bus that keeps other instances' L1 coherent. Invalidations are ordered by the shared tier, never
 * by two machines' clocks, and one whose shared part fails is retried until it lands.
 * Build one with {@link createCache}.
 */
export interface Cache {
  /** Prefix of every key this cache writes. */
  readonly namespace: string
  /** Identifies this instance on the bus (its own messages are ignored). */
  readonly instanceId: string
  /** Resolves once the bus subscription (if any) is live. */
  ready(): Promise<void>
  /**
   * Returns the cached value for `key`, or runs `loader` once (however many callers ask at the
   * same time) and caches its result.
   *
   * @throws PerfError INVALID_KEY, KEY_TOO_LONG, INVALID_TTL, UNSERIALIZABLE_VALUE, LOADER_TIMEOUT, CACHE_CLOSED; the loader's own error when no grace value exists
   * @example
   * const user = await cache.getOrSet(`user:${id}`, () => db.user.find(id), { ttl: '30s', swr: '5m', tags: ['users'] })
   */
  getOrSet<T>(key: string, loader: Loader<T>, options: GetOrSetOptions & { meta: true }): Promise<WithMeta<T>>
  getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T>

  /**
   * The two halves of getOrSet for callers whose read and load are separate calls (an ORM's
   * cache-provider `get`, then its `store` after it ran the query): a fresh hit, or a miss whose
   * `fill(value, { ttl, tags })` stores what the caller then loaded, unless an invalidation of the
   * key or tags landed after this lookup began. No single-flight: concurrent misses each load.
   * @example
   * const found = await cache.lookup<Row[]>(key, { tags: ['table:users'] })
   * if (found.hit) return found.value
   * const rows = await runQuery()
   * await found.fill(rows, { ttl: '30s', tags: ['table:users'] })
   */
  lookup<T>(key: string, options?: LookupOptions): Promise<CacheLookup<T>>
  /**
   * Reads `key` from the tiers without loading. Returns undefined when absent, invalidated or
   * stale (unless `allowStale`).
   */
  get<T>(key: string, options: GetOptions & { meta: true }): Promise<WithMeta<T> | undefined>
  get<T>(key: string, options?: GetOptions): Promise<T | undefined>
  /** Reads many keys; same length and order as `keys`, undefined for misses. One call per tier for the misses of the tier above. */
  getMany<T>(keys: readonly string[], options?: GetOptions): Promise<(T | undefined)[]>
  /**
   * Stores `value` under `key` in every tier and tells other instances to drop their copy. A
   * shared tier that cannot take the write has the key deleted instead (retried until it is).
   * @throws PerfError INVALID_KEY, INVALID_TTL, UNSERIALIZABLE_VALUE (nothing is written then)
   */
  set(key: string, value: unknown, options?: EntryOptions): Promise<void>
  /** Deletes keys from every tier (and, through the bus, from every instance's L1). Loads in flight for them are not cached. */
  delete(keys: string | readonly string[]): Promise<void>
  /** Invalidates every entry carrying one of `tags`, in O(1) per tag, here and (through shared tiers and the bus) everywhere. */
  invalidateTags(tags: string | readonly string[]): Promise<void>
  /** Removes every entry of this namespace from every tier and every instance. */
  clear(): Promise<void>
  /**
   * Pre-populates entries with bounded concurrency: values are stored, loaders run through
   * getOrSet. Returns how many entries were warmed; failures are reported as load errors.
   */
  warm(entries: Iterable<WarmEntry> | AsyncIterable<WarmEntry>, options?: { concurrency?: number }): Promise<number>
  /** Statistics since creation; bytes, entries and evictions come from the first tier. */
  stats(): CacheStats
  /**
   * The most-read keys (hits and misses, namespace removed), most first, at most the `hotKeys`
   * option's capacity; empty when tracking is off. Counts are upper bounds (see `HotKey.error`).
   */
  hotKeys(top?: number): HotKey[]
  /**
   * Stops the bus subscription, aborts loads in flight, makes one last attempt at pending
   * invalidations and closes the tiers the cache created itself. Further calls reject with CACHE_CLOSED.
   */
  close(): Promise<void>
}

/**
 * Creates a {@link Cache}.
 *
 * @example
 * const cache = createCache({ tiers: [new MemoryStore(), redisStore(redis)], bus: redisBus(redis), defaultTtl: '1m' })
 * @throws PerfError INVALID_OPTION naming the option
 */
export function createCache(options: CacheOptions = {}): Cache {
  return new CacheEngine(options)
}
