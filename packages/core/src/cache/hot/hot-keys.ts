import { PerfError } from '../../errors.js'
import { systemClock, type Clock } from '../../util/clock.js'
import { assertInt, assertNumber } from '../../util/validate.js'

/** Options of {@link HotKeys}. */
export interface HotKeysOptions {
  /** Keys tracked at once (the memory bound): the top `capacity` are kept, with a bounded error. @default 64 */
  capacity?: number
  /**
   * Fraction of `record()` calls counted, in (0, 1]: at 0.125 one access in eight on average (at
   * random gaps, so periodic access patterns cannot alias) is counted and `top()` scales counts back up.
   * Lower rates cost less per access; hot keys still surface, with estimated counts. @default 1
   */
  sampleRate?: number
  /**
   * Forget old traffic: counts cover the current window of `windowMs` and the one before it, so
   * a key that was hot an hour ago and is read no more drops out. Without it, counts are since
   * creation (or `reset()`). @default undefined (no decay)
   */
  windowMs?: number
  /** Time source for `windowMs`. @default systemClock */
  clock?: Clock
}

/** One of the most-read keys, as {@link HotKeys.top} returns it. */
export interface HotKey {
  key: string
  /** Accesses counted for the key (divided by `sampleRate`): an upper bound of the true count, or its estimate when sampled. */
  count: number
  /** How much of `count` may belong to keys it replaced; `count - error` is a lower bound. */
  error: number
}

interface Counter {
  key: string
  error: number
  bucket: Bucket
  prev: Counter | undefined
  next: Counter | undefined
}

/** All counters with one count; buckets form a list in ascending count order. */
interface Bucket {
  count: number
  first: Counter | undefined
  prev: Bucket | undefined
  next: Bucket | undefined
}

/**
 * The most frequently accessed keys of a stream in bounded memory: the Space-Saving algorithm
 * (Metwally, Agrawal, El Abbadi 2005) over a stream summary, so `record()` costs O(1) whatever
 * the capacity. When full, a new key takes over the least-counted slot and inherits its count as
 * its `error`; every key accessed more than `total / capacity` times is guaranteed to be listed.
 *
 * Holds keys only, never values.
 *
 * @throws PerfError INVALID_OPTION when `capacity` is not an integer >= 1
 * @example
 * const hot = new HotKeys({ capacity: 32 })
 * for (const key of reads) hot.record(key)
 * hot.top(5) // [{ key: 'user:1', count: 812, error: 0 }, …]
 */
export class HotKeys {
  /** The most keys tracked at once. */
  readonly capacity: number
  /** Fraction of accesses counted. */
  readonly sampleRate: number
  readonly #counters = new Map<string, Counter>()
  /** Lowest and highest count buckets. */
  #min: Bucket | undefined
  #max: Bucket | undefined
  #total = 0
  /** Calls left until the next one counted: a countdown, so a skipped call costs a decrement. */
  #skip = 1
  /** Decay: the window length, the clock, when the current window began, and the last window's counts. */
  readonly #windowMs: number | undefined
  readonly #clock: Clock
  #windowStart = 0
  #previous: ReadonlyMap<string, { count: number; error: number }> = new Map()

  constructor(options: HotKeysOptions = {}) {
    this.capacity = assertInt(options.capacity ?? 64, 'capacity', 1)
    this.sampleRate = assertNumber(options.sampleRate ?? 1, 'sampleRate', Number.MIN_VALUE, 1)
    this.#windowMs =
      options.windowMs === undefined
        ? undefined
        : assertNumber(options.windowMs, 'windowMs', 1, Number.MAX_SAFE_INTEGER)
    this.#clock = options.clock ?? systemClock
    if (this.#windowMs !== undefined) this.#windowStart = this.#clock.now()
  }

  /** Accesses recorded since creation or `reset()` (estimated when sampled). */
  get total(): number {
    return Math.round(this.#total / this.sampleRate)
  }

  /** Keys tracked now (at most `capacity`). */
  get size(): number {
    return this.#counters.size
  }

  /** Counts one access of `key` (or, when sampling, skips it). O(1); allocates only when a count reaches a new value. */
  record(key: string): void {
    if (--this.#skip > 0) return
    this.#skip = this.#nextSkip()
    if (this.#windowMs !== undefined) this.#rotate()
    this.#total++
    const known = this.#counters.get(key)
    if (known !== undefined) {
      this.#increment(known)
      return
    }
    if (this.#counters.size < this.capacity) {
      const min = this.#min
      const bucket = min !== undefined && min.count === 1 ? min : this.#bucketAfter(undefined, 1)
      const counter: Counter = { key, error: 0, bucket, prev: undefined, next: undefined }
      attach(counter, bucket)
      this.#counters.set(key, counter)
      return
    }
    // Full: the new key replaces one of the least counted and inherits its count as the error.
    const min = this.#min as Bucket
    const victim = min.first as Counter
    this.#counters.delete(victim.key)
    victim.key = key
    victim.error = min.count
    this.#counters.set(key, victim)
    this.#increment(victim)
  }

  /**
   * The `n` most-counted keys, highest count first (ties: smallest error first). @default n = capacity
   * @throws PerfError INVALID_ARGUMENT when `n` is not an integer >= 0
   */
  top(n: number = this.capacity): HotKey[] {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new PerfError('INVALID_ARGUMENT', `[perf:cache] hot keys top(n) needs an integer >= 0, got ${String(n)}`, {
        context: { n },
      })
    }
    if (this.#windowMs !== undefined) return this.#windowedTop(n)
    return this.#currentTop(n)
  }

  #currentTop(n: number): HotKey[] {
    const out: HotKey[] = []
    const scale = 1 / this.sampleRate
    for (let b = this.#max; b !== undefined && out.length < n; b = b.prev) {
      const group: HotKey[] = []
      for (let c = b.first; c !== undefined; c = c.next)
        group.push({ key: c.key, count: Math.round(b.count * scale), error: Math.round(c.error * scale) })
      group.sort((x, y) => x.error - y.error || (x.key < y.key ? -1 : 1))
      for (const item of group) if (out.length < n) out.push(item)
    }
    return out
  }

  /** The current window's counts plus the previous window's. */
  #windowedTop(n: number): HotKey[] {
    this.#rotate()
    const merged = new Map<string, HotKey>()
    for (const [key, { count, error }] of this.#previous) merged.set(key, { key, count, error })
    for (const item of this.#currentTop(this.capacity)) {
      const before = merged.get(item.key)
      merged.set(
        item.key,
        before === undefined
          ? item
          : { key: item.key, count: before.count + item.count, error: before.error + item.error },
      )
    }
    return [...merged.values()]
      .sort((x, y) => y.count - x.count || x.error - y.error || (x.key < y.key ? -1 : 1))
      .slice(0, n)
  }

  /** Starts a new window when the current one is over: its counts become the previous window's. */
  #rotate(): void {
    const now = this.#clock.now()
    const elapsed = now - this.#windowStart
    const windowMs = this.#windowMs as number
    if (elapsed < windowMs) return
    // More than one window of silence: the last window saw nothing either.
    const last = elapsed < 2 * windowMs ? this.#currentTop(this.capacity) : []
    this.#previous = new Map(last.map((h) => [h.key, { count: h.count, error: h.error }]))
    this.#windowStart = now - (elapsed % windowMs)
    this.#counters.clear()
    this.#min = this.#max = undefined
  }

  /** Forgets every key and count. */
  reset(): void {
    this.#skip = 1
    this.#counters.clear()
    this.#min = this.#max = undefined
    this.#total = 0
    this.#previous = new Map()
    if (this.#windowMs !== undefined) this.#windowStart = this.#clock.now()
  }

  /** 1 when not sampling; else uniform in [1, 2 / rate - 1] (mean 1 / rate), so no access period can alias. */
  #nextSkip(): number {
    const rate = this.sampleRate
    return rate === 1 ? 1 : 1 + Math.floor(Math.random() * (2 / rate - 1))
  }

  #increment(counter: Counter): void {
    const from = counter.bucket
    const count = from.count + 1
    const next = from.next
    const to = next !== undefined && next.count === count ? next : this.#bucketAfter(from, count)
    detach(counter)
    if (from.first === undefined) this.#unlink(from)
    attach(counter, to)
  }

  /** A new, empty bucket linked right after `after` (or first when `after` is undefined). */
  #bucketAfter(after: Bucket | undefined, count: number): Bucket {
    const next = after === undefined ? this.#min : after.next
    const bucket: Bucket = { count, first: undefined, prev: after, next }
    if (after === undefined) this.#min = bucket
    else after.next = bucket
    if (next === undefined) this.#max = bucket
    else next.prev = bucket
    return bucket
  }

  #unlink(bucket: Bucket): void {
    if (bucket.prev === undefined) this.#min = bucket.next
    else bucket.prev.next = bucket.next
    if (bucket.next === undefined) this.#max = bucket.prev
    else bucket.next.prev = bucket.prev
  }
}

function attach(counter: Counter, bucket: Bucket): void {
  counter.bucket = bucket
  counter.prev = undefined
  counter.next = bucket.first
  if (bucket.first !== undefined) bucket.first.prev = counter
  bucket.first = counter
}

function detach(counter: Counter): void {
  const bucket = counter.bucket
  if (counter.prev === undefined) bucket.first = counter.next
  else counter.prev.next = counter.next
  if (counter.next !== undefined) counter.next.prev = counter.prev
}
