import { randomUUID } from 'node:crypto'
import { PerfError, isPerfError } from '../../errors.js'
import { CoarseClock } from '../../util/coarse-clock.js'
import { systemClock, type Clock } from '../../util/clock.js'
import { assertInt } from '../../util/validate.js'
import { createCodec } from '../value/codec.js'
import type { Cache } from '../cache.js'
import type {
  BusMessage,
  CacheLookup,
  CacheOptions,
  CacheStats,
  EntryOptions,
  GetOptions,
  GetOrSetOptions,
  Loader,
  LookupOptions,
  StoreEntry,
  WarmEntry,
  WithMeta,
} from '../types.js'
import { BusSync } from './bus-sync.js'
import { CacheEvents } from './cache-events.js'
import { resolveOptions } from './entry-options.js'
import { cacheSettings } from './cache-settings.js'
import { Flights } from './flights.js'
import { GetOrSet, makeEntry } from './get-or-set.js'
import { Isolation } from './isolation.js'
import { LocalOrder } from './local-order.js'
import { PendingInvalidations } from './pending-invalidations.js'
import { SKIPPED, isThenable, type TierGuard } from './tier-guard.js'
import { TierStack, isEntry } from './tier-stack.js'
import { assertTagList, isWellFormed } from '../value/keys.js'
import { HotKeys, type HotKey } from '../hot/hot-keys.js'

/** Reads are sampled by default: a full tracker replaces a key on most reads of a wide key space. */
const HOT_KEYS_SAMPLE_RATE = 1 / 16

/** Hot keys are "hot now": counts cover the last one to two minutes unless `windowMs` says otherwise. */
const HOT_KEYS_WINDOW_MS = 60_000

/** Off unless asked for: the hit path pays nothing then (one property read). */
function hotKeysOf(option: CacheOptions['hotKeys'], clock: Clock): HotKeys | undefined {
  if (option === undefined || option === false || option === 0) return undefined
  const defaults = { sampleRate: HOT_KEYS_SAMPLE_RATE, windowMs: HOT_KEYS_WINDOW_MS, clock }
  if (typeof option === 'object' && option !== null) return new HotKeys({ ...defaults, ...option })
  return new HotKeys({ ...defaults, capacity: assertInt(option, 'hotKeys', 0) })
}

/** A bus message without what every message of this instance carries. */
type MessageBody = BusMessage extends infer M
  ? M extends BusMessage
    ? Omit<M, 'namespace' | 'at' | 'source'>
    : never
  : never

/**
 * The {@link Cache} behind `createCache`: the public methods, each a few lines over the parts
 * that do the work (tier stack, get-or-set, local order, pending invalidations, bus sync,
 * isolation, events).
 * @internal
 */
export class CacheEngine implements Cache {
  readonly namespace: string
  readonly instanceId: string = randomUUID()
  private readonly prefix: string
  private readonly settings: ReturnType<typeof cacheSettings>
  private readonly clock: Clock
  private readonly coarseClock: CoarseClock
  private readonly order: LocalOrder
  private readonly flights = new Flights()
  private readonly events: CacheEvents
  private readonly isolation: Isolation
  private readonly tiers: TierStack
  private readonly pending: PendingInvalidations
  private readonly bus: BusSync
  private readonly getOrSetter: GetOrSet
  private maxLifetime: number
  private readonly maxKeyLength: number
  private closed = false

  constructor(options: CacheOptions = {}) {
    const s = cacheSettings(options)
    this.settings = s
    this.namespace = s.namespace
    this.maxKeyLength = s.maxKeyLength
    this.prefix = `${s.namespace}:`
    const clock = options.clock ?? systemClock
    this.clock = clock
    this.coarseClock = new CoarseClock(clock)
    this.order = new LocalOrder(clock, s.maxTags)
    this.maxLifetime = s.defaults.ttl + Math.max(s.defaults.swr, s.defaults.grace)
    const codec = options.codec ?? createCodec()
    // Tiers report through events, which need the tier count: build the guards' callback lazily.
    let events: CacheEvents | undefined
    const report = (tier: string, operation: string, error: unknown): void => events?.tierFailed(tier, operation, error)
    this.pending = new PendingInvalidations(
      {
        deleteKeys: (keys) => this.tiers.delete(keys, true),
        invalidateTags: (tags) => this.tiers.invalidateTags(tags, true),
        clear: () => this.tiers.clear(this.prefix, true),
        publish: (message) => this.bus.publish(message),
      },
      clock,
      () => this.maxLifetime,
      (landed) =>
        events?.emit({ type: 'invalidation-retry', landed, pending: this.pending.size, namespace: this.namespace }),
    )
    this.isolation = new Isolation(codec, options.isolate ?? true)
    this.tiers = new TierStack(
      options.tiers,
      { ...s.guard, clock, onError: report },
      { clock, order: this.order, pending: this.pending, isolation: this.isolation, localMaxAgeMs: s.localMaxAgeMs },
    )
    this.isolation.serializes = this.tiers.serializes
    const hot = hotKeysOf(options.hotKeys, clock)
    events = new CacheEvents(this.namespace, options.onEvent, this.tiers.guards.length, hot)
    this.events = events
    this.bus = new BusSync(options.bus, this.instanceId, this.prefix, {
      order: this.order,
      flights: this.flights,
      tiers: this.tiers,
      events,
    })
    this.getOrSetter = new GetOrSet({
      namespace: this.namespace,
      prefix: this.prefix,
      clock,
      coarseClock: this.coarseClock,
      tiers: this.tiers,
      order: this.order,
      flights: this.flights,
      isolation: this.isolation,
      events,
      defaults: s.defaults,
      base: s.base,
      lock: options.lock === undefined ? undefined : { locker: options.lock, waitMs: s.lockWaitMs, ttlMs: s.lockTtlMs },
      fullKey: (key) => this.fullKey(key),
      hitKey: this.hitKey,
      scope: (tags) => this.scope(tags),
      sawLifetime: (ms) => {
        if (ms > this.maxLifetime) this.maxLifetime = ms
      },
    })
  }

  /** Resolves once the bus subscription (if any) is live. */
  ready(): Promise<void> {
    return this.bus.ready()
  }

  getOrSet<T>(key: string, loader: Loader<T>, options: GetOrSetOptions & { meta: true }): Promise<WithMeta<T>>
  getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T>
  getOrSet<T>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T | WithMeta<T>> {
    return this.getOrSetter.run(key, loader, options)
  }

  lookup<T>(key: string, options?: LookupOptions): Promise<CacheLookup<T>> {
    return this.getOrSetter.lookup<T>(key, options)
  }

  get<T>(key: string, options: GetOptions & { meta: true }): Promise<WithMeta<T> | undefined>
  get<T>(key: string, options?: GetOptions): Promise<T | undefined>
  async get<T>(key: string, options?: GetOptions): Promise<T | WithMeta<T> | undefined> {
    const fullKey = this.fullKey(key)
    const g = this.getOrSetter
    const hit = g.freshL1(fullKey)
    if (hit !== undefined) return g.served<T>(fullKey, 'hit', { entry: hit, tier: 0 }, options?.meta === true)
    const { found } = await this.tiers.read(fullKey, undefined, this.order.stamp())
    const now = this.clock.now()
    if (found === undefined || (found.entry.staleAt <= now && options?.allowStale !== true)) {
      this.events.counters.misses++
      this.events.hot?.record(fullKey)
      if (this.events.observed) this.events.emit({ type: 'miss', key, tier: 'none', namespace: this.namespace })
      return undefined
    }
    return g.served<T>(fullKey, found.entry.staleAt > now ? 'hit' : 'stale', found, options?.meta === true)
  }

  async getMany<T>(keys: readonly string[], options?: GetOptions): Promise<(T | undefined)[]> {
    if (typeof keys === 'string')
      throw new PerfError('INVALID_ARGUMENT', '[perf:cache] getMany() needs an array of keys, got a string (use get())')
    this.assertOpen()
    const fullKeys = this.settings.assertKeys(keys).map((k) => this.prefix + k)
    const out: (T | undefined)[] = new Array<T | undefined>(keys.length).fill(undefined)
    const startedAt = this.order.stamp()
    let pending = fullKeys.map((_, i) => i)
    for (let t = 0; t < this.tiers.guards.length && pending.length > 0; t++) {
      const tier = this.tiers.guards[t] as TierGuard
      const asked = tier.shared
        ? pending.filter((i) => !this.pending.blocks(fullKeys[i] as string, undefined))
        : pending
      let result =
        asked.length === 0 ? [] : tier.call('getMany', (s) => s.getMany(asked.map((i) => fullKeys[i] as string)))
      if (isThenable(result)) result = await result
      if (result === SKIPPED) continue
      const entries = Array.isArray(result) ? (result as unknown[]) : []
      const served = new Set<number>()
      for (let j = 0; j < asked.length; j++) {
        const i = asked[j] as number
        const fullKey = fullKeys[i] as string
        const entry = entries[j]
        const now = this.clock.now()
        if (entry === undefined) continue
        if (isEntry(entry) && entry.staleAt <= now && options?.allowStale !== true) continue
        if (!(await this.tiers.accept(t, 'getMany', fullKey, entry, startedAt, undefined))) continue
        const found = { entry: entry as StoreEntry, tier: t }
        out[i] = this.getOrSetter.served<T>(fullKey, found.entry.staleAt > now ? 'hit' : 'stale', found, false) as T
        served.add(i)
      }
      pending = pending.filter((i) => !served.has(i))
    }
    this.events.counters.misses += pending.length
    const hot = this.events.hot
    if (hot !== undefined) for (const i of pending) hot.record(fullKeys[i] as string)
    if (this.events.observed) {
      for (const i of pending)
        this.events.emit({ type: 'miss', key: keys[i] as string, tier: 'none', namespace: this.namespace })
    }
    return out
  }

  async set(key: string, value: unknown, options?: EntryOptions): Promise<void> {
    const fullKey = this.fullKey(key)
    const o = resolveOptions(options, this.settings.defaults, this.settings.base)
    const stored = this.isolation.input(value)
    this.order.invalidateKeys([fullKey])
    this.flights.invalidateKeys([fullKey])
    const entry = makeEntry(stored, this.order.stamp(), o, o.ttl, o.tags === undefined ? undefined : this.scope(o.tags))
    if (entry.expiresAt - entry.createdAt > this.maxLifetime) this.maxLifetime = entry.expiresAt - entry.createdAt
    const { failed } = await this.tiers.write(fullKey, entry, 'direct')
    // A shared tier that missed the write still holds the old value, which the bus message below
    // would send other instances to read: delete it there, or keep retrying until it is gone.
    if (failed.length > 0 && !(await this.tiers.delete([fullKey], true))) this.pending.addKeys([fullKey])
    this.events.counters.sets++
    if (this.events.observed) this.events.emit({ type: 'set', key, namespace: this.namespace })
    await this.publish({ type: 'delete', keys: [fullKey] })
  }

  async delete(keys: string | readonly string[]): Promise<void> {
    this.assertOpen()
    const fullKeys = this.settings.assertKeys(keys).map((k) => this.prefix + k)
    if (fullKeys.length === 0) return
    this.order.invalidateKeys(fullKeys)
    this.flights.invalidateKeys(fullKeys)
    if (!(await this.tiers.delete(fullKeys))) this.pending.addKeys(fullKeys)
    this.events.counters.deletes += fullKeys.length
    if (this.events.observed)
      for (const k of fullKeys)
        this.events.emit({ type: 'delete', key: k.slice(this.prefix.length), namespace: this.namespace })
    await this.publish({ type: 'delete', keys: fullKeys })
  }

  async invalidateTags(tags: string | readonly string[]): Promise<void> {
    this.assertOpen()
    const list = assertTagList(tags)
    if (list.length === 0) return
    const scoped = this.scope(list)
    this.order.invalidateTags(scoped)
    this.flights.invalidateTags(scoped)
    if (!(await this.tiers.invalidateTags(scoped))) this.pending.addTags(scoped)
    this.events.emit({ type: 'invalidate-tags', tags: list, namespace: this.namespace })
    await this.publish({ type: 'tags', tags: scoped })
  }

  async clear(): Promise<void> {
    this.assertOpen()
    this.order.invalidateAll()
    this.flights.invalidateAll()
    if (!(await this.tiers.clear(this.prefix))) this.pending.addClear()
    this.events.emit({ type: 'clear', namespace: this.namespace })
    await this.publish({ type: 'clear' })
  }

  async warm(
    entries: Iterable<WarmEntry> | AsyncIterable<WarmEntry>,
    options: { concurrency?: number } = {},
  ): Promise<number> {
    const concurrency = assertInt(options.concurrency ?? 8, 'concurrency', 1)
    const iterator = (
      Symbol.asyncIterator in entries
        ? entries[Symbol.asyncIterator]()
        : (entries as Iterable<WarmEntry>)[Symbol.iterator]()
    ) as AsyncIterator<WarmEntry> | Iterator<WarmEntry>
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
          this.events.emit({ type: 'load-error', key, error, namespace: this.namespace })
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    return warmed
  }

  stats(): CacheStats {
    return { ...this.events.stats(this.tiers.guards), pendingInvalidations: this.pending.size }
  }

  hotKeys(top?: number): HotKey[] {
    const hot = this.events.hot
    if (hot === undefined) return []
    const at = this.prefix.length
    return hot.top(top).map((h) => ({ ...h, key: h.key.slice(at) }))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.flights.abortAll(
      new PerfError('CACHE_CLOSED', `[perf:cache] cache "${this.namespace}" closed during the load`),
    )
    // One last try for what is still pending; what does not land now is reported, not kept.
    if (this.pending.size > 0) await this.pending.flushNow().catch(() => undefined)
    this.pending.close()
    await this.bus.close()
    for (const tier of this.tiers.owned) await tier.store.close?.()
    this.coarseClock.close()
  }

  /** Validates a user key and returns it with the namespace. @throws PerfError INVALID_KEY, KEY_TOO_LONG, CACHE_CLOSED */
  private fullKey(key: string): string {
    // The common case first (this runs on every hit); anything else gets the full checks and their typed errors.
    const plain = this.hitKey(key)
    if (plain !== undefined && isWellFormed(key)) return plain
    this.assertOpen()
    return this.prefix + this.settings.assertKey(key)
  }

  /** The namespaced key of a plain key of an allowed length while open, well-formedness unchecked; else undefined. */
  private readonly hitKey = (key: string): string | undefined =>
    typeof key === 'string' && key.length !== 0 && key.length <= this.maxKeyLength && !this.closed
      ? this.prefix + key
      : undefined

  private assertOpen(): void {
    if (this.closed) throw new PerfError('CACHE_CLOSED', `[perf:cache] cache "${this.namespace}" is closed`)
  }

  /** Tags as tiers, the local order and the bus see them: namespace-scoped, so two caches sharing a Redis never cross. */
  private scope(tags: readonly string[]): string[] {
    return tags.map((tag) => this.prefix + tag)
  }

  /**
   * Publishes from this instance (the time is informational: receivers order by their own clock);
   * a message the bus did not take is retried (other instances' local copies depend on it).
   */
  private async publish(body: MessageBody): Promise<void> {
    const message = { ...body, namespace: this.namespace, at: Date.now(), source: this.instanceId } as BusMessage
    if (!(await this.bus.publish(message))) this.pending.addMessage(message)
  }
}
