import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../cache/memory/memory-store.js'
import type { CacheStore, StoreEntry } from '../cache/types.js'
import { VersionedMemoryStore } from '../cache/__tests__/versioned-store.js'
import { cacheStoreSuite } from './cache-store-suite.js'
import type { CacheStoreSuiteOptions } from './cache-store-suite.js'
import { collect } from './__tests__/collect.js'
import type { Collected } from './__tests__/collect.js'

/** Runs the collected tests whose name contains `filter`; returns the names of those that failed. */
async function failing(tests: Collected[], filter: string): Promise<string[]> {
  const selected = tests.filter((test) => test.name.includes(filter) && !test.skipped)
  expect(selected.length).toBeGreaterThan(0)
  const failed: string[] = []
  for (const test of selected) {
    try {
      await test.fn()
    } catch {
      failed.push(test.name)
    }
  }
  return failed
}

/** A correct versioned store with tags that answers every call asynchronously, as a networked store does. */
class TaggedStore extends VersionedMemoryStore {
  constructor() {
    super()
    for (const method of ['get', 'read', 'getMany', 'set', 'delete', 'clear', 'invalidateTags'] as const) {
      const answer = this[method] as (...args: unknown[]) => unknown
      Object.defineProperty(this, method, { value: async (...args: unknown[]) => answer.apply(this, args) })
    }
  }
}

function suiteOf(factory: () => CacheStore | Promise<CacheStore>, options?: CacheStoreSuiteOptions): Collected[] {
  return collect((runner) => cacheStoreSuite('probe', factory, runner, options))
}

describe('cacheStoreSuite', () => {
  it('registers the same tests in both call forms, named after the store', () => {
    const named = collect((runner) => cacheStoreSuite('Mine', () => new MemoryStore(), runner))
    const styled = collect((runner) => cacheStoreSuite(runner, () => new MemoryStore()))
    expect(named.length).toBeGreaterThan(20)
    expect(named.map((t) => t.name.replace('cacheStoreSuite(Mine)', ''))).toEqual(
      styled.map((t) => t.name.replace('cacheStoreSuite(memory)', '')),
    )
  })

  it('skips groups that do not apply visibly, with the reason in the title', () => {
    const tests = collect((runner) => cacheStoreSuite(runner, () => new MemoryStore()))
    const skipped = tests.filter((t) => t.skipped).map((t) => t.name)
    expect(skipped).toEqual([
      'cacheStoreSuite(memory) > bytes > bytes bound (skipped: no boundedFactory option was given)',
      'cacheStoreSuite(memory) > tags > tag invalidation (skipped: the store declares capabilities.tags = false)',
      'cacheStoreSuite(memory) > versions > versioned writes (skipped: the store does not declare capabilities.versioned = true)',
    ])
    const withoutSkip = collect((runner) => cacheStoreSuite(runner, () => new MemoryStore()), false)
    expect(withoutSkip.filter((t) => t.name.includes('(skipped:')).length).toBe(3)
  })

  it('passes against a correct asynchronous store with tags', async () => {
    const tests = suiteOf(async () => new TaggedStore(), { capabilities: { tags: true, versioned: true } })
    expect(tests.filter((t) => t.name.includes('> tags >')).length).toBeGreaterThanOrEqual(4)
    expect(tests.filter((t) => t.name.includes('> versions >')).length).toBeGreaterThanOrEqual(8)
    expect(await failing(tests, '')).toEqual([])
  })

  it('fails the tags group with an explanation when an async factory hides capabilities.tags = false', async () => {
    const tests = suiteOf(async () => new MemoryStore())
    const failed = await failing(tests, '> tags >')
    expect(failed.length).toBe(tests.filter((t) => t.name.includes('> tags >')).length)
    const withHint = suiteOf(async () => new MemoryStore(), { capabilities: { tags: false } })
    expect(withHint.filter((t) => t.name.includes('> tags >')).every((t) => t.skipped)).toBe(true)
  })

  it('catches a store that ignores expiresAt', async () => {
    class NeverExpires extends MemoryStore {
      override set(key: string, entry: StoreEntry) {
        super.set(key, { ...entry, expiresAt: Number.MAX_SAFE_INTEGER })
      }
    }
    expect(
      await failing(
        suiteOf(() => new NeverExpires()),
        'once expiresAt has passed',
      ),
    ).toHaveLength(1)
  })

  it('catches a store whose getMany() loses the key order', async () => {
    class Reversed extends MemoryStore {
      override getMany(keys: readonly string[]) {
        return super.getMany(keys).reverse()
      }
    }
    expect(
      await failing(
        suiteOf(() => new Reversed()),
        'in key order',
      ),
    ).toHaveLength(1)
  })

  it('catches a store whose delete() miscounts and one whose clear(prefix) clears everything', async () => {
    class CountsAll extends MemoryStore {
      override delete(keys: readonly string[]) {
        super.delete(keys)
        return keys.length
      }
    }
    class ClearsAll extends MemoryStore {
      override clear() {
        super.clear()
      }
    }
    expect(
      await failing(
        suiteOf(() => new CountsAll()),
        'how many existed',
      ),
    ).toHaveLength(1)
    expect(
      await failing(
        suiteOf(() => new ClearsAll()),
        'clear(prefix)',
      ),
    ).toHaveLength(1)
  })

  it('catches a bounded factory that does not bound bytes', async () => {
    const tests = suiteOf(() => new MemoryStore(), { boundedFactory: () => new MemoryStore() })
    expect(await failing(tests, '> bytes >')).toHaveLength(2)
  })

  it('catches a store that mixes up keys under concurrency and a versioned store that accepts stale loads', async () => {
    class LastWriteWins extends MemoryStore {
      private last: StoreEntry | undefined
      override set(key: string, entry: StoreEntry) {
        super.set(key, entry)
        this.last = entry
      }
      override get(key: string) {
        return super.get(key) && this.last
      }
    }
    expect(
      await failing(
        suiteOf(() => new LastWriteWins()),
        '200 parallel',
      ),
    ).toHaveLength(1)
    class Unordered extends TaggedStore {
      // Accepts every load's write: the race the versions exist to close.
      protected override newest(): number {
        return 0
      }
    }
    const tests = suiteOf(() => new Unordered(), { capabilities: { tags: true, versioned: true } })
    expect(await failing(tests, 'is refused')).toHaveLength(3)
  })
})
