import { PerfError, isPerfError } from '../../errors.js'
import type { CoarseClock } from '../../util/coarse-clock.js'
import type { Clock } from '../../util/clock.js'
import { toMs } from '../../util/duration.js'
import { LruMap } from '../../util/lru-map.js'
import type { Lock, Locker } from '../../lock/types.js'
import type {
  CacheLookup,
  CacheMeta,
  CacheStatus,
  EntryOptions,
  GetOrSetOptions,
  Loader,
  LookupOptions,
  ReadHint,
  StoreEntry,
  WithMeta,
} from '../types.js'
import type { CacheEvents } from './cache-events.js'
import { checkOptions, resolveOptions, type OptionDefaults, type ResolvedOptions } from './entry-options.js'
import { Flights, type Flight } from './flights.js'
import type { Isolation } from './isolation.js'
import type { LocalOrder } from './local-order.js'
import type { Found, TierStack } from './tier-stack.js'
import type { TierGuard } from './tier-guard.js'

/** What get-or-set works with; the engine owns each part. */
export interface GetOrSetParts {
  namespace: string
  prefix: string
  clock: Clock
  /** For the hit path's freshness check only (may lag ~1 ms); ordering uses `order`. */
  coarseClock: CoarseClock
  tiers: TierStack
  order: LocalOrder
  flights: Flights
  isolation: Isolation
  events: CacheEvents
  defaults: OptionDefaults
  base: ResolvedOptions
  lock: { locker: Locker; waitMs: number; ttlMs: number } | undefined
  /** Validates a user key and returns it with the namespace. @throws PerfError */
  fullKey(key: string): string
  /** The key with the namespace when it is a plain string of an allowed length and the cache is open (well-formedness unchecked); else undefined. */
  hitKey(key: string): string | undefined
  /** Tags as tiers and the bus see them (namespace-scoped). */
  scope(tags: readonly string[]): string[]
  /** Notes an entry's lifetime (pending invalidations live as long as the longest). */
  sawLifetime(ms: number): void
}

/**
 * The cache-aside algorithm, in the order it runs:
 *
 * 1. fresh in L1 → served without a promise chain of its own (the hit path);
 * 2. read through the tiers (shared ones also say at which version the read happened);
 * 3. fresh there → served (and copied into faster tiers);
 * 4. stale within `swr` → served, refreshed in the background;
 * 5. otherwise join the load in flight for the key or start one (single-flight, optionally across
 *    processes with a lock); while it runs, a stale value within `grace` answers a soft timeout
 *    or a failing loader;
 * 6. the loaded value is written back only if nothing invalidated it meanwhile: locally by this
 *    process's order, in shared tiers by the versions step 2 read.
 */
export class GetOrSet {
  /** Keys whose last load failed: until when the loader is not called again while a grace value exists. Bounded. */
  private readonly failedUntil = new LruMap<string, number>(10_000)
  // The hit path's collaborators as own fields: one load each instead of a chain through `p`.
  private readonly l1: TierGuard
  private readonly order: LocalOrder
  private readonly coarseClock: CoarseClock
  private readonly events: CacheEvents
  private readonly isolation: Isolation

  constructor(private readonly p: GetOrSetParts) {
    this.l1 = p.tiers.l1
    this.order = p.order
    this.coarseClock = p.coarseClock
    this.events = p.events
    this.isolation = p.isolation
  }

  run<T>(key: string, loader: Loader<T>, options: GetOrSetOptions | undefined): Promise<T | WithMeta<T>> {
    let fullKey: string
    try {
      // A key is checked in full only on its way to the tiers: one that is not well-formed can
      // never be in L1 (every write checks it), so the hit path skips that one check.
      fullKey = this.p.hitKey(key) ?? this.p.fullKey(key)
      checkOptions(options)
      if (typeof loader !== 'function')
        throw new PerfError('INVALID_ARGUMENT', '[perf:cache] getOrSet() needs a loader function')
    } catch (error) {
      return Promise.reject(error)
    }
    if (options?.forceRefresh !== true) {
      const entry = this.freshL1(fullKey)
      if (entry !== undefined)
        return Promise.resolve(this.served<T>(fullKey, 'hit', { entry, tier: 0 }, options?.meta === true))
    }
    return this.slow(key, fullKey, loader, options)
  }

  /**
   * Fast path: a fresh entry from a synchronous L1, read with no resolved options, closures or
   * awaits. Undefined when L1 is asynchronous, misses, or holds something stale or invalidated.
   */
  freshL1(fullKey: string): StoreEntry | undefined {
    const l1 = this.l1
    if (!l1.direct) return undefined
    let entry: StoreEntry | undefined
    try {
      entry = l1.store.get(fullKey) as StoreEntry | undefined
    } catch (error) {
      l1.report('get', error)
      return undefined
    }
    if (entry === undefined) return undefined
    if (typeof (entry as unknown as Promise<unknown>).then === 'function') {
      // A "direct" store that answered with a promise: the slow path reads (and reports) again.
      ;(entry as unknown as Promise<unknown>).then(undefined, () => undefined)
      return undefined
    }
    return entry.staleAt > this.coarseClock.now() && this.order.isValid(entry) ? entry : undefined
  }

  private async slow<T>(
    key: string,
    fullKey: string,
    loader: Loader<T>,
    options: GetOrSetOptions | undefined,
  ): Promise<T | WithMeta<T>> {
    // Full checks (the hit path skipped well-formedness) before anything reaches a tier; async, so they reject.
    this.p.fullKey(key)
    const o = resolveOptions(options, this.p.defaults, this.p.base)
    const wantMeta = options?.meta === true
    // The load "begins" before any tier is read: an invalidation issued after this call can never
    // be undone by what this call loads.
    const startedAt = this.p.order.stamp()
    const hint = this.readHint(o.tags)
    const lookup = await this.p.tiers.read(fullKey, hint, startedAt, 0)
    // A forced refresh still reads: shared tiers must say at which version the load began.
    const found = options?.forceRefresh === true ? undefined : lookup.found
    const now = this.p.clock.now()
    if (found !== undefined && found.entry.staleAt > now) return this.served<T>(fullKey, 'hit', found, wantMeta)
    const staleFor = found === undefined ? Number.POSITIVE_INFINITY : now - found.entry.staleAt
    if (found !== undefined && staleFor < o.swr) {
      this.joinable(fullKey) ?? this.startFlight(key, fullKey, loader, o, found.entry, startedAt, lookup.versions)
      return this.served<T>(fullKey, 'stale', found, wantMeta)
    }
    const inGrace = found !== undefined && staleFor < o.grace
    if (inGrace && (this.failedUntil.peek(fullKey) ?? 0) > now) return this.served<T>(fullKey, 'grace', found, wantMeta)

    this.p.events.counters.misses++
    this.p.events.hot?.record(fullKey)
    if (this.p.events.observed) this.p.events.emit({ type: 'miss', key, tier: 'loader', namespace: this.p.namespace })
    const flight =
      this.joinable(fullKey) ?? this.startFlight(key, fullKey, loader, o, found?.entry, startedAt, lookup.versions)
    const servable = found !== undefined && staleFor < Math.max(o.swr, o.grace)
    try {
      const soft = servable && o.timeout !== undefined ? o.timeout : undefined
      const value = await this.p.flights.wait(flight, soft, options?.signal)
      if (value === Flights.SOFT_TIMEOUT) return this.served<T>(fullKey, 'stale', found as Found, wantMeta)
      if (value instanceof Unstorable) {
        // Served as loaded (the codec cannot copy it either); every caller of this flight shares it.
        const out = value.value as T
        return wantMeta ? { value: out, meta: this.meta('miss', 'loader', fullKey, undefined, value.error) } : out
      }
      const out = this.p.isolation.output<T>(value)
      return wantMeta ? { value: out, meta: this.meta('miss', 'loader', fullKey, undefined) } : out
    } catch (error) {
      if (inGrace && !isAbort(error, options?.signal)) return this.served<T>(fullKey, 'grace', found, wantMeta, error)
      throw error
    }
  }

  /** getOrSet split in two: read now, store later only if nothing was invalidated in between. */
  async lookup<T>(key: string, options: LookupOptions | undefined): Promise<CacheLookup<T>> {
    const fullKey = this.p.fullKey(key)
    checkOptions(options)
    const fresh = this.freshL1(fullKey)
    if (fresh !== undefined) return this.hitOf<T>(fullKey, { entry: fresh, tier: 0 })
    const startedAt = this.p.order.stamp()
    const lookup = await this.p.tiers.read(fullKey, this.readHint(options?.tags), startedAt, 0)
    const found = lookup.found
    if (found !== undefined && found.entry.staleAt > this.p.clock.now()) return this.hitOf<T>(fullKey, found)
    this.p.events.counters.misses++
    this.p.events.hot?.record(fullKey)
    if (this.p.events.observed) this.p.events.emit({ type: 'miss', key, tier: 'loader', namespace: this.p.namespace })
    const versions = lookup.versions
    const fill = async (value: T, entryOptions?: EntryOptions): Promise<boolean> => {
      // Same validation as getOrSet: a bad ttl or tag is the caller's bug, not a cache failure.
      this.p.fullKey(key)
      checkOptions(entryOptions)
      const o = resolveOptions(entryOptions, this.p.defaults, this.p.base)
      let stored: unknown
      try {
        stored = this.p.isolation.input(value)
      } catch (error) {
        if (!isUnstorable(error)) throw error
        this.unstorable(key, value, error)
        return false
      }
      this.p.events.counters.loads++
      const tags = o.tags === undefined ? undefined : this.p.scope(o.tags)
      const entry = makeEntry(stored, startedAt, o, o.ttl, tags)
      this.p.sawLifetime(entry.expiresAt - entry.createdAt)
      if (!this.p.order.mayWrite(fullKey, entry.createdAt, entry.tags)) return false
      const written = await this.p.tiers.write(fullKey, entry, versions)
      return !written.refused && written.failed.length === 0
    }
    return { hit: false, fill }
  }

  private hitOf<T>(fullKey: string, found: Found): CacheLookup<T> {
    const { value, meta } = this.served<T>(fullKey, 'hit', found, true) as WithMeta<T>
    return { hit: true, value, meta }
  }

  /** Counts, reports and shapes a value served from a tier. */
  served<T>(
    fullKey: string,
    status: 'hit' | 'stale' | 'grace',
    found: Found,
    wantMeta: boolean,
    error?: unknown,
  ): T | WithMeta<T> {
    const events = this.events
    const c = events.counters
    events.hot?.record(fullKey)
    if (status === 'hit') c.hits[found.tier] = (c.hits[found.tier] ?? 0) + 1
    else if (status === 'stale') c.staleHits++
    else c.graceHits++
    if (events.observed) {
      const key = fullKey.slice(this.p.prefix.length)
      events.emit({ type: status, key, tier: this.tierName(found.tier), namespace: this.p.namespace })
    }
    const value = this.isolation.output<T>(found.entry.value)
    return wantMeta ? { value, meta: this.meta(status, this.tierName(found.tier), fullKey, found.entry, error) } : value
  }

  private tierName(index: number): string {
    return (this.p.tiers.guards[index] as TierGuard).name
  }

  meta(status: CacheStatus, tier: string, key: string, entry: StoreEntry | undefined, error?: unknown): CacheMeta {
    const now = this.p.clock.now()
    const meta: CacheMeta = {
      status,
      tier,
      key,
      ageMs: entry === undefined ? 0 : Math.max(0, now - entry.createdAt),
      ttlRemainingMs: entry === undefined ? 0 : entry.staleAt - now,
    }
    if (error !== undefined) meta.error = error
    return meta
  }

  /** What a shared tier is told to expect (so it can read the tags' records in the same round trip). */
  readHint(tags: readonly string[] | undefined): ReadHint | undefined {
    return tags !== undefined && tags.length > 0 && this.p.tiers.hasShared ? { tags: this.p.scope(tags) } : undefined
  }

  /**
   * The load in flight for a key, unless an invalidation landed after it began (possible when the
   * invalidation came between a caller's call and its flight's start): then a new load is due.
   */
  private joinable(fullKey: string): Flight | undefined {
    const flight = this.p.flights.get(fullKey)
    if (flight === undefined) return undefined
    if (this.p.order.mayWrite(fullKey, flight.startedAt, flight.tags)) return flight
    this.p.flights.invalidateKeys([fullKey])
    return undefined
  }

  private startFlight<T>(
    key: string,
    fullKey: string,
    loader: Loader<T>,
    o: ResolvedOptions,
    stale: StoreEntry | undefined,
    startedAt: number,
    versions: Flight['versions'],
  ): Flight {
    const tags = o.tags === undefined ? undefined : this.p.scope(o.tags)
    return this.p.flights.start(fullKey, tags, startedAt, versions, (flight) =>
      this.load(key, fullKey, loader, o, stale, flight),
    )
  }

  /** One load: optional distributed lock, the loader with its hard timeout, then the write-back. */
  private async load<T>(
    key: string,
    fullKey: string,
    loader: Loader<T>,
    o: ResolvedOptions,
    stale: StoreEntry | undefined,
    flight: Flight,
  ): Promise<unknown> {
    let lock: Lock | undefined
    try {
      if (this.p.lock !== undefined && this.p.tiers.hasShared) {
        lock = await this.acquireFlightLock(key, fullKey, o)
        if (lock !== undefined) {
          // Another process may have filled it while we waited; a later read is also a later version.
          const shared = this.p.tiers.guards.findIndex((t) => t.shared)
          const filled = await this.p.tiers.read(fullKey, this.readHint(o.tags), flight.startedAt, shared)
          if (filled.found !== undefined && filled.found.entry.staleAt > this.p.clock.now())
            return filled.found.entry.value
          if (filled.versions !== undefined) flight.versions = mergeVersions(flight.versions, filled.versions)
        }
      }
      let ttl = o.ttl
      let tags = o.tags
      let skip = false
      const started = this.p.clock.now()
      let value: unknown
      try {
        value = await this.p.flights.run(
          flight,
          o.hardTimeout,
          fullKey,
          (signal) => ({
            key,
            signal,
            stale: stale?.value,
            setTtl: (t) => {
              ttl = toMs(t, 'ttl')
            },
            addTags: (more) => {
              tags = [...(tags ?? []), ...more]
            },
            skip: () => {
              skip = true
            },
          }),
          loader,
        )
      } catch (error) {
        this.loadFailed(key, fullKey, o, error)
        throw error
      }
      this.p.events.counters.loads++
      this.failedUntil.delete(fullKey)
      if (this.p.events.observed)
        this.p.events.emit({ type: 'load', key, durationMs: this.p.clock.now() - started, namespace: this.p.namespace })
      let stored: unknown
      try {
        stored = this.p.isolation.input(value)
      } catch (error) {
        if (!isUnstorable(error)) throw error
        return this.unstorable(key, value, error)
      }
      if (!skip && !flight.invalidated) {
        const entry = makeEntry(stored, flight.startedAt, o, ttl, tags === undefined ? undefined : this.p.scope(tags))
        this.p.sawLifetime(entry.expiresAt - entry.createdAt)
        if (this.p.order.mayWrite(fullKey, entry.createdAt, entry.tags))
          await this.p.tiers.write(fullKey, entry, flight.versions)
      }
      return stored
    } finally {
      if (lock !== undefined)
        lock
          .release()
          .catch((error: unknown) =>
            this.p.events.emit({ type: 'lock-error', key, error, namespace: this.p.namespace }),
          )
    }
  }

  /**
   * Fail open, once, for every adapter: a value the codec cannot hold is served to its caller as
   * loaded (the loader is not run again), counted and reported, and not cached.
   */
  private unstorable(key: string, value: unknown, error: unknown): Unstorable {
    this.p.events.counters.unstorable++
    this.p.events.emit({ type: 'unstorable', key, error, namespace: this.p.namespace })
    return new Unstorable(value, error)
  }

  private loadFailed(key: string, fullKey: string, o: ResolvedOptions, error: unknown): void {
    this.p.events.counters.loadErrors++
    if (o.failureBackoff > 0) this.failedUntil.set(fullKey, this.p.clock.now() + o.failureBackoff)
    this.p.events.emit({ type: 'load-error', key, error, namespace: this.p.namespace })
  }

  /** Distributed single-flight: efficiency only, so any lock failure means "load it ourselves". */
  private async acquireFlightLock(key: string, fullKey: string, o: ResolvedOptions): Promise<Lock | undefined> {
    const lock = this.p.lock as NonNullable<GetOrSetParts['lock']>
    try {
      return await lock.locker.acquire(
        `${this.p.namespace}:sf:${fullKey.slice(this.p.prefix.length)}`,
        o.hardTimeout ?? lock.ttlMs,
        { waitMs: lock.waitMs },
      )
    } catch (error) {
      if (!isPerfError(error, 'LOCK_TIMEOUT'))
        this.p.events.emit({ type: 'lock-error', key, error, namespace: this.p.namespace })
      return undefined
    }
  }
}

/** A loaded value that could not be stored; flights carry it to their callers instead of a copy. */
class Unstorable {
  constructor(
    readonly value: unknown,
    readonly error: unknown,
  ) {}
}

/** Errors about the value itself (it cannot be encoded or copied, or is too large): the value is still good to serve. */
function isUnstorable(error: unknown): boolean {
  return isPerfError(error, 'UNSERIALIZABLE_VALUE') || isPerfError(error, 'VALUE_TOO_LARGE')
}

/** Builds the entry for a value whose load began at `createdAt` (`tags` already scoped). */
export function makeEntry(
  value: unknown,
  createdAt: number,
  o: ResolvedOptions,
  ttl: number,
  tags: readonly string[] | undefined,
): StoreEntry {
  const jitter = o.jitter > 0 ? Math.random() * o.jitter : 0
  const staleAt = createdAt + ttl + jitter
  const entry: StoreEntry = { value, createdAt, staleAt, expiresAt: staleAt + Math.max(o.swr, o.grace) }
  if (tags !== undefined && tags.length > 0) entry.tags = tags
  return entry
}

function mergeVersions(older: Flight['versions'], newer: readonly (string | undefined)[]): (string | undefined)[] {
  const out = [...(older ?? [])]
  newer.forEach((v, i) => {
    if (v !== undefined) out[i] = v
  })
  return out
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && (error === signal.reason || isPerfError(error, 'ABORTED'))
}
