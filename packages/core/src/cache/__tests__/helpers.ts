import type { BusHandlers, BusMessage, CacheStore, InvalidationBus, StoreEntry, StoreRead } from '../types.js'
import { MemoryStore } from '../memory/memory-store.js'

/** A promise with its resolve/reject exposed, for loaders that finish when the test says so. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/**
 * A second tier for engine tests: a MemoryStore that pretends to be shared and serializing
 * (values round-trip through JSON), counts calls, and can be made to fail or hang. With
 * `tags: true` it is also versioned like the Redis store: a counter orders deletes, tag
 * invalidations and clears, reads return it, and a load's write is refused when something it
 * depends on was invalidated after the version its read saw.
 */
export class ScriptedStore implements CacheStore {
  readonly name: string
  readonly capabilities: { tags: boolean; shared: boolean; serializes: boolean; versioned: boolean }
  readonly inner = new MemoryStore({ maxEntries: 10_000 })
  /** Version records: key tombstones, tags, cleared prefixes. */
  readonly records = new Map<string, number>()
  clock = 0
  calls = { get: 0, set: 0, delete: 0, getMany: 0 }
  mode: 'ok' | 'fail' | 'hang' = 'ok'

  constructor(name = 'l2', options: { tags?: boolean } = {}) {
    this.name = name
    const tags = options.tags ?? false
    this.capabilities = { tags, shared: true, serializes: true, versioned: tags }
  }

  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.act(() => {
      const stamp = ++this.clock
      for (const t of tags) this.records.set(`t:${t}`, stamp)
    })
  }

  private async act<T>(fn: () => T): Promise<T> {
    await Promise.resolve()
    if (this.mode === 'fail') throw new Error(`${this.name} is down`)
    if (this.mode === 'hang') return new Promise<T>(() => undefined)
    return fn()
  }

  private version(entry: StoreEntry & { v?: number }): number {
    return entry.v ?? 0
  }

  /** Newest record that covers `key` with `tags`. */
  private newest(key: string, tags: readonly string[] | undefined): number {
    let max = this.records.get(`d:${key}`) ?? 0
    for (const t of tags ?? []) max = Math.max(max, this.records.get(`t:${t}`) ?? 0)
    for (const [name, stamp] of this.records)
      if (name.startsWith('x:') && key.startsWith(name.slice(2))) max = Math.max(max, stamp)
    return max
  }

  private readEntry(key: string): StoreEntry | undefined {
    const e = this.inner.get(key) as (StoreEntry & { v?: number }) | undefined
    if (e === undefined) return undefined
    if (this.capabilities.versioned && this.newest(key, e.tags) > this.version(e)) return undefined
    const { v: _v, ...copy } = { ...e, value: JSON.parse(JSON.stringify(e.value)) as unknown }
    return copy
  }

  get(key: string): Promise<StoreEntry | undefined> {
    this.calls.get++
    return this.act(() => this.readEntry(key))
  }
  read(key: string): Promise<StoreRead> {
    this.calls.get++
    return this.act(() => ({ entry: this.readEntry(key), version: String(this.clock) }))
  }
  getMany(keys: readonly string[]): Promise<(StoreEntry | undefined)[]> {
    this.calls.getMany++
    return this.act(() => keys.map((k) => this.readEntry(k)))
  }
  set(key: string, entry: StoreEntry): Promise<boolean> {
    this.calls.set++
    return this.act(() => {
      let v = 0
      if (this.capabilities.versioned) {
        if (entry.version === undefined) {
          v = ++this.clock
          this.records.set(`d:${key}`, v)
        } else {
          v = Number(entry.version)
          if (this.newest(key, entry.tags) > v) return false
        }
      }
      const { version: _version, ...rest } = entry
      this.inner.set(key, { ...rest, value: JSON.parse(JSON.stringify(entry.value)) as unknown, v } as StoreEntry)
      return true
    })
  }
  delete(keys: readonly string[]): Promise<number> {
    this.calls.delete++
    return this.act(() => {
      const stamp = ++this.clock
      for (const k of keys) this.records.set(`d:${k}`, stamp)
      return this.inner.delete(keys) as number
    })
  }
  clear(prefix?: string): Promise<void> {
    return this.act(() => {
      this.records.set(`x:${prefix ?? ''}`, ++this.clock)
      this.inner.clear(prefix)
    })
  }
}

/** An in-process InvalidationBus linking several caches, with a switch to drop messages. */
export class LocalBus {
  private readonly handlers = new Set<BusHandlers>()
  dropping = false
  published: BusMessage[] = []

  endpoint(): InvalidationBus {
    return {
      publish: async (message) => {
        this.published.push(message)
        if (this.dropping) return
        for (const h of this.handlers) h.onMessage(message)
      },
      subscribe: async (handlers) => {
        this.handlers.add(handlers)
        return async () => {
          this.handlers.delete(handlers)
        }
      },
    }
  }

  gap(): void {
    for (const h of this.handlers) h.onGap()
  }
}
