/**
 * The @perf/core API the benchmarks use, loaded from the built package (`@perf/core`, i.e.
 * packages/core/dist: build it first). The shapes below are structural on purpose: they state
 * exactly what the benchmarks rely on and keep this package compiling while core is still growing.
 *
 * While a name is not yet exported from @perf/core, it is loaded from core's TypeScript source
 * (through tsx) and the suite prints a warning, so figures can be gathered before the export is
 * wired; such figures measure the same code, minus the bundling step.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BENCH_DIR } from './harness/env.js'

/** A cache tier entry (times in ms since the epoch). */
export interface StoreEntryLike {
  value: unknown
  createdAt: number
  staleAt: number
  expiresAt: number
  tags?: readonly string[]
}

export interface MemoryStoreLike {
  get(key: string): StoreEntryLike | undefined
  set(key: string, entry: StoreEntryLike): void
  stats(): { entries: number; bytes: number; evictions: number }
  close(): void
}

export interface CacheLike {
  getOrSet<T>(key: string, loader: () => T | Promise<T>, options?: { ttl?: number | string }): Promise<T>
  get<T>(key: string): Promise<T | undefined>
  set(key: string, value: unknown, options?: { ttl?: number | string }): Promise<void>
  close(): Promise<void>
}

export interface BatchLoaderLike<K, V> {
  load(key: K): Promise<V>
  loadMany(keys: ArrayLike<K>): Promise<Array<V | Error>>
}

export interface HistogramLike {
  record(value: number): void
  percentile(p: number): number
}

export interface MonitorLike {
  record(event: {
    source: string
    sql?: string
    durationMs: number
    model?: string
    operation?: string
    rows?: number
  }): void
  scope<T>(fn: () => T, options?: { name?: string }): T
  close?(): void | Promise<void>
}

export interface BreakerLike {
  execute<T>(fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>): Promise<Awaited<T>>
}

export interface LockLike {
  release(): Promise<void>
}

export interface LockerLike {
  acquire(resources: string | readonly string[], ttlMs: number): Promise<LockLike>
  close(): Promise<void>
}

/** Constructors and functions by export name. */
export interface CoreApi {
  MemoryStore: new (options?: { maxEntries?: number; maxBytes?: number }) => MemoryStoreLike
  createCache: (options?: { tiers?: unknown[]; isolate?: boolean; defaultTtl?: number | string }) => CacheLike
  BatchLoader: new <K, V>(
    fn: (keys: ReadonlyArray<K>) => PromiseLike<ArrayLike<V | Error>>,
    options?: { maxBatchSize?: number },
  ) => BatchLoaderLike<K, V>
  batches: (
    source: Iterable<unknown> | AsyncIterable<unknown>,
    fn: (batch: unknown[]) => unknown,
    options?: Record<string, unknown>,
  ) => Promise<unknown>
  retry: <T>(fn: (...args: never[]) => T | Promise<T>, policy?: Record<string, unknown>) => Promise<T>
  Histogram: new (options?: { relativeError?: number }) => HistogramLike
  createMonitor: (options?: Record<string, unknown>) => MonitorLike
  CircuitBreaker: new (options?: Record<string, unknown>) => BreakerLike
  LocalLocker: new (options?: Record<string, unknown>) => LockerLike
}

export type CoreName = keyof CoreApi

/** Where each name lives in core's source, for the pre-export fallback. */
const SOURCE_FILES: Record<CoreName, string[]> = {
  MemoryStore: ['cache/memory/memory-store.ts', 'cache/memory-store.ts'],
  createCache: ['cache/cache.ts', 'cache/create-cache.ts'],
  BatchLoader: ['batch/batch-loader.ts'],
  batches: ['batch/batches.ts', 'batch/index.ts'],
  retry: ['batch/retry.ts', 'batch/index.ts'],
  Histogram: ['monitor/histogram.ts'],
  createMonitor: ['monitor/monitor.ts', 'monitor/create-monitor.ts', 'monitor/index.ts'],
  CircuitBreaker: ['resilience/circuit-breaker.ts'],
  LocalLocker: ['lock/local-locker.ts'],
}

/** The result of {@link loadCore}. */
export interface LoadedCore<N extends CoreName> {
  api: Pick<CoreApi, N>
  /** Names that came from source because @perf/core does not export them yet. */
  fromSource: N[]
  /** Names found nowhere. */
  missing: N[]
}

/** Loads `names` from @perf/core, falling back to core's source for names not exported yet. */
export async function loadCore<N extends CoreName>(names: readonly N[]): Promise<LoadedCore<N>> {
  const pkg = (await import('@perf/core')) as unknown as Record<string, unknown>
  const api: Record<string, unknown> = {}
  const fromSource: N[] = []
  const missing: N[] = []
  for (const name of names) {
    if (pkg[name] !== undefined) {
      api[name] = pkg[name]
      continue
    }
    const value = await fromSourceFile(name)
    if (value === undefined) missing.push(name)
    else {
      api[name] = value
      fromSource.push(name)
    }
  }
  return { api: api as Pick<CoreApi, N>, fromSource, missing }
}

async function fromSourceFile(name: CoreName): Promise<unknown> {
  for (const file of SOURCE_FILES[name]) {
    const path = join(BENCH_DIR, '..', 'core', 'src', file)
    if (!existsSync(path)) continue
    const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>
    if (mod[name] !== undefined) return mod[name]
  }
  return undefined
}

/**
 * Loads `names` for a suite: skips the suite when any is missing, warns when any came from
 * source. Returns undefined when skipped.
 */
export async function requireCore<N extends CoreName>(
  ctx: { skip(reason: string): void; warn(message: string): void },
  names: readonly N[],
): Promise<Pick<CoreApi, N> | undefined> {
  const { api, fromSource, missing } = await loadCore(names)
  if (missing.length > 0) {
    ctx.skip(`@perf/core does not provide ${missing.join(', ')} yet`)
    return undefined
  }
  if (fromSource.length > 0) {
    ctx.warn(
      `${fromSource.join(', ')} loaded from packages/core/src (not exported from @perf/core yet); same code, not the built bundle`,
    )
  }
  return api
}
