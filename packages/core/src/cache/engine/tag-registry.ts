/**
 * Local record of when tags were invalidated: O(1) per tag to write, O(tags of an entry) to check.
 * Bounded: when full, the oldest record is dropped and its time folded into a `floor` that applies
 * to every tagged entry, so dropping a record can cause extra misses but never a stale hit.
 */
export class TagRegistry {
  private readonly times = new Map<string, number>()
  private floor = 0

  constructor(private readonly maxTags: number) {}

  /** Records that `tags` were invalidated at `at` (never moves a tag's time backwards). */
  invalidate(tags: readonly string[], at: number): void {
    for (const tag of tags) {
      const previous = this.times.get(tag)
      if (previous !== undefined) {
        if (previous >= at) continue
        // Re-insert so Map order stays "least recently invalidated first" for eviction.
        this.times.delete(tag)
      }
      this.times.set(tag, at)
      if (this.times.size > this.maxTags) this.evictOldest()
    }
  }

  /** The latest invalidation time of any of `tags` (0 when none was invalidated). */
  latest(tags: readonly string[] | undefined): number {
    if (tags === undefined || tags.length === 0) return 0
    let max = this.floor
    for (let i = 0; i < tags.length; i++) {
      const t = this.times.get(tags[i] as string)
      if (t !== undefined && t > max) max = t
    }
    return max
  }

  /** Number of tags recorded. */
  get size(): number {
    return this.times.size
  }

  clear(): void {
    this.times.clear()
    this.floor = 0
  }

  private evictOldest(): void {
    const first = this.times.entries().next()
    if (first.done) return
    const [tag, at] = first.value
    this.times.delete(tag)
    if (at > this.floor) this.floor = at
  }
}
