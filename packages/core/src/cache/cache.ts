import { PerfError, isPerfError } from '../errors.js'
import { toMs } from '../util/duration.js'
import { assertInt } from '../util/validate.js'
import { CacheBase, type Found } from './cache-base.js'
import { checkOptions, resolveOptions, type ResolvedOptions } from './entry-options.js'
import { Flights, type Flight } from './flights.js'
import { TagRegistry } from './tag-registry.js'
import { SKIPPED, type TierGuard } from './tier-guard.js'
import type {
  BusMessage,
  CacheOptions,
  EntryOptions,
  GetOptions,
  GetOrSetOptions,
  InvalidationBus,
  Loader,
  StoreEntry,
  WarmEntry,
  WithMeta,
} from './types.js'
import type { Lock, Locker } from '../lock/types.js'

/**
 * A tiered cache: in-process L1 first, shared tiers (Redis) after, with single-flight loads,
 * stale-while-revalidate, fail-safe grace, soft and hard timeouts, O(1) tag invalidation and an
 * optional bus that keeps other instances' L1 coherent. Build one with {@link createCache}.
 */
export class Cache extends CacheBase {
  private readonly flights: Flights
  private readonly bus: InvalidationBus | undefined
  private readonly lock: Locker | undefined
  private readonly lockWaitMs: number
  private readonly lockTtlMs: number
  private unsubscribe: Promise<(() => Promise<void>) | undefined> | undefined
  /**
   * When keys were last deleted or overwritten, so a load that began earlier does not write back.
   * Bounded; an evicted record only makes older loads skip their write (never a stale read).
   */
  private readonly keyInvalidations = new TagRegistry(10_000)
  /** Keys whose last load failed: until when the loader is not called again while a grace value exists. */
  private readonly failedUntil = new Map<string, number>()

  constructor(options: CacheOptions = {}) {
    super(options)
    this.flights = new Flights(this.clock)
    this.bus = options.bus
    this.lock = options.lock
    this.lockWaitMs = toMs(options.lockWaitMs ?? '5s', 'lockWaitMs', 'INVALID_OPTION')
    this.lockTtlMs = toMs(options.lockTtlMs ?? '10s', 'lockTtlMs', 'INVALID_OPTION')
    if (this.bus !== undefined) this.unsubscribe = this.subscribe(this.bus)
  }

  /** Resolves once the bus subscription (if any) is live. */
  async ready(): Promise<void> {
    await this.unsubscribe
  }

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
  getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T | WithMeta<T>> {
    let fullKey: string
    try {
      fullKey = this.fullKey(key)
      checkOptions(options)
      if (typeof loader !== 'function') throw new PerfError('INVALID_ARGUMENT', '[perf:cache] getOrSet() needs a loader function')
    } catch (error) {
      return Promise.reject(error)
    }
    if (options?.forceRefresh !== true) {
      const entry = this.freshL1(fullKey)
      if (entry !== undefined) return Promise.resolve(this.served<T>(fullKey, 'hit', { entry, tier: 0 }, options?.meta === true))
    }
    return this.getOrSetSlow(key, fullKey, loader, resolveOptions(options, this.defaults, this.base), options)
  }

  /**
   * Fast path: a fresh entry from a synchronous L1, read with no resolved options, closures or
   * awaits. Undefined when L1 is asynchronous, misses, or holds something stale or invalidated.
   */
  private freshL1(fullKey: string): StoreEntry | undefined {
    const l1 = this.tiers[0] as TierGuard
    if (!l1.direct) return undefined
    let entry: StoreEntry | undefined
    try {
      entry = l1.store.get(fullKey) as StoreEntry | undefined
    } catch (error) {
      l1.report('get', error)
      return undefined
    }
    if (entry === undefined || typeof (entry as unknown as Promise<unknown>).then === 'function') return undefined
    return entry.staleAt > this.coarseClock.now() && this.isValid(entry) ? entry : undefined
  }

  private async getOrSetSlow<T>(key: string, fullKey: string, loader: Loader<T>, o: ResolvedOptions, options: GetOrSetOptions | undefined): Promise<T | WithMeta<T>> {
    const wantMeta = options?.meta === true
    // The load "begins" when the caller asks, before any tier is read: an invalidation issued
    // after this call can never be undone by what this call loads.
    const startedAt = this.stamp()
    const found = options?.forceRefresh === true ? undefined : await this.lookup(fullKey, 0, this.readHint(o.tags))
    const now = this.clock.now()
    if (found !== undefined && found.entry.staleAt > now) return this.served<T>(fullKey, 'hit', found, wantMeta)
    const staleFor = found === undefined ? Number.POSITIVE_INFINITY : now - found.entry.staleAt
    if (found !== undefined && staleFor < o.swr) {
      this.joinable(fullKey) ?? this.startFlight(key, fullKey, loader, o, found.entry, startedAt)
      return this.served<T>(fullKey, 'stale', found, wantMeta)
    }
    const inGrace = found !== undefined && staleFor < o.grace
    if (inGrace && (this.failedUntil.get(fullKey) ?? 0) > now) return this.served<T>(fullKey, 'grace', found, wantMeta)

    this.counters.misses++
    if (this.observed) this.emit({ type: 'miss', key, tier: 'loader', namespace: this.namespace })
    const flight = this.joinable(fullKey) ?? this.startFlight(key, fullKey, loader, o, found?.entry, startedAt)
    const servable = found !== undefined && staleFor < Math.max(o.swr, o.grace)
    try {
      const soft = servable && o.timeout !== undefined ? o.timeout : undefined
      const value = await this.flights.wait(flight, soft, options?.signal)
      if (value === Flights.SOFT_TIMEOUT) return this.served<T>(fullKey, 'stale', found as Found, wantMeta)
      const out = this.output<T>(value)
      return wantMeta ? { value: out, meta: this.meta('miss', 'loader', fullKey, undefined) } : out
    } catch (error) {
      if (inGrace && !isAbort(error, options?.signal)) return this.served<T>(fullKey, 'grace', found, wantMeta, error)
      throw error
    }
  }

  /** Counts, reports and shapes a value served from a tier. */
  private served<T>(fullKey: string, status: 'hit' | 'stale' | 'grace', found: Found, wantMeta: boolean, error?: unknown): T | WithMeta<T> {
    const c = this.counters
    if (status === 'hit') c.hits[found.tier] = (c.hits[found.tier] ?? 0) + 1
    else if (status === 'stale') c.staleHits++
    else c.graceHits++
    const tier = (this.tiers[found.tier] as TierGuard).name
    if (this.observed) this.emit({ type: status, key: fullKey.slice(this.prefix.length), tier, namespace: this.namespace })
    const value = this.output<T>(found.entry.value)
    return wantMeta ? { value, meta: this.meta(status, tier, fullKey, found.entry, error) } : value
  }

  /**
   * The load in flight for a key, unless an invalidation landed after it began (possible when
   * the invalidation came between a caller's call and its flight's start): then a new load is due.
   */
  private joinable(fullKey: string): Flight | undefined {
    const flight = this.flights.get(fullKey)
    if (flight === undefined) return undefined
    const invalidatedAt = Math.max(this.keyInvalidations.latest([fullKey]), this.registry.latest(flight.tags), this.clearedAt)
    if (flight.startedAt > invalidatedAt) return flight
    this.flights.invalidateKeys([fullKey])
    return undefined
  }

  private startFlight<T>(key: string, fullKey: string, loader: Loader<T>, o: ResolvedOptions, stale: StoreEntry | undefined, startedAt: number): Flight {
    return this.flights.start(fullKey, o.tags === undefined ? undefined : this.scopeTags(o.tags), startedAt, (flight) => this.runFlight(key, fullKey, loader, o, stale, flight))
  }

  /** One load: optional distributed lock, the loader with its hard timeout, then write-through. */
  private async runFlight<T>(key: string, fullKey: string, loader: Loader<T>, o: ResolvedOptions, stale: StoreEntry | undefined, flight: Flight): Promise<unknown> {
    let lock: Lock | undefined
    try {
      if (this.lock !== undefined && this.hasShared) {
        lock = await this.acquireFlightLock(key, fullKey, o)
        if (lock !== undefined) {
          const filled = await this.lookup(fullKey, this.tiers.findIndex((t) => t.shared), this.readHint(o.tags))
          if (filled !== undefined && filled.entry.staleAt > this.clock.now()) return filled.entry.value
        }
      }
      let ttl = o.ttl
      let tags = o.tags
      let skip = false
      const started = this.clock.now()
      let value: unknown
      try {
        value = await this.flights.run(flight, o.hardTimeout, fullKey, (signal) => ({
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
        }), loader)
      } catch (error) {
        this.loadFailed(key, fullKey, o, error)
        throw error
      }
      this.counters.loads++
      this.failedUntil.delete(fullKey)
      if (this.observed) this.emit({ type: 'load', key, durationMs: this.clock.now() - started, namespace: this.namespace })
      const stored = this.input(value)
      if (!skip && !flight.invalidated) {
        const entry = this.makeEntry(stored, flight.startedAt, o, ttl, tags)
        // A key, tag or namespace invalidation that landed during the load wins over its result.
        if (this.isValid(entry) && this.keyInvalidations.latest([fullKey]) < entry.createdAt) await this.writeTiers(fullKey, entry)
      }
      return stored
    } finally {
      if (lock !== undefined) lock.release().catch((error: unknown) => this.emit({ type: 'lock-error', key, error, namespace: this.namespace }))
    }
  }

  private loadFailed(key: string, fullKey: string, o: ResolvedOptions, error: unknown): void {
    this.counters.loadErrors++
    if (o.failureBackoff > 0) {
      this.failedUntil.delete(fullKey)
      this.failedUntil.set(fullKey, this.clock.now() + o.failureBackoff)
      // Bounded: the oldest throttles go first.
      if (this.failedUntil.size > 10_000) this.failedUntil.delete(this.failedUntil.keys().next().value as string)
    }
    this.emit({ type: 'load-error', key, error, namespace: this.namespace })
  }

  /** Distributed single-flight: efficiency only, so any lock failure means "load it ourselves". */
  private async acquireFlightLock(key: string, fullKey: string, o: ResolvedOptions): Promise<Lock | undefined> {
    try {
      return await (this.lock as Locker).acquire(`${this.namespace}:sf:${fullKey.slice(this.prefix.length)}`, o.hardTimeout ?? this.lockTtlMs, {
        waitMs: this.lockWaitMs,
      })
    } catch (error) {
      if (!isPerfError(error, 'LOCK_TIMEOUT')) this.emit({ type: 'lock-error', key, error, namespace: this.namespace })
      return undefined
    }
  }

  /**
   * Reads `key` from the tiers without loading. Returns undefined when absent, invalidated or
   * stale (unless `allowStale`).
   */
  get<T>(key: string, options: GetOptions & { meta: true }): Promise<WithMeta<T> | undefined>
  get<T>(key: string, options?: GetOptions): Promise<T | undefined>
  async get<T>(key: string, options?: GetOptions): Promise<T | WithMeta<T> | undefined> {
    const fullKey = this.fullKey(key)
    const hit = this.freshL1(fullKey)
    if (hit !== undefined) return this.served<T>(fullKey, 'hit', { entry: hit, tier: 0 }, options?.meta === true)
    const found = await this.lookup(fullKey)
    if (found === undefined || (found.entry.staleAt <= this.clock.now() && options?.allowStale !== true)) {
      this.counters.misses++
      return undefined
    }
    const status = found.entry.staleAt > this.clock.now() ? 'hit' : 'stale'
    return this.served<T>(fullKey, status, found, options?.meta === true)
  }

  /** Reads many keys; same length and order as `keys`, undefined for misses. One call per tier for the misses of the tier above. */
  async getMany<T>(keys: readonly string[], options?: GetOptions): Promise<(T | undefined)[]> {
    const fullKeys = keys.map((k) => this.fullKey(k))
    const out: (T | undefined)[] = new Array<T | undefined>(keys.length).fill(undefined)
    let pending = fullKeys.map((_, i) => i)
    for (let t = 0; t < this.tiers.length && pending.length > 0; t++) {
      const tier = this.tiers[t] as TierGuard
      let result = tier.call('getMany', (s) => s.getMany(pending.map((i) => fullKeys[i] as string)))
      if (typeof (result as Promise<unknown>)?.then === 'function') result = await result
      if (result === SKIPPED) continue
      const entries = result as (StoreEntry | undefined)[]
      const missing: number[] = []
      for (let j = 0; j < pending.length; j++) {
        const i = pending[j] as number
        const entry = entries[j]
        const now = this.clock.now()
        if (entry === undefined || entry.expiresAt <= now || !this.isValid(entry) || (entry.staleAt <= now && options?.allowStale !== true)) {
          missing.push(i)
          continue
        }
        if (t > 0) await this.writeTiers(fullKeys[i] as string, entry, t)
        out[i] = this.served<T>(fullKeys[i] as string, entry.staleAt > now ? 'hit' : 'stale', { entry, tier: t }, false) as T
      }
      pending = missing
    }
    this.counters.misses += pending.length
    return out
  }

  /**
   * Stores `value` under `key` in every tier and tells other instances to drop their copy.
   * @throws PerfError INVALID_KEY, INVALID_TTL, UNSERIALIZABLE_VALUE (nothing is written then)
   */
  async set(key: string, value: unknown, options?: EntryOptions): Promise<void> {
    const fullKey = this.fullKey(key)
    const o = resolveOptions(options, this.defaults, this.base)
    const stored = this.input(value)
    const at = this.stamp()
    this.invalidateKeysLocally([fullKey], at)
    const skipped = await this.writeTiers(fullKey, this.makeEntry(stored, this.stamp(), o))
    // A shared tier that missed the write still holds the old value, and the bus message below
    // makes other instances read it: delete it there (a tombstone at `at`) before publishing.
    await Promise.all(skipped.filter((t) => t.shared).map((t) => t.call('delete', (s) => s.delete([fullKey], at))))
    this.counters.sets++
    if (this.observed) this.emit({ type: 'set', key, namespace: this.namespace })
    await this.publish({ type: 'delete', namespace: this.namespace, keys: [fullKey], at, source: this.instanceId })
  }

  /** Deletes keys from every tier (and, through the bus, from every instance's L1). Loads in flight for them are not cached. */
  async delete(keys: string | readonly string[]): Promise<void> {
    const fullKeys = (typeof keys === 'string' ? [keys] : keys).map((k) => this.fullKey(k))
    if (fullKeys.length === 0) return
    const at = this.stamp()
    this.invalidateKeysLocally(fullKeys, at)
    await this.eachTier('delete', (s) => s.delete(fullKeys, at))
    this.counters.deletes += fullKeys.length
    if (this.observed) for (const k of fullKeys) this.emit({ type: 'delete', key: k.slice(this.prefix.length), namespace: this.namespace })
    await this.publish({ type: 'delete', namespace: this.namespace, keys: fullKeys, at, source: this.instanceId })
  }

  /** Invalidates every entry carrying one of `tags`, in O(1) per tag, here and (through shared tiers and the bus) everywhere. */
  async invalidateTags(tags: string | readonly string[]): Promise<void> {
    if (this.closed) throw new PerfError('CACHE_CLOSED', `[perf:cache] cache "${this.namespace}" is closed`)
    const list = typeof tags === 'string' ? [tags] : [...tags]
    resolveOptions({ tags: list }, this.defaults, this.base)
    if (list.length === 0) return
    const at = this.stamp()
    const scoped = this.scopeTags(list)
    this.registry.invalidate(scoped, at)
    this.flights.invalidateTags(scoped)
    await this.eachTier('invalidateTags', (s) => s.invalidateTags?.(scoped, at), (t) => t.supportsTags)
    this.emit({ type: 'invalidate-tags', tags: list, namespace: this.namespace })
    await this.publish({ type: 'tags', namespace: this.namespace, tags: scoped, at, source: this.instanceId })
  }

  /** Removes every entry of this namespace from every tier and every instance. */
  async clear(): Promise<void> {
    if (this.closed) throw new PerfError('CACHE_CLOSED', `[perf:cache] cache "${this.namespace}" is closed`)
    const at = this.stamp()
    this.clearedAt = at
    this.flights.invalidateAll()
    await this.eachTier('clear', (s) => s.clear(this.prefix))
    this.emit({ type: 'clear', namespace: this.namespace })
    await this.publish({ type: 'clear', namespace: this.namespace, at, source: this.instanceId })
  }

  /**
   * Pre-populates entries with bounded concurrency: values are stored, loaders run through
   * getOrSet. Returns how many entries were warmed; failures are reported as load errors.
   */
  async warm(entries: Iterable<WarmEntry> | AsyncIterable<WarmEntry>, options: { concurrency?: number } = {}): Promise<number> {
    const concurrency = assertInt(options.concurrency ?? 8, 'concurrency', 1)
    const iterator = (Symbol.asyncIterator in entries ? entries[Symbol.asyncIterator]() : (entries as Iterable<WarmEntry>)[Symbol.iterator]()) as AsyncIterator<WarmEntry> | Iterator<WarmEntry>
    let warmed = 0
    const worker = async (): Promise<void> => {
      for (;;) {
        const next = await iterator.next()
        if (next.done === true) return
        const { key, value, loader, options: entryOptions } = next.value
        try {
          if (loader !== undefined) await this.getOrSet(key, loader, { ...entryOptions, forceRefresh: true })
          else await this.set(key, value, entryOptions)
          warmed++
        } catch (error) {
          if (isPerfError(error) && error.code !== 'LOADER_TIMEOUT') throw error
          this.emit({ type: 'load-error', key, error, namespace: this.namespace })
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    return warmed
  }

  /** Stops the bus subscription, aborts loads in flight and closes the tiers the cache created itself. Further calls reject with CACHE_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.flights.abortAll(new PerfError('CACHE_CLOSED', `[perf:cache] cache "${this.namespace}" closed during the load`))
    const unsubscribe = await this.unsubscribe?.catch(() => undefined)
    await unsubscribe?.().catch(() => undefined)
    for (const tier of this.ownedTiers) await tier.store.close?.()
    this.coarseClock.close()
  }

  /** Loads in flight for these keys (or that began before `at`) will not write their result. */
  private invalidateKeysLocally(fullKeys: readonly string[], at: number): void {
    this.keyInvalidations.invalidate(fullKeys, at)
    this.flights.invalidateKeys(fullKeys)
  }

  private async eachTier(operation: string, fn: (s: TierGuard['store']) => unknown, filter: (t: TierGuard) => boolean = () => true): Promise<void> {
    await Promise.all(this.tiers.filter(filter).map((t) => t.call(operation, fn as never)))
  }

  private async publish(message: BusMessage): Promise<void> {
    if (this.bus === undefined) return
    try {
      await this.bus.publish(message)
    } catch (error) {
      this.emit({ type: 'bus-error', error, namespace: this.namespace })
    }
  }

  private async subscribe(bus: InvalidationBus): Promise<(() => Promise<void>) | undefined> {
    try {
      return await bus.subscribe({ onMessage: (m) => this.onBusMessage(m), onGap: () => this.onBusGap() })
    } catch (error) {
      this.emit({ type: 'bus-error', error, namespace: this.namespace })
      return undefined
    }
  }

  private onBusMessage(message: BusMessage): void {
    if (message.source === this.instanceId || message.namespace !== this.namespace || this.closed) return
    const local = this.tiers.filter((t) => !t.shared)
    if (message.type === 'delete') {
      this.invalidateKeysLocally(message.keys, message.at)
      for (const t of local) void t.call('delete', (s) => s.delete(message.keys, message.at))
    } else if (message.type === 'tags') {
      this.registry.invalidate(message.tags, message.at)
      this.flights.invalidateTags(message.tags)
    } else {
      if (message.at > this.clearedAt) this.clearedAt = message.at
      this.flights.invalidateAll()
      for (const t of local) void t.call('clear', (s) => s.clear(this.prefix))
    }
  }

  /** Messages may have been lost: drop what the local tiers hold, since nothing can vouch for it. */
  private onBusGap(): void {
    this.emit({ type: 'bus-gap', namespace: this.namespace })
    for (const t of this.tiers) if (!t.shared) void t.call('clear', (s) => s.clear(this.prefix))
  }
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && (error === signal.reason || isPerfError(error, 'ABORTED'))
}

/**
 * Creates a {@link Cache}.
 *
 * @example
 * const cache = createCache({ tiers: [new MemoryStore(), redisStore(redis)], bus: redisBus(redis), defaultTtl: '1m' })
 * @throws PerfError INVALID_OPTION naming the option
 */
export function createCache(options: CacheOptions = {}): Cache {
  return new Cache(options)
}

