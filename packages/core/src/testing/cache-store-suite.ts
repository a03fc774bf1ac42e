import type { StoreCapabilities } from '../cache/types.js'
import { basicTests } from './cache-store-suite/basic.js'
import { bytesTests } from './cache-store-suite/bytes.js'
import { clearTests } from './cache-store-suite/clear.js'
import { closeTests } from './cache-store-suite/close.js'
import { concurrencyTests } from './cache-store-suite/concurrency.js'
import { type CacheStoreFactory, type CacheStoreSuiteOptions, createSuiteContext } from './cache-store-suite/context.js'
import { getManyTests } from './cache-store-suite/get-many.js'
import { tagsTests } from './cache-store-suite/tags.js'
import { ttlTests } from './cache-store-suite/ttl.js'
import { versionsTests } from './cache-store-suite/versions.js'
import type { TestRunner } from './runner.js'

export type { CacheStoreFactory, CacheStoreSuiteOptions } from './cache-store-suite/context.js'

/**
 * Registers the conformance tests every `CacheStore` must pass: basic get/set/delete, ttl (real
 * short waits), getMany, clear, bytes bound (with `boundedFactory`), concurrency, tags (with
 * `capabilities.tags`), versions (with `capabilities.versioned`) and close. Each test gets a fresh store from `factory` and unique keys,
 * and closes the store afterwards. Groups that do not apply are skipped visibly with the reason.
 *
 * Two call forms: `cacheStoreSuite(name, factory, runner, options?)` and
 * `cacheStoreSuite(runner, factory, options?)`.
 *
 * @example
 * import { describe, it, expect } from 'vitest'
 * cacheStoreSuite('MemoryStore', () => new MemoryStore(), { describe, it, expect }, {
 *   boundedFactory: (maxBytes) => new MemoryStore({ maxBytes }),
 * })
 */
export function cacheStoreSuite(
  name: string,
  factory: CacheStoreFactory,
  runner: TestRunner,
  options?: CacheStoreSuiteOptions,
): void
export function cacheStoreSuite(runner: TestRunner, factory: CacheStoreFactory, options?: CacheStoreSuiteOptions): void
export function cacheStoreSuite(
  first: string | TestRunner,
  factory: CacheStoreFactory,
  third?: TestRunner | CacheStoreSuiteOptions,
  fourth?: CacheStoreSuiteOptions,
): void {
  const named = typeof first === 'string'
  const runner = (named ? third : first) as TestRunner
  const options = ((named ? fourth : third) as CacheStoreSuiteOptions | undefined) ?? {}
  if (
    typeof runner?.describe !== 'function' ||
    typeof runner.it !== 'function' ||
    typeof runner.expect !== 'function'
  ) {
    throw new TypeError('[perf:testing] cacheStoreSuite needs a runner { describe, it, expect }')
  }
  if (typeof factory !== 'function')
    throw new TypeError('[perf:testing] cacheStoreSuite needs a store factory function')
  // Probing calls the factory once; skip it when the caller already said what the store supports.
  const probed = options.capabilities?.tags === undefined ? probe(factory) : {}
  const capabilities = { ...probed.capabilities, ...options.capabilities }
  const ctx = createSuiteContext(runner, factory, options, capabilities)
  runner.describe(`cacheStoreSuite(${named ? first : (probed.name ?? 'store')})`, () => {
    basicTests(ctx)
    ttlTests(ctx)
    getManyTests(ctx)
    clearTests(ctx)
    bytesTests(ctx)
    concurrencyTests(ctx)
    tagsTests(ctx)
    versionsTests(ctx)
    closeTests(ctx)
  })
}

/** Reads name and capabilities from a synchronous factory; async (or throwing) factories stay unknown. */
function probe(factory: CacheStoreFactory): { name?: string; capabilities?: Partial<StoreCapabilities> } {
  let store: ReturnType<CacheStoreFactory>
  try {
    store = factory()
  } catch {
    return {}
  }
  if (typeof (store as { then?: unknown }).then === 'function') {
    // Close what the factory opened once it resolves; the tests create their own stores.
    ;(store as Promise<{ close?: () => unknown }>).then(
      (s) => Promise.resolve(s.close?.()).catch(() => undefined),
      () => undefined,
    )
    return {}
  }
  const sync = store as Exclude<typeof store, Promise<unknown>>
  const result = { name: sync.name, capabilities: { ...sync.capabilities } }
  try {
    Promise.resolve(sync.close?.()).catch(() => undefined)
  } catch {
    // A store that fails to close during probing still gets tested; its own tests will show it.
  }
  return result
}
