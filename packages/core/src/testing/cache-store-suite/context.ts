import { randomUUID } from 'node:crypto'
import type { CacheStore, StoreCapabilities, StoreEntry } from '../../cache/types.js'
import type { TestRunner } from '../runner.js'

/** Builds a fresh store for one test. It should be scoped (e.g. by namespace) so `clear()` only touches its own keys. */
export type CacheStoreFactory = () => CacheStore | Promise<CacheStore>

/** Options for `cacheStoreSuite`. */
export interface CacheStoreSuiteOptions {
  /** Extra real time the expiry test waits beyond its ~150 ms, for stores whose expiry is coarse or remote. @default 0 */
  ttlSlackMs?: number
  /** Builds a store bounded to `maxBytes`; enables the bytes group (skipped visibly without it). */
  boundedFactory?: (maxBytes: number) => CacheStore | Promise<CacheStore>
  /**
   * What the store supports. Needed only when the factory is async: a synchronous factory is
   * called once at registration to read `capabilities`, then closed.
   */
  capabilities?: Partial<StoreCapabilities>
  /** Timeout of each test in ms. @default 10_000 */
  timeoutMs?: number
}

/** Unique keys and tags for one test, so tests never see each other's data in a shared store. */
export interface Names {
  /** The prefix every key and tag of this test starts with. */
  readonly prefix: string
  key(name: string): string
  tag(name: string): string
}

/** What every behaviour group receives. */
export interface SuiteContext {
  readonly runner: TestRunner
  readonly options: CacheStoreSuiteOptions
  /** Capabilities known at registration (undefined fields: unknown until a store exists). */
  readonly capabilities: Partial<StoreCapabilities>
  /** Registers a test that gets a fresh store from `create` (default: the suite's factory) and closes it afterwards. */
  test(name: string, body: (store: CacheStore, names: Names) => Promise<void>, create?: CacheStoreFactory): void
}

/** Creates the shared context of one suite run. */
export function createSuiteContext(
  runner: TestRunner,
  factory: CacheStoreFactory,
  options: CacheStoreSuiteOptions,
  capabilities: Partial<StoreCapabilities>,
): SuiteContext {
  const timeout = options.timeoutMs ?? 10_000
  return {
    runner,
    options,
    capabilities,
    test(name, body, create = factory) {
      runner.it(
        name,
        async () => {
          const store = await create()
          try {
            await body(store, createNames())
          } finally {
            await store.close?.()
          }
        },
        timeout,
      )
    },
  }
}

function createNames(): Names {
  const prefix = `perf-suite:${randomUUID().slice(0, 8)}:`
  return { prefix, key: (name) => prefix + name, tag: (name) => `${prefix}tag:${name}` }
}

/** An entry written now, fresh for a minute and kept for two; `fields` override. */
export function entryOf(value: unknown, fields: Partial<StoreEntry> = {}): StoreEntry {
  const now = Date.now()
  return { value, createdAt: now, staleAt: now + 60_000, expiresAt: now + 120_000, ...fields }
}

/** Resolves after `ms` of real time. */
export function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
