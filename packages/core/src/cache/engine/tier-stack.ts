import { PerfError } from '../../errors.js'
import { COARSE_RESOLUTION_MS } from '../../util/coarse-clock.js'
import type { Clock } from '../../util/clock.js'
import { MemoryStore } from '../memory/memory-store.js'
import type { CacheStore, MaybePromise, ReadHint, StoreEntry, StoreRead } from '../types.js'
import type { Isolation } from './isolation.js'
import type { LocalOrder } from './local-order.js'
import type { PendingInvalidations } from './pending-invalidations.js'
import { SKIPPED, TierGuard, isThenable, type TierGuardOptions } from './tier-guard.js'

/** An entry found in a tier, and which tier answered. */
export interface Found {
  entry: StoreEntry
  tier: number
}

/** What a read through the tiers saw: the entry (if any) and each versioned tier's version at the read. */
export interface Lookup {
  found: Found | undefined
  versions: (string | undefined)[] | undefined
}

/** How a write orders itself in versioned tiers: a load's versions, or a direct set (a new version). */
export type WriteOrder = readonly (string | undefined)[] | undefined | 'direct'

/** Collaborators of the stack, owned by the engine. */
export interface TierStackDeps {
  clock: Clock
  order: LocalOrder
  pending: PendingInvalidations
  isolation: Isolation
  /** How long a local copy of a shared entry may live, ms. */
  localMaxAgeMs: number
}

/** Whether a tier's answer has the shape of an entry (a tier may hand back anything: a miss then, never a crash). */
export function isEntry(entry: unknown): entry is StoreEntry {
  if (typeof entry !== 'object' || entry === null) return false
  const e = entry as StoreEntry
  if (!(e.createdAt >= 0) || !(e.staleAt >= 0) || !(e.expiresAt >= 0) || !(e.expiresAt >= e.staleAt)) return false
  return e.tags === undefined || (Array.isArray(e.tags) && e.tags.every((t) => typeof t === 'string'))
}

/** DECODE_FAILED for an answer that is not an entry. */
export function malformed(tier: string): PerfError {
  return new PerfError(
    'DECODE_FAILED',
    `[perf:cache] tier "${tier}" returned something that is not a cache entry; read as a miss`,
    { context: { tier } },
  )
}

/**
 * The tiers, fastest first, each behind a {@link TierGuard}: reads fall through and refill the
 * faster tiers; writes go to every tier. Local tiers order by this process's stamps; versioned
 * shared tiers by their own versions (a load's write carries the versions its read saw, so the
 * tier refuses it if anything it depends on was invalidated since). Nothing here throws.
 */
export class TierStack {
  readonly guards: TierGuard[]
  /** Tiers the cache created itself (closed with it). */
  readonly owned: TierGuard[] = []
  readonly hasShared: boolean
  readonly serializes: boolean

  constructor(
    stores: readonly CacheStore[] | undefined,
    guardOptions: TierGuardOptions,
    private readonly deps: TierStackDeps,
  ) {
    const list = stores ?? []
    if (!Array.isArray(list)) {
      throw new PerfError('INVALID_OPTION', '[perf:cache] option "tiers" must be an array of CacheStore', {
        context: { option: 'tiers' },
      })
    }
    this.guards = list.map((store, i) => {
      if (
        typeof store?.get !== 'function' ||
        typeof store.set !== 'function' ||
        typeof store.capabilities !== 'object' ||
        store.capabilities === null
      ) {
        throw new PerfError(
          'INVALID_OPTION',
          `[perf:cache] tiers[${i}] is not a CacheStore (needs get, set, capabilities)`,
          { context: { option: 'tiers', index: i } },
        )
      }
      return new TierGuard(store, guardOptions)
    })
    if (this.guards.length === 0) {
      const own = new TierGuard(new MemoryStore({ clock: guardOptions.clock }), guardOptions)
      this.guards.push(own)
      this.owned.push(own)
    }
    this.hasShared = this.guards.some((t) => t.shared)
    this.serializes = this.guards.some((t) => t.serializes)
  }

  get l1(): TierGuard {
    return this.guards[0] as TierGuard
  }

  /**
   * Reads tiers in order from `from` and returns the first entry {@link accept} takes, with the
   * version each versioned tier had at the read.
   */
  async read(fullKey: string, hint: ReadHint | undefined, startedAt: number, from = 0): Promise<Lookup> {
    const { pending } = this.deps
    let versions: (string | undefined)[] | undefined
    for (let i = from; i < this.guards.length; i++) {
      const tier = this.guards[i] as TierGuard
      const blocked = tier.shared && pending.blocks(fullKey, hint?.tags)
      if (blocked && !tier.versioned) continue
      let entry: StoreEntry | undefined
      if (tier.versioned) {
        const result = await tier.call('get', (s) =>
          (s.read as (k: string, h?: ReadHint) => Promise<StoreRead>)(fullKey, hint),
        )
        if (result === SKIPPED) continue
        ;(versions ??= [])[i] = result.version
        if (result.error !== undefined) tier.report('get', result.error)
        // A pending invalidation may not have reached the tier: only its version is of use.
        if (blocked) continue
        entry = result.entry
      } else {
        let result: MaybePromise<StoreEntry | undefined | typeof SKIPPED> = tier.call('get', (s) =>
          s.get(fullKey, hint),
        )
        if (isThenable(result)) result = await result
        if (result === SKIPPED) continue
        entry = result
      }
      if (entry === undefined || !(await this.accept(i, 'get', fullKey, entry, startedAt, versions))) continue
      return { found: { entry, tier: i }, versions }
    }
    return { found: undefined, versions }
  }

  /**
   * Whether `entry`, as tier `index` answered it, may be served: it has the shape of an entry, has
   * not expired, is not invalidated in this process (local tiers; shared tiers that do not order
   * themselves) nor covered by a pending invalidation (shared tiers), and its value can be copied.
   * An entry from a slower tier is then copied into the faster ones (local copies count as taken at
   * `startedAt`). Anything unusable is reported and read as a miss.
   */
  async accept(
    index: number,
    operation: string,
    fullKey: string,
    entry: unknown,
    startedAt: number,
    versions: WriteOrder,
  ): Promise<boolean> {
    const { order, pending } = this.deps
    const tier = this.guards[index] as TierGuard
    if (!isEntry(entry)) {
      tier.report(operation, malformed(tier.name))
      return false
    }
    if (entry.expiresAt <= this.deps.clock.now()) return false
    if (tier.shared && pending.blocks(fullKey, entry.tags)) return false
    // This process's order vouches for local tiers and for shared tiers that do not order themselves.
    if (!(tier.shared && tier.versioned) && !order.isValid(entry)) return false
    if (index === 0) return true
    try {
      this.deps.isolation.adopt(entry.value)
    } catch (error) {
      tier.report(operation, error)
      return false
    }
    if (order.mayWrite(fullKey, startedAt, entry.tags))
      await this.write(fullKey, { ...entry, createdAt: startedAt }, versions, index)
    return true
  }

  /**
   * Writes `entry` to tiers [0, upTo). Loads write shared tiers first and local ones only if no
   * versioned tier refused; direct sets write local tiers first (they answer at once) and carry
   * no version. Returns the shared tiers whose write failed, and whether one refused.
   */
  async write(
    fullKey: string,
    entry: StoreEntry,
    ordering: WriteOrder,
    upTo = this.guards.length,
  ): Promise<{ failed: TierGuard[]; refused: boolean }> {
    const direct = ordering === 'direct'
    if (direct) this.writeLocal(fullKey, entry, upTo)
    const failed: TierGuard[] = []
    let refused = false
    const pending: Promise<void>[] = []
    for (let i = 0; i < upTo; i++) {
      const tier = this.guards[i] as TierGuard
      if (!tier.shared) continue
      let toWrite = entry
      if (tier.versioned && !direct) {
        const version = ordering?.[i]
        // A load whose read of this tier failed cannot be ordered there: leave the tier as it is.
        if (version === undefined) continue
        toWrite = { ...entry, version }
      }
      const result = tier.call('set', (s) => s.set(fullKey, toWrite))
      const settle = (r: unknown): void => {
        if (r === SKIPPED) failed.push(tier)
        else if (r === false) refused = true
      }
      if (isThenable(result)) pending.push(result.then(settle))
      else settle(result)
    }
    if (pending.length > 0) await Promise.all(pending)
    if (!direct && !refused) this.writeLocal(fullKey, entry, upTo)
    return { failed, refused }
  }

  /** Deletes keys everywhere (or in shared tiers only); resolves whether every shared tier took it. */
  async delete(fullKeys: readonly string[], sharedOnly = false): Promise<boolean> {
    return this.each('delete', (s) => s.delete(fullKeys), sharedOnly)
  }

  /** Records tag invalidations in the tiers that keep them; resolves whether every shared one took it. */
  async invalidateTags(scopedTags: readonly string[], sharedOnly = false): Promise<boolean> {
    return this.each(
      'invalidateTags',
      (s) => s.invalidateTags?.(scopedTags),
      sharedOnly,
      (t) => t.supportsTags,
    )
  }

  /** Clears a prefix everywhere (or in shared tiers only); resolves whether every shared tier took it. */
  async clear(prefix: string, sharedOnly = false): Promise<boolean> {
    return this.each('clear', (s) => s.clear(prefix), sharedOnly)
  }

  /** Local tiers only (what a bus message or gap asks of this process). */
  forLocal(operation: string, fn: (store: CacheStore) => unknown): void {
    for (const t of this.guards) if (!t.shared) void t.call(operation, fn as never)
  }

  private async each(
    operation: string,
    fn: (store: CacheStore) => unknown,
    sharedOnly: boolean,
    filter: (t: TierGuard) => boolean = () => true,
  ): Promise<boolean> {
    const tiers = this.guards.filter((t) => (t.shared || !sharedOnly) && filter(t))
    const results = await Promise.all(tiers.map(async (t) => ({ t, r: await t.call(operation, fn as never) })))
    return results.every(({ t, r }) => !t.shared || r !== SKIPPED)
  }

  /** Local copies: with a shared tier, each lives at most localMaxAgeMs (less the coarse clock's lag). */
  private writeLocal(fullKey: string, entry: StoreEntry, upTo: number): void {
    const maxAge = this.deps.localMaxAgeMs
    const until =
      this.hasShared && maxAge !== Number.POSITIVE_INFINITY
        ? this.deps.clock.now() + maxAge - Math.min(COARSE_RESOLUTION_MS, maxAge / 2)
        : Number.POSITIVE_INFINITY
    const copy =
      entry.expiresAt > until ? { ...entry, expiresAt: until, staleAt: Math.min(entry.staleAt, until) } : entry
    for (let i = 0; i < upTo; i++) {
      const tier = this.guards[i] as TierGuard
      if (!tier.shared) void tier.call('set', (s) => s.set(fullKey, copy))
    }
  }
}
