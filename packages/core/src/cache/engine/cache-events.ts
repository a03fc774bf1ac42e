import diagnosticsChannel from 'node:diagnostics_channel'
import { CHANNELS } from '../../util/diagnostics.js'
import type { HotKeys } from '../hot/hot-keys.js'
import type { CacheEvent, CacheStats } from '../types.js'
import type { TierGuard } from './tier-guard.js'

const channel = diagnosticsChannel.channel(CHANNELS.cache)

/** Counters behind `cache.stats()`: the plain counts as reported, hits by tier index, errors by tier name. */
export type Counters = Pick<
  CacheStats,
  'misses' | 'staleHits' | 'graceHits' | 'loads' | 'loadErrors' | 'unstorable' | 'sets' | 'deletes'
> & {
  hits: number[]
  tierErrors: Map<string, number>
}

/** Where the engine reports: `onEvent`, the `perf:cache` diagnostics channel, and the counters. */
export class CacheEvents {
  readonly counters: Counters

  constructor(
    readonly namespace: string,
    private readonly onEvent: ((event: CacheEvent) => void) | undefined,
    tierCount: number,
    /** Counts reads per key (namespaced) for `cache.hotKeys()`; undefined when tracking is off. */
    readonly hot?: HotKeys,
  ) {
    this.counters = {
      hits: new Array<number>(tierCount).fill(0),
      misses: 0,
      staleHits: 0,
      graceHits: 0,
      loads: 0,
      loadErrors: 0,
      unstorable: 0,
      sets: 0,
      deletes: 0,
      tierErrors: new Map(),
    }
  }

  /** Whether anyone listens (so hot paths build event objects only when needed). */
  get observed(): boolean {
    return this.onEvent !== undefined || channel.hasSubscribers
  }

  emit(event: CacheEvent): void {
    if (this.onEvent !== undefined) {
      try {
        this.onEvent(event)
      } catch {
        // A throwing listener must not break the cache; it is the listener's bug to fix.
      }
    }
    if (channel.hasSubscribers) channel.publish(event)
  }

  tierFailed(tier: string, operation: string, error: unknown): void {
    this.counters.tierErrors.set(tier, (this.counters.tierErrors.get(tier) ?? 0) + 1)
    this.emit({ type: 'tier-error', tier, operation, error, namespace: this.namespace })
  }

  /** Statistics since creation; bytes, entries and evictions come from the first tier. */
  stats(tiers: readonly TierGuard[]): Omit<CacheStats, 'pendingInvalidations'> {
    const c = this.counters
    const hits: Record<string, number> = {}
    tiers.forEach((t, i) => {
      hits[t.name] = (hits[t.name] ?? 0) + (c.hits[i] ?? 0)
    })
    const fresh = c.hits.reduce((a, b) => a + b, 0)
    const served = fresh + c.staleHits + c.graceHits
    const reads = served + c.misses
    const l1 = tiers[0]?.store.stats?.()
    return {
      hits,
      misses: c.misses,
      staleHits: c.staleHits,
      graceHits: c.graceHits,
      loads: c.loads,
      loadErrors: c.loadErrors,
      unstorable: c.unstorable,
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
