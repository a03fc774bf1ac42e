import type { BusHandlers, BusMessage, CacheStore, InvalidationBus, StoreEntry, StoreRead } from '../types.js'
import { VersionedMemoryStore } from './versioned-store.js'

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
 * A second tier for engine tests: a store that pretends to be shared and serializing (values
 * round-trip through JSON), counts calls, and can be made to fail or hang. With `tags: true` it is
 * also versioned like the Redis store (see {@link VersionedMemoryStore}, which holds its entries):
 * reads return a version, and a load's write is refused when something it depends on was
 * invalidated after the version its read saw. Without, tag invalidations have no effect on it.
 */
export class ScriptedStore implements CacheStore {
  readonly name: string
  readonly capabilities: { tags: boolean; shared: boolean; serializes: boolean; versioned: boolean }
  readonly inner = new VersionedMemoryStore({ maxEntries: 10_000 })
  calls = { get: 0, set: 0, delete: 0, getMany: 0 }
  mode: 'ok' | 'fail' | 'hang' = 'ok'

  constructor(name = 'l2', options: { tags?: boolean } = {}) {
    this.name = name
    const tags = options.tags ?? false
    this.capabilities = { tags, shared: true, serializes: true, versioned: tags }
  }

  /** Version records: key tombstones and direct writes, tags, cleared prefixes. */
  get records(): ReadonlyMap<string, number> {
    return this.inner.records
  }

  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.act(() => {
      if (this.capabilities.versioned) this.inner.invalidateTags(tags)
    })
  }

  private async act<T>(fn: () => T): Promise<T> {
    await Promise.resolve()
    if (this.mode === 'fail') throw new Error(`${this.name} is down`)
    if (this.mode === 'hang') return new Promise<T>(() => undefined)
    return fn()
  }

  /** A JSON copy of `entry`, without the version it was written at. */
  private copy(entry: StoreEntry | undefined): StoreEntry | undefined {
    if (entry === undefined) return undefined
    const { version: _version, ...rest } = entry
    return { ...rest, value: JSON.parse(JSON.stringify(entry.value)) as unknown }
  }

  get(key: string): Promise<StoreEntry | undefined> {
    this.calls.get++
    return this.act(() => this.copy(this.inner.get(key)))
  }
  read(key: string): Promise<StoreRead> {
    this.calls.get++
    return this.act(() => ({ entry: this.copy(this.inner.get(key)), version: String(this.inner.clock) }))
  }
  getMany(keys: readonly string[]): Promise<(StoreEntry | undefined)[]> {
    this.calls.getMany++
    return this.act(() => this.inner.getMany(keys).map((entry) => this.copy(entry)))
  }
  set(key: string, entry: StoreEntry): Promise<boolean> {
    this.calls.set++
    return this.act(() => {
      const copy = this.copy(entry) as StoreEntry
      // Unversioned, every write is a direct one.
      return this.inner.set(key, this.capabilities.versioned ? { ...copy, version: entry.version } : copy)
    })
  }
  delete(keys: readonly string[]): Promise<number> {
    this.calls.delete++
    return this.act(() => this.inner.delete(keys))
  }
  clear(prefix?: string): Promise<void> {
    return this.act(() => this.inner.clear(prefix))
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
