import type { Clock } from '../util/clock.js'
import type { Duration } from '../util/duration.js'
import type { Locker } from '../lock/types.js'
import type { HotKeysOptions } from './hot/hot-keys.js'

/** A value or a promise of it. Stores may answer synchronously (memory) or asynchronously (network). */
export type MaybePromise<T> = T | Promise<T>

/**
 * One cached entry as a tier holds it. Times are milliseconds since the epoch on the clock of the
 * instance that wrote the entry; they drive TTLs only. Ordering against invalidations uses
 * `createdAt` in local tiers (this process's monotonic clock) and `version` in versioned shared
 * tiers, never two machines' clocks.
 */
export interface StoreEntry {
  /** The cached value. In-memory tiers hold it as is; tiers that serialize run it through their codec. */
  value: unknown
  /**
   * When the load that produced this value began (so an invalidation that lands while a slow load
   * is in flight is never undone by its result). Local tiers order by it.
   */
  createdAt: number
  /** Fresh until this time; stale (servable within swr/grace) after it. */
  staleAt: number
  /** The tier may drop the entry after this time (staleAt + max(swr, grace)). */
  expiresAt: number
  /** Tags this entry belongs to. */
  tags?: readonly string[]
  /**
   * Versioned tiers only: the tier's version when the load began, as {@link CacheStore.read}
   * returned it. Absent on a direct `cache.set()`: the tier then writes at a new version.
   */
  version?: string
}

/**
 * What the engine expects an entry to carry, passed to {@link CacheStore.get} so a tier that
 * stores tag records apart from entries can fetch both in one round trip. Only a hint: a tier
 * must still honour tags the entry carries that the hint does not name.
 */
export interface ReadHint {
  /** The (namespace-scoped) tags the caller would store the entry with. */
  tags?: readonly string[]
}

/** What a versioned tier's {@link CacheStore.read} returns. */
export interface StoreRead {
  /** The entry, or undefined when absent, expired or invalidated. */
  entry: StoreEntry | undefined
  /** The tier's version at the moment of the read: opaque, passed back in `StoreEntry.version`. */
  version: string
  /** Why a stored entry could not be used (DECODE_FAILED): the read is a miss, reported, and the load may replace it. */
  error?: unknown
}

/** What a {@link CacheStore} can do; the engine makes up for what is missing. */
export interface StoreCapabilities {
  /**
   * The tier records tag invalidations and namespace clears itself (shared across processes) and
   * never returns an entry they invalidated.
   */
  tags: boolean
  /** The tier is shared between processes (e.g. Redis). Shared tiers are the source of truth for L1 refills. */
  shared: boolean
  /** The tier serializes values (the engine need not clone what it reads from it). */
  serializes: boolean
  /**
   * The tier orders writes against invalidations with versions of its own (implements `read`, and
   * `set` honours `entry.version`): how a shared tier keeps invalidation correct across machines
   * whose clocks disagree. See docs/writing-an-adapter.md.
   * @default false
   */
  versioned?: boolean
}

/**
 * One tier of the cache. Implementations translate; the engine decides (TTL, SWR, tags,
 * fail-open, deadlines). Methods may throw: the engine catches, reports and skips the tier.
 *
 * Run `cacheStoreSuite` from `@perf/core/testing` against every implementation.
 */
export interface CacheStore {
  /** Short name used in stats, events and error messages (`'memory'`, `'redis'`). */
  readonly name: string
  /** What the tier supports. */
  readonly capabilities: StoreCapabilities
  /**
   * Reads one entry; `undefined` when absent, physically expired or (tiers with `capabilities.tags`)
   * invalidated. `hint` says what the engine expects the entry to carry (see {@link ReadHint}).
   */
  get(key: string, hint?: ReadHint): MaybePromise<StoreEntry | undefined>
  /**
   * Versioned tiers: like `get`, and the tier's version at the same moment (one round trip). A
   * `set` of an entry carrying that version must be refused when the key, one of the entry's tags
   * or a cleared prefix of the key was invalidated after it.
   */
  read?(key: string, hint?: ReadHint): Promise<StoreRead>
  /** Reads many entries in one round trip; the result has the same length and order as `keys`. */
  getMany(keys: readonly string[]): MaybePromise<(StoreEntry | undefined)[]>
  /**
   * Writes one entry; the tier keeps it at least until `entry.expiresAt`. Versioned tiers return
   * false when they refused it (an invalidation came after `entry.version`).
   */
  set(key: string, entry: StoreEntry): MaybePromise<void | boolean>
  /** Deletes keys; returns how many existed. Versioned tiers also refuse older loads' writes of them. */
  delete(keys: readonly string[]): MaybePromise<number>
  /** Removes every entry whose key starts with `prefix` (all entries when omitted). */
  clear(prefix?: string): MaybePromise<void>
  /** Tiers with `capabilities.tags`: records that `tags` were invalidated now; entries carrying them are misses from then on. */
  invalidateTags?(tags: readonly string[]): MaybePromise<void>
  /** Approximate statistics of the tier itself. */
  stats?(): StoreStats
  /** Releases timers and connections the tier opened itself. */
  close?(): MaybePromise<void>
}

/** Statistics a tier reports about itself. */
export interface StoreStats {
  entries: number
  bytes: number
  evictions: number
  expirations: number
}

/**
 * Encodes values to bytes and back, for tiers that serialize and for result isolation.
 * The default codec (`createCodec()`) round-trips JSON plus Date, BigInt, Uint8Array/Buffer,
 * Map, Set, undefined and registered classes.
 */
export interface Codec {
  /** Encodes a value. @throws PerfError UNSERIALIZABLE_VALUE */
  encode(value: unknown): Uint8Array
  /** Decodes bytes produced by `encode`. @throws PerfError DECODE_FAILED */
  decode(bytes: Uint8Array): unknown
  /** A deep copy that shares no mutable state with `value`. @throws PerfError UNSERIALIZABLE_VALUE */
  clone(value: unknown): unknown
}

/**
 * A message on the invalidation bus. `source` identifies the sending cache instance. `at` is the
 * sender's clock when it sent the message: informational only (receivers order by their own
 * clock at receipt, since two machines' clocks cannot be compared).
 */
export type BusMessage =
  | { type: 'delete'; namespace: string; keys: readonly string[]; at: number; source: string }
  | { type: 'tags'; namespace: string; tags: readonly string[]; at: number; source: string }
  | { type: 'clear'; namespace: string; at: number; source: string }

/** Handlers a cache registers with its bus. */
export interface BusHandlers {
  /** A message from another instance (the bus may also deliver the instance's own; the engine ignores them). */
  onMessage(message: BusMessage): void
  /**
   * Messages may have been lost (reconnect, subscriber gap): the cache drops what it cannot vouch for.
   */
  onGap(): void
}

/**
 * Carries invalidations between processes so each one can drop entries from its local tier.
 * Treated as lossy: `onGap` tells the engine when messages may have been missed.
 */
export interface InvalidationBus {
  publish(message: BusMessage): Promise<void>
  /** Starts delivery; resolves when subscribed. Returns an unsubscribe function. */
  subscribe(handlers: BusHandlers): Promise<() => Promise<void>>
  /** Whether the bus believes it is currently connected and receiving. */
  readonly isConnected?: boolean
  close?(): Promise<void>
}

/** Where a value came from, in per-call metadata and events. */
export type CacheStatus = 'hit' | 'stale' | 'miss' | 'grace' | 'bypass'

/** Per-call metadata returned with `{ meta: true }`. */
export interface CacheMeta {
  /** `hit` fresh value from a tier; `stale` stale value (swr or soft timeout); `grace` stale value because the loader failed; `miss` loaded now. */
  status: CacheStatus
  /** Name of the tier that answered, or `'loader'`. */
  tier: string
  /** Milliseconds since the value's load began (0 for a value loaded by this call). */
  ageMs: number
  /** Milliseconds until the value goes stale (negative when already stale). */
  ttlRemainingMs: number
  /** The key as stored (namespace included). */
  key: string
  /** The loader error that made the cache serve a grace value, if any. */
  error?: unknown
}

/** A value with its metadata. */
export interface WithMeta<T> {
  value: T
  meta: CacheMeta
}

/** Lets a loader adapt the entry after seeing the value (adaptive caching). */
export interface LoaderContext {
  /** The key being loaded (without namespace). */
  readonly key: string
  /** Fires when the hard timeout elapses or the cache closes. */
  readonly signal: AbortSignal
  /** The stale value, if one exists (for conditional refresh). */
  readonly stale: unknown
  /** Overrides the ttl for this entry. */
  setTtl(ttl: Duration): void
  /** Adds tags to this entry. */
  addTags(tags: readonly string[]): void
  /** Do not cache this result (it is still returned). */
  skip(): void
}

/** Options for one `getOrSet`/`set` call. Durations are milliseconds or strings like `'30s'`. */
export interface EntryOptions {
  /** How long the value is fresh. @default the cache's `defaultTtl` */
  ttl?: Duration
  /** After `ttl`, serve the stale value at once and refresh it in the background for this long. @default 0 */
  swr?: Duration
  /** After `ttl`, serve the stale value if the loader fails, for this long. @default 0 */
  grace?: Duration
  /** Tags for group invalidation. */
  tags?: readonly string[]
  /** Random extra ttl in [0, jitter] so entries written together do not expire together. @default cache's `jitter` */
  jitter?: Duration
}

/** Options for `getOrSet`. */
export interface GetOrSetOptions extends EntryOptions {
  /** Soft timeout: when a stale value exists and the loader is slower than this, serve the stale value; the load finishes in the background. */
  timeout?: Duration
  /** Hard timeout: the loader is abandoned (its signal aborted) and the call rejects with LOADER_TIMEOUT. */
  hardTimeout?: Duration
  /** After a failed load, serve the grace value without calling the loader again for this long. @default cache's `failureBackoff` */
  failureBackoff?: Duration
  /** Bypass reads (still writes the fresh result). */
  forceRefresh?: boolean
  /** Cancels waiting for the value (the shared load continues for other callers). */
  signal?: AbortSignal
  /** Resolve `{ value, meta }` instead of the value. @default false */
  meta?: boolean
}

/** Options for `lookup`: the tags the value will carry let a shared tier read their records in the same round trip. */
export interface LookupOptions {
  /** Tags the filled value will carry (more may be given to `fill`). */
  tags?: readonly string[]
}

/**
 * The answer of `cache.lookup`: a fresh hit, or a miss with `fill`, which stores the value the
 * caller loaded after the lookup. `fill` writes only if nothing invalidated the key or the value's
 * tags since the lookup began (in this process, and in shared tiers by their versions), so a
 * caller that read a row before a concurrent write committed cannot cache it after the
 * invalidation. It resolves whether the value was stored; it never rejects for a tier failure or
 * a value the codec cannot hold (those are counted and reported as for getOrSet).
 */
export type CacheLookup<T> =
  { hit: true; value: T; meta: CacheMeta } | { hit: false; fill(value: T, options?: EntryOptions): Promise<boolean> }

/** Options for `get` and `getMany`. */
export interface GetOptions {
  /** Also return a stale value (past ttl, still kept for swr/grace) instead of undefined. @default false */
  allowStale?: boolean
  /** Resolve `{ value, meta }` instead of the value (`get` only). @default false */
  meta?: boolean
}

/** Produces the value for a missing key. */
export type Loader<T> = (ctx: LoaderContext) => T | Promise<T>

/** One item for `cache.warm`. */
export interface WarmEntry<T = unknown> {
  key: string
  /** A value to store as is. */
  value?: T
  /** Or a loader to run (through getOrSet, so single-flight applies). */
  loader?: Loader<T>
  options?: EntryOptions
}

/**
 * Events reported through `onEvent` and the `perf:cache` diagnostics channel. A read's `tier` is
 * the tier that served it; for a `miss`, `'loader'` when a loader ran (getOrSet, lookup) and
 * `'none'` when nothing did (get, getMany).
 */
export type CacheEvent =
  | { type: 'hit' | 'stale' | 'grace' | 'miss'; key: string; tier: string; namespace: string }
  | { type: 'load'; key: string; durationMs: number; namespace: string }
  | { type: 'load-error'; key: string; error: unknown; namespace: string }
  /**
   * A loaded value the cache cannot hold (the codec cannot encode or copy it, or it is larger than
   * the codec allows): the caller got the value, uncached. `error` is the codec's PerfError.
   */
  | { type: 'unstorable'; key: string; error: unknown; namespace: string }
  | { type: 'set' | 'delete'; key: string; namespace: string }
  | { type: 'invalidate-tags'; tags: readonly string[]; namespace: string }
  | { type: 'clear'; namespace: string }
  | { type: 'tier-error'; tier: string; operation: string; error: unknown; namespace: string }
  | { type: 'bus-error'; error: unknown; namespace: string }
  | { type: 'bus-gap'; namespace: string }
  /** A retry of invalidations whose shared part had failed: `landed` whether it went through, `pending` what is left. */
  | { type: 'invalidation-retry'; landed: boolean; pending: number; namespace: string }
  | { type: 'lock-error'; key: string; error: unknown; namespace: string }

/** Options for {@link createCache}. */
export interface CacheOptions {
  /** Tiers, fastest first (L1 first). @default [new MemoryStore()] */
  tiers?: readonly CacheStore[]
  /** Delivers invalidations to other instances. */
  bus?: InvalidationBus
  /** Prefix of every key this cache writes; isolates caches sharing a tier. @default 'app' */
  namespace?: string
  /** TTL when a call gives none. @default '1m' */
  defaultTtl?: Duration
  /** Default stale-while-revalidate window. @default 0 */
  defaultSwr?: Duration
  /** Default grace (stale-if-error) window. @default 0 */
  defaultGrace?: Duration
  /** Default TTL jitter. @default 0 */
  jitter?: Duration
  /** Upper bound for swr and grace: no value is served longer than this after it went stale. @default '1h' */
  maxStaleMs?: Duration
  /** Upper bound for how long a local (non-shared) tier keeps an entry when a shared tier or bus exists. @default no bound beyond ttl+swr/grace */
  localMaxAgeMs?: Duration
  /** Codec for isolation and for tiers that serialize. @default createCodec() */
  codec?: Codec
  /** Deep-copy values on the way in and out so callers cannot mutate cached state. @default true */
  isolate?: boolean
  /** Deadline for each tier call; a slower tier is skipped for that call and reported. @default '250ms' */
  tierTimeout?: Duration
  /** After a load fails, serve grace values without calling the loader for this long. @default '1s' */
  failureBackoff?: Duration
  /** Longest key accepted (namespace excluded). @default 1024 */
  maxKeyLength?: number
  /** Distributed single-flight: one loader call across processes for a missing key. Efficiency only; degrades to in-process single-flight. */
  lock?: Locker
  /** How long a process waits for another process's load before loading itself. @default '5s' */
  lockWaitMs?: Duration
  /** TTL of the distributed single-flight lock (a holder that dies frees it after this). @default '10s' */
  lockTtlMs?: Duration
  /** Consecutive failures of a tier that make the engine skip it for `tierCooldownMs`. @default 3 */
  tierBreakerThreshold?: number
  /** How long a failing tier is skipped before one probe call is let through. @default '2s' */
  tierCooldownMs?: Duration
  /** Most tag invalidation times kept in memory (older ones fold into a conservative floor). @default 100_000 */
  maxTags?: number
  /** Receives every cache event (errors included). Must not throw. */
  onEvent?: (event: CacheEvent) => void
  /** Time source. @default systemClock */
  clock?: Clock
  /**
   * Tracks the most-read keys for `cache.hotKeys()` and the dashboard (hits and misses) in O(1)
   * per read and bounded memory (`HotKeys`): a capacity (e.g. 64), or `HotKeysOptions`. Keys only,
   * never values. Reads are sampled (one in sixteen unless `sampleRate` says otherwise) to keep
   * the hit path cheap, and counts cover the last one to two minutes (`windowMs`: 60000; pass
   * `windowMs: undefined` for counts since creation). @default false (off: the hit path pays nothing)
   */
  hotKeys?: number | false | HotKeysOptions
}

/** Cache statistics since creation. */
export interface CacheStats {
  /** Fresh hits by tier name. */
  hits: Record<string, number>
  misses: number
  staleHits: number
  graceHits: number
  loads: number
  loadErrors: number
  /** Loaded values served to their caller but not cached because the codec could not hold them (see the `unstorable` event). */
  unstorable: number
  sets: number
  deletes: number
  evictions: number
  tierErrors: Record<string, number>
  bytes: number
  entries: number
  /** (fresh + stale + grace hits) / (hits + misses); 0 when nothing was read. */
  hitRatio: number
  /** Invalidations (keys, tags, clears, bus messages) whose shared part failed and is being retried. */
  pendingInvalidations: number
}
