import { afterEach, describe, expect, it, vi } from 'vitest'
import { isPerfError } from '../../errors.js'
import { MemoryStore, type MemoryStoreOptions } from './memory-store.js'
import type { StoreEntry } from '../types.js'

function manualClock(start = 1_000_000) {
  const clock = { time: start, now: () => clock.time }
  return clock
}

function entry(value: unknown, expiresAt = Number.MAX_SAFE_INTEGER): StoreEntry {
  return { value, createdAt: 0, staleAt: expiresAt, expiresAt }
}

function storeWith(options: MemoryStoreOptions = {}) {
  const clock = manualClock()
  return { clock, store: new MemoryStore({ clock, ...options }) }
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return isPerfError(error) ? error.code : 'not a PerfError'
  }
  return undefined
}

describe('MemoryStore', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('constructor() rejects out-of-range options with INVALID_OPTION', () => {
    expect(codeOf(() => new MemoryStore({ maxEntries: 0 }))).toBe('INVALID_OPTION')
    expect(codeOf(() => new MemoryStore({ maxEntries: 1.5 }))).toBe('INVALID_OPTION')
    expect(codeOf(() => new MemoryStore({ maxEntries: Number.NaN }))).toBe('INVALID_OPTION')
    expect(codeOf(() => new MemoryStore({ maxBytes: 0 }))).toBe('INVALID_OPTION')
    expect(codeOf(() => new MemoryStore({ maxBytes: -1 }))).toBe('INVALID_OPTION')
    expect(codeOf(() => new MemoryStore({ maxEntrySize: 0 }))).toBe('INVALID_OPTION')
    expect(codeOf(() => new MemoryStore({ sizeOf: 5 as never }))).toBe('INVALID_OPTION')
    expect(codeOf(() => new MemoryStore({ clock: {} as never }))).toBe('INVALID_OPTION')
    expect(codeOf(() => new MemoryStore(null as never))).toBe('INVALID_OPTION')
    expect(codeOf(() => new MemoryStore({ maxEntries: 1, maxBytes: 1, maxEntrySize: 1 }))).toBeUndefined()
  })

  it('declares name "memory" and no tags, sharing or serialization', () => {
    const store = new MemoryStore()
    expect(store.name).toBe('memory')
    expect(store.capabilities).toEqual({ tags: false, shared: false, serializes: false })
  })

  it('get() answers synchronously with the stored entry object itself', () => {
    const { store } = storeWith()
    const written = entry({ a: 1 })
    expect(store.set('k', written)).toBeUndefined()
    expect(store.get('k')).toBe(written)
    expect(store.get('missing')).toBeUndefined()
    expect(store.getMany(['k', 'missing', 'k'])).toEqual([written, undefined, written])
  })

  it('set() evicts the least recently used entry beyond maxEntries and counts it', () => {
    const { store } = storeWith({ maxEntries: 3 })
    for (const key of ['a', 'b', 'c']) store.set(key, entry(key))
    store.get('a') // a is now the most recently used; b is the oldest
    store.set('d', entry('d'))
    expect(store.getMany(['a', 'b', 'c', 'd']).map((e) => e?.value)).toEqual(['a', undefined, 'c', 'd'])
    store.set('c', entry('c2')) // overwriting refreshes recency too: a is now the oldest
    store.set('e', entry('e'))
    expect(store.get('a')).toBeUndefined()
    expect(store.stats()).toMatchObject({ entries: 3, evictions: 2, expirations: 0 })
  })

  it('get() drops an entry once the clock reaches expiresAt and counts an expiration', () => {
    const { store, clock } = storeWith()
    store.set('k', entry('v', clock.time + 1000))
    clock.time += 999
    expect(store.get('k')?.value).toBe('v')
    clock.time += 1
    expect(store.get('k')).toBeUndefined()
    expect(store.stats()).toMatchObject({ entries: 0, expirations: 1, evictions: 0 })
  })

  it('set() counts an expired least recently used entry as an expiration, not an eviction', () => {
    const { store, clock } = storeWith({ maxEntries: 2 })
    store.set('old', entry('old', clock.time + 10))
    store.set('b', entry('b'))
    clock.time += 20
    store.set('c', entry('c'))
    expect(store.stats()).toMatchObject({ entries: 2, evictions: 0, expirations: 1 })
  })

  it('set() of an already expired entry stores nothing and drops the older entry under the key', () => {
    const { store, clock } = storeWith()
    store.set('k', entry('live'))
    store.set('k', entry('dead', clock.time - 1))
    expect(store.get('k')).toBeUndefined()
    expect(store.stats().entries).toBe(0)
  })

  it('set() evicts least recently used entries until bytes fit maxBytes', () => {
    const { store } = storeWith({ maxBytes: 250, sizeOf: () => 100 })
    store.set('a', entry('a'))
    store.set('b', entry('b'))
    expect(store.stats().bytes).toBe(200)
    store.set('c', entry('c'))
    expect(store.get('a')).toBeUndefined()
    expect(store.stats()).toMatchObject({ entries: 2, bytes: 200, evictions: 1 })
  })

  it('set() re-measures an overwritten entry', () => {
    const { store } = storeWith({ sizeOf: (e) => String(e.value).length })
    store.set('k', entry('xxxx'))
    store.set('k', entry('xx'))
    expect(store.stats()).toMatchObject({ entries: 1, bytes: 2 })
  })

  it('set() rejects an entry larger than maxEntrySize or maxBytes, counts it and drops the older entry', () => {
    const { store } = storeWith({ maxBytes: 1000, maxEntrySize: 100, sizeOf: (e) => String(e.value).length })
    store.set('k', entry('small'))
    store.set('other', entry('kept'))
    store.set('k', entry('x'.repeat(101)))
    expect(store.get('k')).toBeUndefined()
    store.set('k2', entry('x'.repeat(2000)))
    expect(store.get('k2')).toBeUndefined()
    expect(store.get('other')?.value).toBe('kept')
    expect(store.stats()).toMatchObject({ entries: 1, rejected: 2, evictions: 0, bytes: 4 })
  })

  it('set() throws INVALID_OPTION when sizeOf returns something other than a finite number >= 0', () => {
    for (const bad of [Number.NaN, -1, Infinity, '3']) {
      const { store } = storeWith({ sizeOf: () => bad as number })
      expect(codeOf(() => store.set('k', entry('v')))).toBe('INVALID_OPTION')
    }
  })

  it('set() estimates sizes by default so that maxBytes bounds the stored total', () => {
    const { store } = storeWith({ maxBytes: 100_000 })
    for (let i = 0; i < 500; i++) store.set(`k${i}`, entry({ id: i, body: 'x'.repeat(1000) }))
    const stats = store.stats()
    expect(stats.bytes).toBeLessThanOrEqual(100_000)
    // ~1 KB strings count 2 bytes per character: about 2 KB per entry, so under 50 fit.
    expect(stats.entries).toBeGreaterThan(20)
    expect(stats.entries).toBeLessThan(50)
    expect(stats.evictions).toBe(500 - stats.entries)
  })

  it('delete() returns how many live entries existed; expired ones do not count', () => {
    const { store, clock } = storeWith()
    store.set('a', entry('a'))
    store.set('b', entry('b', clock.time + 5))
    clock.time += 10
    expect(store.delete(['a', 'b', 'c'], clock.time)).toBe(1)
    expect(store.stats()).toMatchObject({ entries: 0, expirations: 1 })
    expect(store.delete(['a'])).toBe(0)
  })

  it('clear(prefix) removes only matching keys; clear() removes everything and resets bytes', () => {
    const { store } = storeWith({ sizeOf: () => 10 })
    for (const key of ['user:1', 'user:2', 'post:1', 'use']) store.set(key, entry(key))
    store.clear('user:')
    expect(store.getMany(['user:1', 'user:2', 'post:1', 'use']).map((e) => e?.value)).toEqual([
      undefined,
      undefined,
      'post:1',
      'use',
    ])
    expect(store.stats()).toMatchObject({ entries: 2, bytes: 20 })
    store.clear()
    expect(store.stats()).toMatchObject({ entries: 0, bytes: 0 })
    store.set('again', entry('again'))
    expect(store.get('again')?.value).toBe('again')
  })

  it('close() clears the store, which stays usable', () => {
    const store = new MemoryStore()
    store.set('k', entry('v'))
    store.get('k')
    store.close()
    expect(store.get('k')).toBeUndefined()
    store.set('k', entry('v2'))
    expect(store.get('k')?.value).toBe('v2')
    store.close()
  })

  it('get() sees time moved by fake timers at once (default clock)', () => {
    vi.useFakeTimers({ now: 5_000_000 })
    const store = new MemoryStore()
    store.set('k', entry('v', Date.now() + 1000))
    expect(store.get('k')?.value).toBe('v')
    vi.setSystemTime(5_000_000 + 1000)
    expect(store.get('k')).toBeUndefined()
    store.set('j', entry('w', Date.now() + 1000))
    vi.advanceTimersByTime(1000)
    expect(store.get('j')).toBeUndefined()
    store.close()
  })

  it('get() sees a spied Date.now at once, even right after reading the real clock', () => {
    const store = new MemoryStore()
    const now = Date.now()
    store.set('k', entry('v', now + 60_000))
    expect(store.get('k')?.value).toBe('v') // caches the real reading
    vi.spyOn(Date, 'now').mockReturnValue(now + 60_000)
    expect(store.get('k')).toBeUndefined()
    vi.restoreAllMocks()
    store.close()
  })

  it('keeps LRU order and counts consistent with a reference model over random operations', () => {
    const maxEntries = 1500 // above the initial slot capacity, so the arrays grow
    const { store } = storeWith({ maxEntries })
    const model = new Map<string, string>() // insertion order = recency order
    let seed = 42
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    for (let step = 0; step < 20_000; step++) {
      const key = `k${random(2500)}`
      const op = random(10)
      if (op < 5) {
        store.set(key, entry(`${key}@${step}`))
        model.delete(key)
        model.set(key, `${key}@${step}`)
        if (model.size > maxEntries) model.delete(model.keys().next().value as string)
      } else if (op < 9) {
        const expected = model.get(key)
        expect(store.get(key)?.value).toBe(expected)
        if (expected !== undefined) {
          model.delete(key)
          model.set(key, expected)
        }
      } else {
        expect(store.delete([key])).toBe(model.delete(key) ? 1 : 0)
      }
    }
    expect(store.stats().entries).toBe(model.size)
    for (const [key, value] of model) expect(store.get(key)?.value).toBe(value)
  })
})
