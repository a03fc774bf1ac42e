import diagnosticsChannel from 'node:diagnostics_channel'
import { randomUUID } from 'node:crypto'
import { PerfError } from '../errors.js'
import { systemClock, type Clock } from '../util/clock.js'
import { CHANNELS } from '../util/diagnostics.js'
import { COARSE_RESOLUTION_MS, CoarseClock } from '../util/coarse-clock.js'
import { toMs } from '../util/duration.js'
import { assertInt } from '../util/validate.js'
import { createCodec } from './codec.js'
import { CopyPlanner, type Copier } from './copy-plan.js'
import { baseOptions, type OptionDefaults, type ResolvedOptions } from './entry-options.js'
import { MemoryStore } from './memory-store.js'
import { TagRegistry } from './tag-registry.js'
import { SKIPPED, TierGuard } from './tier-guard.js'
import type { CacheEvent, CacheMeta, CacheOptions, CacheStats, CacheStatus, Codec, ReadHint, StoreEntry } from './types.js'

/** An entry found in a tier, and which tier answered. */
export interface Found {
  entry: StoreEntry
  tier: number
}

const channel = diagnosticsChannel.channel(CHANNELS.cache)

/**
 * State and tier plumbing shared by the public {@link Cache} methods: option defaults, the
 * guarded tiers, validity checks (tags, clears), write-through, value isolation, stats, events.
 * @internal
 */
export abstract class CacheBase {
  /** Prefix of every key this cache writes. */
  readonly namespace: string
  /** Identifies this instance on the bus (its own messages are ignored). */
  readonly instanceId: string = randomUUID()
  protected readonly prefix: string
  protected readonly tiers: TierGuard[]
  protected readonly ownedTiers: TierGuard[] = []
  protected readonly codec: Codec
  protected readonly isolate: boolean
  protected readonly clock: Clock
  /** For the hit path's freshness check only (reads may be up to ~1 ms late); ordering uses `clock`. */
  protected readonly coarseClock: CoarseClock
  protected readonly registry: TagRegistry
  protected readonly defaults: OptionDefaults
  protected readonly base: ResolvedOptions
  protected readonly maxKeyLength: number
  protected readonly localMaxAge: number
  protected readonly hasShared: boolean
  protected readonly serializes: boolean
  /** Copy plans of stored values, so isolated hits copy by structure instead of walking. */
  private readonly copiers = new WeakMap<object, Copier>()
  private readonly planner: CopyPlanner
  protected readonly onEventOption: ((event: CacheEvent) => void) | undefined
  /** Invalidation time of the whole namespace (clear()); entries created before it are misses. */
  protected clearedAt = 0
  protected closed = false
  private lastStamp = 0
  protected readonly counters = {
    hits: [] as number[],
    misses: 0,
    staleHits: 0,
    graceHits: 0,
    loads: 0,
    loadErrors: 0,
    sets: 0,
    deletes: 0,
    tierErrors: new Map<string, number>(),
  }

  constructor(options: CacheOptions) {
    this.namespace = options.namespace ?? 'perf'
    if (typeof this.namespace !== 'string' || this.namespace.length === 0 || this.namespace.includes(':')) {
      throw new PerfError('INVALID_OPTION', `[perf:cache] option "namespace" must be a non-empty string without ':', got ${JSON.stringify(this.namespace)}`, {
        context: { option: 'namespace' },
      })
    }
    this.prefix = `${this.namespace}:`
    this.clock = options.clock ?? systemClock
    this.coarseClock = new CoarseClock(this.clock)
    this.codec = options.codec ?? createCodec()
    this.isolate = options.isolate ?? true
    this.planner = new CopyPlanner((value) => this.codec.clone(value))
    this.maxKeyLength = assertInt(options.maxKeyLength ?? 1024, 'maxKeyLength', 1)
    this.registry = new TagRegistry(assertInt(options.maxTags ?? 100_000, 'maxTags', 1))
    this.onEventOption = options.onEvent
    const maxStale = toMs(options.maxStaleMs ?? '1h', 'maxStaleMs', 'INVALID_OPTION')
    this.defaults = {
      ttl: toMs(options.defaultTtl ?? '1m', 'defaultTtl', 'INVALID_OPTION'),
      swr: Math.min(toMs(options.defaultSwr ?? 0, 'defaultSwr', 'INVALID_OPTION'), maxStale),
      grace: Math.min(toMs(options.defaultGrace ?? 0, 'defaultGrace', 'INVALID_OPTION'), maxStale),
      jitter: toMs(options.jitter ?? 0, 'jitter', 'INVALID_OPTION'),
      failureBackoff: toMs(options.failureBackoff ?? '1s', 'failureBackoff', 'INVALID_OPTION'),
      maxStale,
    }
    this.base = baseOptions(this.defaults)
    const guardOptions = {
      timeoutMs: toMs(options.tierTimeout ?? '250ms', 'tierTimeout', 'INVALID_OPTION'),
      breakerThreshold: assertInt(options.tierBreakerThreshold ?? 3, 'tierBreakerThreshold', 1),
      breakerCooldownMs: toMs(options.tierCooldownMs ?? '2s', 'tierCooldownMs', 'INVALID_OPTION'),
      clock: this.clock,
      onError: (tier: string, operation: string, error: unknown) => this.tierFailed(tier, operation, error),
    }
    const stores = options.tiers ?? []
    if (!Array.isArray(stores)) {
      throw new PerfError('INVALID_OPTION', '[perf:cache] option "tiers" must be an array of CacheStore', { context: { option: 'tiers' } })
    }
    this.tiers = stores.map((store, i) => {
      if (typeof store?.get !== 'function' || typeof store.set !== 'function' || typeof store.capabilities !== 'object') {
        throw new PerfError('INVALID_OPTION', `[perf:cache] tiers[${i}] is not a CacheStore (needs get, set, capabilities)`, {
          context: { option: 'tiers', index: i },
        })
      }
      return new TierGuard(store, guardOptions)
    })
    if (this.tiers.length === 0) {
      const own = new TierGuard(new MemoryStore({ clock: this.clock }), guardOptions)
      this.tiers.push(own)
      this.ownedTiers.push(own)
    }
    this.counters.hits = this.tiers.map(() => 0)
    this.hasShared = this.tiers.some((t) => t.shared)
    this.serializes = this.tiers.some((t) => t.serializes)
    const localMaxAge = options.localMaxAgeMs === undefined ? Number.POSITIVE_INFINITY : toMs(options.localMaxAgeMs, 'localMaxAgeMs', 'INVALID_OPTION')
    this.localMaxAge = localMaxAge
  }

  /**
   * A strictly increasing timestamp: never equal to an earlier one from this instance, so an
   * invalidation and a load that begin in the same millisecond are still ordered.
   */
  protected stamp(): number {
    const now = this.clock.now()
    this.lastStamp = now > this.lastStamp ? now : this.lastStamp + 0.001
    return this.lastStamp
  }

  /** Validates a user key and returns it with the namespace. @throws PerfError INVALID_KEY, KEY_TOO_LONG, CACHE_CLOSED */
  protected fullKey(key: string): string {
    if (this.closed) throw new PerfError('CACHE_CLOSED', `[perf:cache] cache "${this.namespace}" is closed`)
    if (typeof key !== 'string' || key.length === 0) {
      throw new PerfError('INVALID_KEY', `[perf:cache] key must be a non-empty string, got ${key === '' ? 'an empty string' : typeof key}`, {
        context: { key },
      })
    }
    if (key.length > this.maxKeyLength) {
      throw new PerfError('KEY_TOO_LONG', `[perf:cache] key is ${key.length} characters, more than maxKeyLength=${this.maxKeyLength}`, {
        context: { length: key.length, maxKeyLength: this.maxKeyLength },
      })
    }
    return this.prefix + key
  }

  /** False when the entry was created before an invalidation of one of its tags or of the namespace. */
  protected isValid(entry: StoreEntry): boolean {
    let invalidatedAt = this.clearedAt
    if (entry.tags !== undefined && entry.tags.length > 0) {
      const local = this.registry.latest(entry.tags)
      if (local > invalidatedAt) invalidatedAt = local
    }
    const remote = entry.tagsInvalidatedAt
    if (remote !== undefined && remote > invalidatedAt) invalidatedAt = remote
    return entry.createdAt > invalidatedAt
  }

  /** Reads tiers in order from `from`; backfills faster tiers with what a slower one had. */
  protected async lookup(fullKey: string, from = 0, hint?: ReadHint): Promise<Found | undefined> {
    for (let i = from; i < this.tiers.length; i++) {
      const tier = this.tiers[i] as TierGuard
      let result = tier.call('get', (s) => s.get(fullKey, hint))
      if (typeof (result as Promise<unknown>)?.then === 'function') result = await result
      if (result === SKIPPED || result === undefined) continue
      const entry = result as StoreEntry
      if (entry.expiresAt <= this.clock.now() || !this.isValid(entry)) continue
      if (i > 0) {
        if (this.isolate) this.planCopies(entry.value)
        await this.writeTiers(fullKey, entry, i)
      }
      return { entry, tier: i }
    }
    return undefined
  }

  /**
   * Writes `entry` to tiers [0, upTo); failures are reported by the guards, never thrown.
   * Returns the tiers whose write was skipped (failed, timed out or breaker open).
   */
  protected async writeTiers(fullKey: string, entry: StoreEntry, upTo = this.tiers.length): Promise<TierGuard[]> {
    const pending: Promise<unknown>[] = []
    const skipped: TierGuard[] = []
    // With a shared tier, a local copy lives at most localMaxAgeMs, minus the coarse clock's
    // resolution (L1 freshness is checked against it and it may lag by that much).
    const localUntil = this.hasShared ? this.clock.now() + this.localMaxAge - Math.min(COARSE_RESOLUTION_MS, this.localMaxAge / 2) : Number.POSITIVE_INFINITY
    for (let i = 0; i < upTo; i++) {
      const tier = this.tiers[i] as TierGuard
      const toWrite = !tier.shared && entry.expiresAt > localUntil ? capLocal(entry, localUntil) : entry
      const result = tier.call('set', (s) => s.set(fullKey, toWrite))
      if (result === SKIPPED) skipped.push(tier)
      else if (typeof (result as Promise<unknown>)?.then === 'function') {
        pending.push((result as Promise<unknown>).then((r) => void (r === SKIPPED && skipped.push(tier))))
      }
    }
    if (pending.length > 0) await Promise.all(pending)
    return skipped
  }

  /** Builds the entry for a value whose load began at `createdAt`. */
  protected makeEntry(value: unknown, createdAt: number, o: ResolvedOptions, ttl = o.ttl, tags = o.tags): StoreEntry {
    const jitter = o.jitter > 0 ? Math.random() * o.jitter : 0
    const staleAt = createdAt + ttl + jitter
    const entry: StoreEntry = { value, createdAt, staleAt, expiresAt: staleAt + Math.max(o.swr, o.grace) }
    if (tags !== undefined && tags.length > 0) entry.tags = this.scopeTags(tags)
    return entry
  }

  /** What a shared tier is told to expect (so it can read the tags' invalidation times in the same round trip). */
  protected readHint(tags: readonly string[] | undefined): ReadHint | undefined {
    return tags !== undefined && tags.length > 0 && this.hasShared ? { tags: this.scopeTags(tags) } : undefined
  }

  /**
   * Tags as tiers, the registry and the bus see them: prefixed with the namespace, so two caches
   * sharing a Redis never invalidate each other's entries through a tag of the same name.
   */
  protected scopeTags(tags: readonly string[]): string[] {
    return tags.map((tag) => this.prefix + tag)
  }

  /** The copy of a value that a caller may mutate freely. */
  protected output<T>(value: unknown): T {
    if (!this.isolate || typeof value !== 'object' || value === null) return value as T
    const copier = this.copiers.get(value)
    return (copier === undefined ? this.codec.clone(value) : copier(value)) as T
  }

  /** The copy of a caller's value that tiers keep. Validates encodability for serializing tiers. */
  protected input(value: unknown): unknown {
    if (!this.isolate && !this.serializes) return value
    const stored = this.codec.clone(value)
    if (this.isolate) this.planCopies(stored)
    return stored
  }

  /** Compiles the copy plan of a value the cache now owns (stored values are never mutated). */
  protected planCopies(stored: unknown): void {
    if (typeof stored !== 'object' || stored === null || this.copiers.has(stored)) return
    const copier = this.planner.compile(stored)
    if (copier !== undefined) this.copiers.set(stored, copier)
  }

  protected meta(status: CacheStatus, tier: string, key: string, entry: StoreEntry | undefined, error?: unknown): CacheMeta {
    const now = this.clock.now()
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

  /** Whether anyone listens to events (so hot paths build event objects only when needed). */
  protected get observed(): boolean {
    return this.onEventOption !== undefined || channel.hasSubscribers
  }

  protected emit(event: CacheEvent): void {
    if (this.onEventOption !== undefined) {
      try {
        this.onEventOption(event)
      } catch {
        // A throwing listener must not break the cache; it is the listener's bug to fix.
      }
    }
    if (channel.hasSubscribers) channel.publish(event)
  }

  private tierFailed(tier: string, operation: string, error: unknown): void {
    this.counters.tierErrors.set(tier, (this.counters.tierErrors.get(tier) ?? 0) + 1)
    this.emit({ type: 'tier-error', tier, operation, error, namespace: this.namespace })
  }

  /** Statistics since creation; bytes, entries and evictions come from the first tier. */
  stats(): CacheStats {
    const c = this.counters
    const hits: Record<string, number> = {}
    this.tiers.forEach((t, i) => {
      hits[t.name] = (hits[t.name] ?? 0) + (c.hits[i] ?? 0)
    })
    const fresh = c.hits.reduce((a, b) => a + b, 0)
    const served = fresh + c.staleHits + c.graceHits
    const reads = served + c.misses
    const l1 = this.tiers[0]?.store.stats?.()
    return {
      hits,
      misses: c.misses,
      staleHits: c.staleHits,
      graceHits: c.graceHits,
      loads: c.loads,
      loadErrors: c.loadErrors,
      sets: c.sets,
      deletes: c.deletes,
      evictions: l1?.evictions ?? 0,
      tierErrors: Object.fromEntries(c.tierErrors),
      bytes: l1?.bytes ?? 0,
      entries: l1?.entries ?? 0,
      hitRatio: reads === 0 ? 0 : served / reads,
    }
  }
}

/** `entry` ending at `until` (a local copy of a shared entry). */
function capLocal(entry: StoreEntry, until: number): StoreEntry {
  return { ...entry, expiresAt: until, staleAt: Math.min(entry.staleAt, until) }
}
