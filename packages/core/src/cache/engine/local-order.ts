import type { Clock } from '../../util/clock.js'
import type { StoreEntry } from '../types.js'
import { TagRegistry } from './tag-registry.js'

/** Key invalidations remembered to refuse older loads' writes; an evicted record only refuses more. */
const MAX_KEY_RECORDS = 10_000

/**
 * The order of events inside this process: loads starting, and invalidations made here or heard
 * from the bus (stamped when they arrive, never with the sender's clock). It decides what local
 * tiers may serve and write; shared tiers order themselves (versions, see tier-stack.ts).
 *
 * Stamps come from the cache's clock (the default is monotonic, so a wall clock stepped back
 * cannot reorder them) and are strictly increasing: a load and an invalidation in the same
 * millisecond are still ordered.
 */
export class LocalOrder {
  /** When tags were last invalidated. */
  readonly tags: TagRegistry
  /** When keys were last deleted or overwritten, so a load that began earlier does not write back. */
  private readonly keys = new TagRegistry(MAX_KEY_RECORDS)
  /** Invalidation of the whole namespace (clear, bus gap): entries created before it are invalid. */
  private clearedAt = 0
  private last = 0

  constructor(
    private readonly clock: Clock,
    maxTags: number,
  ) {
    this.tags = new TagRegistry(maxTags)
  }

  /** A stamp later than every earlier one of this process. */
  stamp(): number {
    const now = this.clock.now()
    this.last = now > this.last ? now : this.last + 0.001
    return this.last
  }

  /** Records invalidations at a new stamp and returns it. */
  invalidateKeys(fullKeys: readonly string[]): number {
    const at = this.stamp()
    this.keys.invalidate(fullKeys, at)
    return at
  }

  invalidateTags(scopedTags: readonly string[]): number {
    const at = this.stamp()
    this.tags.invalidate(scopedTags, at)
    return at
  }

  invalidateAll(): number {
    this.clearedAt = this.stamp()
    return this.clearedAt
  }

  /** False when a local entry was created before an invalidation of one of its tags or of the namespace. */
  isValid(entry: StoreEntry): boolean {
    let invalidatedAt = this.clearedAt
    if (entry.tags !== undefined && entry.tags.length > 0) {
      const t = this.tags.latest(entry.tags)
      if (t > invalidatedAt) invalidatedAt = t
    }
    return entry.createdAt > invalidatedAt
  }

  /** Whether a load that began at `startedAt` with these tags may still write to local tiers. */
  mayWrite(fullKey: string, startedAt: number, tags: readonly string[] | undefined): boolean {
    return startedAt > Math.max(this.clearedAt, this.tags.latest(tags), this.keys.latest([fullKey]))
  }
}
