import { MemoryStore } from '../memory/memory-store.js'
import type { MemoryStoreOptions } from '../memory/memory-store.js'
import type { CacheStore, StoreCapabilities, StoreEntry, StoreRead, StoreStats } from '../types.js'

/**
 * A correct versioned store with tags, for tests (the Redis store's design in miniature): a
 * MemoryStore plus one counter that orders deletes, tag invalidations, clears and direct writes.
 * `read()` returns the counter with the entry; a load's write (`set()` of an entry carrying the
 * version its read saw) is refused, returning false, when a newer record covers the key, one of
 * the entry's tags or a cleared prefix of the key; reads never return an invalidated entry.
 * Answers synchronously, except `read`.
 */
export class VersionedMemoryStore implements CacheStore {
  readonly name: string = 'versioned-memory'
  readonly capabilities: StoreCapabilities = { tags: true, shared: false, serializes: false, versioned: true }
  /** When each key (`d:`), tag (`t:`) and cleared prefix (`x:`) was last invalidated or directly written. */
  readonly records = new Map<string, number>()
  private readonly memory: MemoryStore
  /** The version each stored entry was written at. */
  private readonly versions = new Map<string, number>()
  private counter = 0

  constructor(options?: MemoryStoreOptions) {
    this.memory = new MemoryStore(options)
  }

  /** The store's version now: what `read()` returns. */
  get clock(): number {
    return this.counter
  }

  get(key: string): StoreEntry | undefined {
    return this.valid(key)
  }
  read(key: string): Promise<StoreRead> {
    return Promise.resolve({ entry: this.valid(key), version: String(this.counter) })
  }
  getMany(keys: readonly string[]): (StoreEntry | undefined)[] {
    return keys.map((key) => this.valid(key))
  }
  set(key: string, entry: StoreEntry): boolean {
    let version: number
    if (entry.version === undefined) {
      version = ++this.counter
      this.records.set(`d:${key}`, version)
    } else {
      version = Number(entry.version)
      if (!(this.newest(key, entry.tags) <= version)) return false
    }
    this.memory.set(key, entry)
    this.versions.set(key, version)
    return true
  }
  delete(keys: readonly string[]): number {
    const stamp = ++this.counter
    for (const key of keys) this.records.set(`d:${key}`, stamp)
    return this.memory.delete(keys)
  }
  clear(prefix?: string): void {
    this.records.set(`x:${prefix ?? ''}`, ++this.counter)
    this.memory.clear(prefix)
  }
  invalidateTags(tags: readonly string[]): void {
    const stamp = ++this.counter
    for (const tag of tags) this.records.set(`t:${tag}`, stamp)
  }
  stats(): StoreStats {
    return this.memory.stats()
  }
  close(): void {
    this.memory.close()
  }

  /** The newest record that covers `key` with `tags`: a write at an older version is stale. */
  protected newest(key: string, tags: readonly string[] | undefined): number {
    let max = this.records.get(`d:${key}`) ?? 0
    for (const tag of tags ?? []) max = Math.max(max, this.records.get(`t:${tag}`) ?? 0)
    for (const [name, stamp] of this.records)
      if (name.startsWith('x:') && key.startsWith(name.slice(2))) max = Math.max(max, stamp)
    return max
  }

  private valid(key: string): StoreEntry | undefined {
    const entry = this.memory.get(key)
    return entry !== undefined && this.newest(key, entry.tags) <= (this.versions.get(key) ?? 0) ? entry : undefined
  }
}
