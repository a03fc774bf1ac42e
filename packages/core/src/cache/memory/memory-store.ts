import { PerfError } from '../../errors.js'
import { type Clock, systemClock } from '../../util/clock.js'
import { CoarseClock } from '../../util/coarse-clock.js'
import { assertFunction, assertInt } from '../../util/validate.js'
import { estimateSize } from '../value/size.js'
import type { CacheStore, StoreCapabilities, StoreEntry, StoreStats } from '../types.js'

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used is evicted beyond it. @default 10_000 */
  maxEntries?: number
  /** Most bytes kept (as estimated by `sizeOf`); least recently used entries are evicted beyond it. @default unbounded (only `maxEntries` applies) */
  maxBytes?: number
  /** Entries estimated larger than this many bytes are not stored (counted in `rejected`). @default `maxBytes` */
  maxEntrySize?: number
  /**
   * Bytes one entry occupies. Must return a finite number >= 0.
   * @default a conservative estimate of the key, the entry object, its tags and its value (`estimateSize`)
   */
  sizeOf?: (entry: StoreEntry, key: string) => number
  /**
   * Time source for expiry checks, read on every call. The default clock is read at most once per
   * millisecond (a reading is reused until an unref'd timer expires it), because `Date.now()`
   * costs more than a whole LRU hit; faked or spied `Date.now` is detected and read every call.
   * @default systemClock
   */
  clock?: Clock
}

/** {@link StoreStats} plus what only an in-process tier counts. */
export interface MemoryStoreStats extends StoreStats {
  /** Entries not stored because they were larger than `maxEntrySize` or `maxBytes`. */
  rejected: number
}

const NONE = -1
const INITIAL_CAPACITY = 1024
/** Largest maxEntries: slot indices live in Int32Arrays. */
const MAX_ENTRIES_LIMIT = 2 ** 30
/** Charged per entry besides key and value: the StoreEntry object, its Map slot and our arrays. */
const ENTRY_OVERHEAD = 160
const CAPABILITIES: StoreCapabilities = Object.freeze({ tags: false, shared: false, serializes: false })

/**
 * In-process cache tier: an O(1) LRU with per-entry expiry, bounded by entry count and by
 * (estimated) bytes. Methods answer synchronously. It keeps the StoreEntry object it is given
 * (the engine copies values when isolating), and drops expired entries lazily on read and
 * first when evicting. `close()` clears it; the store stays usable afterwards.
 *
 * @throws PerfError INVALID_OPTION when an option is out of range
 * @example
 * const cache = createCache({ tiers: [new MemoryStore({ maxEntries: 50_000, maxBytes: 64 * 1024 * 1024 })] })
 */
export class MemoryStore implements CacheStore {
  readonly name = 'memory'
  readonly capabilities: StoreCapabilities = CAPABILITIES

  private readonly maxEntries: number
  private readonly maxBytes: number
  private readonly maxEntrySize: number
  private readonly sizeOf: (entry: StoreEntry, key: string) => number
  private readonly clock: Clock

  // Index-based doubly linked list over typed arrays: no allocation per get or per update.
  private readonly index = new Map<string, number>()
  private keys: (string | undefined)[] = []
  private entries: (StoreEntry | undefined)[] = []
  private sizes!: Float64Array
  // Expiry per slot beside the slot, so a hit checks its TTL without dereferencing the entry.
  private expires!: Float64Array
  private prev!: Int32Array
  private next!: Int32Array
  private capacity = 0
  private used = 0
  private head = NONE // most recently used
  private tail = NONE // least recently used
  private freeHead = NONE // free slots, chained through `next`

  // Expiry checks read a coarse clock: Date.now() costs more than a whole LRU hit.
  private readonly coarse: CoarseClock

  private bytes = 0
  private evictions = 0
  private expirations = 0
  private rejected = 0

  constructor(options: MemoryStoreOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new PerfError('INVALID_OPTION', '[perf:memory] options must be an object', {
        context: { option: 'options' },
      })
    }
    this.maxEntries =
      options.maxEntries === undefined ? 10_000 : assertInt(options.maxEntries, 'maxEntries', 1, MAX_ENTRIES_LIMIT)
    this.maxBytes = options.maxBytes === undefined ? Infinity : assertInt(options.maxBytes, 'maxBytes', 1)
    this.maxEntrySize =
      options.maxEntrySize === undefined ? this.maxBytes : assertInt(options.maxEntrySize, 'maxEntrySize', 1)
    this.sizeOf = options.sizeOf === undefined ? estimateEntrySize : assertFunction(options.sizeOf, 'sizeOf')
    if (options.clock !== undefined) assertFunction(options.clock?.now, 'clock.now')
    this.clock = options.clock ?? systemClock
    this.coarse = new CoarseClock(this.clock)
    this.allocate(Math.min(this.maxEntries + 1, INITIAL_CAPACITY))
  }

  /** Returns the entry and marks it most recently used; `undefined` when absent or expired. */
  get(key: string): StoreEntry | undefined {
    const slot = this.index.get(key)
    if (slot === undefined) return undefined
    if ((this.expires[slot] as number) <= this.now()) {
      this.remove(slot, key)
      this.expirations++
      return undefined
    }
    if (slot !== this.head) this.moveToHead(slot)
    return this.entries[slot]
  }

  /** Returns the entries of `keys` in order (`undefined` for absent or expired ones). */
  getMany(keys: readonly string[]): (StoreEntry | undefined)[] {
    const out = new Array<StoreEntry | undefined>(keys.length)
    for (let i = 0; i < keys.length; i++) out[i] = this.get(keys[i] as string)
    return out
  }

  /**
   * Stores `entry` as the most recently used, then evicts least recently used entries until
   * both bounds hold. An entry that is already expired or too large is not stored, and an
   * older entry under the same key is dropped (it must not outlive the write that replaced it).
   */
  set(key: string, entry: StoreEntry): void {
    const existing = this.index.get(key)
    const now = this.now()
    if (entry.expiresAt <= now) {
      if (existing !== undefined) this.remove(existing, key)
      return
    }
    const size = this.measure(entry, key)
    if (size > this.maxEntrySize || size > this.maxBytes) {
      if (existing !== undefined) this.remove(existing, key)
      this.rejected++
      return
    }
    if (existing !== undefined) {
      this.entries[existing] = entry
      this.expires[existing] = entry.expiresAt
      this.bytes += size - (this.sizes[existing] as number)
      this.sizes[existing] = size
      if (existing !== this.head) this.moveToHead(existing)
    } else {
      const slot = this.takeSlot()
      this.keys[slot] = key
      this.entries[slot] = entry
      this.expires[slot] = entry.expiresAt
      this.sizes[slot] = size
      this.bytes += size
      this.index.set(key, slot)
      this.linkAtHead(slot)
    }
    this.evict(now)
  }

  /** Deletes `keys`; returns how many existed (expired entries do not count). `at` is not needed in-process. */
  delete(keys: readonly string[], _at?: number): number {
    const now = this.now()
    let existed = 0
    for (const key of keys) {
      const slot = this.index.get(key)
      if (slot === undefined) continue
      if ((this.entries[slot] as StoreEntry).expiresAt > now) existed++
      else this.expirations++
      this.remove(slot, key)
    }
    return existed
  }

  /** Removes every entry whose key starts with `prefix`, or all entries when omitted. */
  clear(prefix?: string): void {
    if (prefix === undefined || prefix === '') return this.reset()
    // Deleting the current key while iterating a Map is well defined.
    for (const [key, slot] of this.index) if (key.startsWith(prefix)) this.remove(slot, key)
  }

  /** Entries held (expired ones not yet dropped included), estimated bytes, evictions, expirations, rejections. */
  stats(): MemoryStoreStats {
    return {
      entries: this.index.size,
      bytes: this.bytes,
      evictions: this.evictions,
      expirations: this.expirations,
      rejected: this.rejected,
    }
  }

  /** Clears the store, releases its memory and stops its clock timer. */
  close(): void {
    this.reset()
    this.coarse.close()
  }

  private now(): number {
    return this.coarse.now()
  }

  private measure(entry: StoreEntry, key: string): number {
    const size = this.sizeOf(entry, key)
    if (typeof size !== 'number' || !(size >= 0) || size === Infinity) {
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:memory] option "sizeOf" must return a finite number >= 0, got ${String(size)}`,
        {
          context: { option: 'sizeOf', value: size, key },
        },
      )
    }
    return size
  }

  private evict(now: number): void {
    while (this.index.size > this.maxEntries || this.bytes > this.maxBytes) {
      const slot = this.tail
      if ((this.entries[slot] as StoreEntry).expiresAt <= now) this.expirations++
      else this.evictions++
      this.remove(slot, this.keys[slot] as string)
    }
  }

  private remove(slot: number, key: string): void {
    this.unlink(slot)
    this.index.delete(key)
    this.bytes -= this.sizes[slot] as number
    this.keys[slot] = undefined
    this.entries[slot] = undefined
    this.next[slot] = this.freeHead
    this.freeHead = slot
  }

  private takeSlot(): number {
    if (this.freeHead !== NONE) {
      const slot = this.freeHead
      this.freeHead = this.next[slot] as number
      return slot
    }
    if (this.used === this.capacity) this.grow()
    return this.used++
  }

  private moveToHead(slot: number): void {
    this.unlink(slot)
    this.linkAtHead(slot)
  }

  private linkAtHead(slot: number): void {
    this.prev[slot] = NONE
    this.next[slot] = this.head
    if (this.head !== NONE) this.prev[this.head] = slot
    else this.tail = slot
    this.head = slot
  }

  private unlink(slot: number): void {
    const p = this.prev[slot] as number
    const n = this.next[slot] as number
    if (p !== NONE) this.next[p] = n
    else this.head = n
    if (n !== NONE) this.prev[n] = p
    else this.tail = p
  }

  private grow(): void {
    // maxEntries + 1: a set inserts before it evicts.
    const capacity = Math.min(this.capacity * 2, this.maxEntries + 1)
    const { sizes, expires, prev, next } = this
    this.allocate(capacity)
    this.sizes.set(sizes)
    this.expires.set(expires)
    this.prev.set(prev)
    this.next.set(next)
  }

  private allocate(capacity: number): void {
    this.capacity = capacity
    this.sizes = new Float64Array(capacity)
    this.expires = new Float64Array(capacity)
    this.prev = new Int32Array(capacity)
    this.next = new Int32Array(capacity)
  }

  private reset(): void {
    this.index.clear()
    this.keys = []
    this.entries = []
    this.used = 0
    this.head = this.tail = this.freeHead = NONE
    this.bytes = 0
    this.allocate(Math.min(this.maxEntries + 1, INITIAL_CAPACITY))
  }
}

/** Default `sizeOf`: key, entry bookkeeping, tags and value, each estimated conservatively. */
function estimateEntrySize(entry: StoreEntry, key: string): number {
  let size = ENTRY_OVERHEAD + 2 * key.length + estimateSize(entry.value)
  if (entry.tags !== undefined) size += estimateSize(entry.tags)
  return size
}
