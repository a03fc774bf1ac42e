import type { BusHandlers, BusMessage, CacheStore, InvalidationBus, StoreEntry } from '../types.js'
import { MemoryStore } from '../memory-store.js'

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
 * (values round-trip through JSON), counts calls, and can be made to fail or hang.
 */
export class ScriptedStore implements CacheStore {
  readonly name: string
  readonly capabilities: { tags: boolean; shared: boolean; serializes: boolean }
  readonly inner = new MemoryStore({ maxEntries: 10_000 })
  readonly tagTimes = new Map<string, number>()
  calls = { get: 0, set: 0, delete: 0, getMany: 0 }
  mode: 'ok' | 'fail' | 'hang' = 'ok'

  constructor(name = 'l2', options: { tags?: boolean } = {}) {
    this.name = name
    this.capabilities = { tags: options.tags ?? false, shared: true, serializes: true }
  }

  invalidateTags(tags: readonly string[], at: number): Promise<void> {
    return this.act(() => {
      for (const t of tags) this.tagTimes.set(t, Math.max(at, this.tagTimes.get(t) ?? 0))
    })
  }

  getTagInvalidations(tags: readonly string[]): Promise<number[]> {
    return this.act(() => tags.map((t) => this.tagTimes.get(t) ?? 0))
  }

  private async act<T>(fn: () => T): Promise<T> {
    await Promise.resolve()
    if (this.mode === 'fail') throw new Error(`${this.name} is down`)
    if (this.mode === 'hang') return new Promise<T>(() => undefined)
    return fn()
  }

  get(key: string): Promise<StoreEntry | undefined> {
    this.calls.get++
    return this.act(() => {
      const e = this.inner.get(key) as StoreEntry | undefined
      if (e === undefined) return undefined
      const copy: StoreEntry = { ...e, value: JSON.parse(JSON.stringify(e.value)) as unknown }
      if (this.capabilities.tags && e.tags) copy.tagsInvalidatedAt = Math.max(0, ...e.tags.map((t) => this.tagTimes.get(t) ?? 0))
      return copy
    })
  }
  getMany(keys: readonly string[]): Promise<(StoreEntry | undefined)[]> {
    this.calls.getMany++
    return this.act(() => keys.map((k) => this.inner.get(k) as StoreEntry | undefined))
  }
  set(key: string, entry: StoreEntry): Promise<void> {
    this.calls.set++
    return this.act(() => {
      this.inner.set(key, { ...entry, value: JSON.parse(JSON.stringify(entry.value)) as unknown })
    })
  }
  delete(keys: readonly string[]): Promise<number> {
    this.calls.delete++
    return this.act(() => this.inner.delete(keys) as number)
  }
  clear(prefix?: string): Promise<void> {
    return this.act(() => {
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
