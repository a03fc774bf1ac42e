import type { Clock } from '../../util/clock.js'
import type { BusMessage } from '../types.js'

/** Most keys or tags kept pending one by one; past that they fold into a pending clear (more misses, never a stale read). */
const MAX_PENDING = 10_000
const FIRST_RETRY_MS = 50
const MAX_RETRY_MS = 1_000

interface Until {
  at: number
}

/** The shared side of invalidations, as the engine applies it. Each call resolves true when it landed everywhere. */
export interface SharedSide {
  deleteKeys(fullKeys: readonly string[]): Promise<boolean>
  invalidateTags(scopedTags: readonly string[]): Promise<boolean>
  clear(): Promise<boolean>
  publish(message: BusMessage): Promise<boolean>
}

/**
 * Invalidations whose shared part (a shared tier's delete, tag record or clear, or the bus
 * message) failed. None is dropped: each is retried, deduplicated, with exponential backoff,
 * until it lands or until it can no longer matter (every entry it could invalidate has expired:
 * `lifetimeMs` after it was issued). While one is pending, the engine reads nothing it covers
 * from shared tiers ({@link blocks}).
 */
export class PendingInvalidations {
  /** Pending item -> when it stops mattering (each add a distinct object). Insertion order is issue order. */
  private readonly keys = new Map<string, Until>()
  private readonly tags = new Map<string, Until>()
  private clearing: Until | undefined
  private readonly messages: { message: BusMessage; until: number }[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private delayMs = FIRST_RETRY_MS
  private flushing: Promise<void> | undefined
  private closed = false

  constructor(
    private readonly shared: SharedSide,
    private readonly clock: Clock,
    /** Longest lifetime of an entry the engine has seen, ms (read at each add). */
    private readonly lifetimeMs: () => number,
    private readonly onRetry: (landed: boolean) => void,
  ) {}

  /** Whether anything is pending. */
  get size(): number {
    return this.keys.size + this.tags.size + (this.clearing === undefined ? 0 : 1) + this.messages.length
  }

  addKeys(fullKeys: readonly string[]): void {
    this.addAll(this.keys, fullKeys)
  }

  addTags(scopedTags: readonly string[]): void {
    this.addAll(this.tags, scopedTags)
  }

  addClear(): void {
    this.clearing = { at: this.until() }
    this.schedule()
  }

  addMessage(message: BusMessage): void {
    this.messages.push({ message, until: this.until() })
    if (this.messages.length > MAX_PENDING) this.messages.shift()
    this.schedule()
  }

  /** Whether a shared tier's entry for `fullKey` (carrying `tags`) may be stale because of a pending invalidation. */
  blocks(fullKey: string, tags: readonly string[] | undefined): boolean {
    if (this.clearing !== undefined || this.keys.has(fullKey)) return true
    if (tags === undefined || this.tags.size === 0) return false
    for (const tag of tags) if (this.tags.has(tag)) return true
    return false
  }

  /** Whether any entry of a shared tier may be stale (a clear is pending). */
  get blocksAll(): boolean {
    return this.clearing !== undefined
  }

  /** Tries once more now (used by close); resolves when the attempt ended. */
  async flushNow(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined
      if (this.size > 0) this.schedule()
    })
    await this.flushing
  }

  close(): void {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private until(): number {
    return this.clock.now() + this.lifetimeMs()
  }

  private addAll(map: Map<string, Until>, items: readonly string[]): void {
    const until = { at: this.until() }
    for (const item of items) {
      map.delete(item)
      map.set(item, until)
    }
    if (map.size > MAX_PENDING) {
      map.clear()
      this.clearing = until
    }
    this.schedule()
  }

  private schedule(): void {
    if (this.closed || this.timer !== undefined || this.flushing !== undefined) return
    const delay = this.delayMs * (0.5 + Math.random() / 2)
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.flushNow()
    }, delay)
    this.timer.unref?.()
  }

  /** One attempt, in issue order; stops at the first failure and backs off. */
  private async flush(): Promise<void> {
    this.expire()
    const ok =
      (await this.flushClear()) &&
      (await this.flushMap(this.keys, (k) => this.shared.deleteKeys(k))) &&
      (await this.flushMap(this.tags, (t) => this.shared.invalidateTags(t))) &&
      (await this.flushMessages())
    this.onRetry(ok)
    this.delayMs = ok ? FIRST_RETRY_MS : Math.min(this.delayMs * 2, MAX_RETRY_MS)
  }

  private async flushClear(): Promise<boolean> {
    const until = this.clearing
    if (until === undefined) return true
    const covered = [...this.keys, ...this.tags]
    if (!(await this.shared.clear())) return false
    // A landed clear covers every key and tag of the namespace invalidated before it was sent.
    if (this.clearing === until) this.clearing = undefined
    for (const [item, u] of covered) {
      if (this.keys.get(item) === u) this.keys.delete(item)
      if (this.tags.get(item) === u) this.tags.delete(item)
    }
    return true
  }

  private async flushMap(map: Map<string, Until>, apply: (items: string[]) => Promise<boolean>): Promise<boolean> {
    if (map.size === 0) return true
    const batch = [...map].slice(0, 500)
    if (!(await apply(batch.map(([item]) => item)))) return false
    // Re-added meanwhile (a newer `until`): keep it for the next attempt.
    for (const [item, until] of batch) if (map.get(item) === until) map.delete(item)
    return true
  }

  private async flushMessages(): Promise<boolean> {
    while (this.messages.length > 0) {
      if (!(await this.shared.publish((this.messages[0] as { message: BusMessage }).message))) return false
      this.messages.shift()
    }
    return true
  }

  /** Drops what can no longer matter. */
  private expire(): void {
    const now = this.clock.now()
    if (this.clearing !== undefined && this.clearing.at <= now) this.clearing = undefined
    for (const map of [this.keys, this.tags]) for (const [item, until] of map) if (until.at <= now) map.delete(item)
    while (this.messages.length > 0 && (this.messages[0] as { until: number }).until <= now) this.messages.shift()
  }
}
