import type { IncomingMessage } from 'node:http'
import type { Cache, CircuitBreaker, LeakDetector, Monitor, PoolMonitor, PoolProbe } from '@perf/core'
import { HttpOptionError } from './errors.js'

/** A pool the dashboard shows: a `PoolMonitor` (history, waits, alerts) or a bare `PoolProbe`. */
export type PoolSource = PoolMonitor | PoolProbe

/** Anything with `stats()` returning numbers, such as `LocalLocker`. */
export interface LockerSource {
  stats(): object
}

/**
 * The part of `@perf/pg`'s `pgDiagnostics(pool)` the dashboard reads (so this package does not
 * depend on `pg`): the blocking tree, and index advice when the methods are there.
 */
export interface PgDiagnosticsSource {
  blockingTree(): Promise<unknown>
  missingForeignKeyIndexes?(): Promise<unknown>
  unusedIndexes?(): Promise<unknown>
}

/** One object, several, or several by name (`{ api: monitorA, jobs: monitorB }`). */
export type OneOrMany<T> = T | readonly T[] | Readonly<Record<string, T>>

/** Options of {@link dashboard}. Every source is optional; sections without one say so. */
export interface DashboardOptions {
  /** Query monitors (`createMonitor()`); a record names them. */
  monitors?: OneOrMany<Monitor>
  /** Caches (`createCache()`), named by namespace unless a record names them. Hot keys need the cache's `hotKeys` option. */
  caches?: OneOrMany<Cache>
  /** Connection pools: `PoolMonitor`s (history, acquire waits, alerts) or `PoolProbe`s. */
  pools?: OneOrMany<PoolSource>
  /** Leak detectors; their reports are shown with stacks, never with the connection object. */
  leaks?: OneOrMany<LeakDetector>
  /** Lockers with `stats()` (`LocalLocker`); waits, timeouts and deadlocks come from the `perf:lock` channel. */
  lockers?: OneOrMany<LockerSource>
  /** Circuit breakers. */
  breakers?: OneOrMany<CircuitBreaker>
  /** `pgDiagnostics(pool)` from `@perf/pg`: blocking tree and index advice on `/pg`. */
  pg?: PgDiagnosticsSource
  /**
   * Decides whether a request may see the dashboard (your session or token check). Without it,
   * only requests from the loopback interface that came through no proxy are served.
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>
  /**
   * The path the handler is mounted under when the framework does not strip it (plain `node:http`,
   * Fastify, Koa), e.g. `'/perf'`. Express and Nest strip it themselves. @default ''
   */
  basePath?: string
  /** `/health` answers 503 when the lowest monitor's score is below this (0–100). @default 50 */
  healthThreshold?: number
  /** Time between series points and live updates, ms (>= 100). @default 1000 */
  intervalMs?: number
  /** Series points kept (the charts' width). @default 300 */
  historySize?: number
  /** Fingerprints, slow queries and hot keys listed per source. @default 20 */
  top?: number
  /** Live-update connections (`/stream`) served at once; more get 503. @default 16 */
  maxStreams?: number
  /** Shown for cache keys and lock resources. @default masks quoted strings and numbers inside JSON-like parts */
  redactKey?: (key: string) => string
  /** Page title. @default '@perf dashboard' */
  title?: string
}

/** A source with the name it is shown under. */
export interface Named<T> {
  name: string
  value: T
}

export interface ResolvedDashboardOptions {
  monitors: Named<Monitor>[]
  caches: Named<Cache>[]
  pools: Named<PoolSource>[]
  leaks: Named<LeakDetector>[]
  lockers: Named<LockerSource>[]
  breakers: Named<CircuitBreaker>[]
  pg: PgDiagnosticsSource | undefined
  authorize: DashboardOptions['authorize']
  basePath: string
  healthThreshold: number
  intervalMs: number
  historySize: number
  top: number
  maxStreams: number
  redactKey: (key: string) => string
  title: string
}

/** @throws HttpOptionError naming the option */
export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  if (typeof options !== 'object' || options === null) {
    throw new HttpOptionError('options', 'type', `must be an object, got ${options === null ? 'null' : typeof options}`)
  }
  const o = options
  if (o.authorize !== undefined && typeof o.authorize !== 'function')
    throw new HttpOptionError('authorize', 'type', 'must be a function (req) => boolean | Promise<boolean>')
  if (o.redactKey !== undefined && typeof o.redactKey !== 'function')
    throw new HttpOptionError('redactKey', 'type', 'must be a function (key) => string')
  if (o.pg !== undefined && !hasMethods(o.pg, ['blockingTree']))
    throw new HttpOptionError('pg', 'source', 'must be pgDiagnostics(pool) from @perf/pg (with blockingTree())')
  return {
    monitors: named(o.monitors, 'monitors', ['snapshot', 'health', 'fingerprints'], (_, i) => `monitor ${i + 1}`),
    caches: named(o.caches, 'caches', ['stats'], (c, i) => (c as Cache).namespace ?? `cache ${i + 1}`),
    pools: named(o.pools, 'pools', [], poolName, (p) => hasMethods(p, ['snapshot']) || hasMethods(p, ['stats'])),
    leaks: named(o.leaks, 'leaks', ['leaks'], (_, i) => `leaks ${i + 1}`),
    lockers: named(o.lockers, 'lockers', ['stats'], (_, i) => `locker ${i + 1}`),
    breakers: named(o.breakers, 'breakers', ['toJSON'], (b, i) => (b as CircuitBreaker).name ?? `breaker ${i + 1}`),
    pg: o.pg,
    authorize: o.authorize,
    basePath: basePathOf(o.basePath),
    healthThreshold: numberIn(o.healthThreshold ?? 50, 'healthThreshold', 0, 100),
    intervalMs: integerIn(o.intervalMs ?? 1000, 'intervalMs', 100, 3_600_000),
    historySize: integerIn(o.historySize ?? 300, 'historySize', 2, 100_000),
    top: integerIn(o.top ?? 20, 'top', 1, 1000),
    maxStreams: integerIn(o.maxStreams ?? 16, 'maxStreams', 0, 10_000),
    redactKey: o.redactKey ?? redactCacheKey,
    title: typeof o.title === 'string' ? o.title : '@perf dashboard',
  }
}

function poolName(pool: unknown, i: number): string {
  const p = pool as { name?: unknown; snapshot?: () => { pool: string } }
  if (typeof p.name === 'string') return p.name
  if (typeof p.snapshot === 'function') return p.snapshot().pool
  return `pool ${i + 1}`
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false
  return methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
}

/** Normalises one/many/by-name into a named list, checking each element has the methods read. */
export function named<T>(
  value: OneOrMany<T> | undefined,
  option: string,
  methods: readonly string[],
  defaultName: (item: T, index: number) => string,
  accepts: (item: unknown) => boolean = (item) => hasMethods(item, methods),
): Named<T>[] {
  if (value === undefined) return []
  if (typeof value !== 'object' || value === null)
    throw new HttpOptionError(option, 'type', 'must be an object, an array or a record of them')
  let entries: Array<[string | undefined, unknown]>
  if (Array.isArray(value)) entries = value.map((v) => [undefined, v])
  else if (accepts(value)) entries = [[undefined, value]]
  else entries = Object.entries(value)
  return entries.map(([name, item], i) => {
    const label = name === undefined ? (Array.isArray(value) ? `${option}[${i}]` : option) : `${option}.${name}`
    if (!accepts(item)) {
      const needs = methods.length > 0 ? methods.map((m) => `${m}()`).join(', ') : 'snapshot() or stats()'
      throw new HttpOptionError(label, 'source', `must be an object with ${needs}`)
    }
    return { name: name ?? defaultName(item as T, i), value: item as T }
  })
}

function basePathOf(value: unknown): string {
  if (value === undefined || value === '' || value === '/') return ''
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\s]/.test(value))
    throw new HttpOptionError('basePath', 'path', `must be a path starting with '/', got ${JSON.stringify(value)}`)
  return value.endsWith('/') ? value.slice(0, -1) : value
}

export function numberIn(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max))
    throw new HttpOptionError(option, 'range', `must be a number from ${min} to ${max}, got ${String(value)}`)
  return value
}

export function integerIn(value: unknown, option: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
    throw new HttpOptionError(option, 'range', `must be an integer from ${min} to ${max}, got ${String(value)}`)
  return value as number
}

/**
 * The default `redactKey`: keys the application built (`user:42`) are shown as they are; inside
 * JSON-like parts (`{"where":{"email":"ann@example.com"}}`), string and number values become `?`
 * (object keys stay, so the shape of the query is still readable).
 */
export function redactCacheKey(key: string): string {
  const brace = key.search(/[[{]/)
  if (brace === -1) return key
  let out = key.slice(0, brace)
  let i = brace
  while (i < key.length) {
    const c = key[i] as string
    if (c === '"') {
      // A whole string token, escapes included; it is a value unless a colon follows.
      let end = i + 1
      while (end < key.length && key[end] !== '"') end += key[end] === '\\' ? 2 : 1
      end = Math.min(end + 1, key.length)
      out += /^\s*:/.test(key.slice(end)) ? key.slice(i, end) : '"?"'
      i = end
    } else if (/[-\d]/.test(c) && /[:[,]\s*$/.test(out)) {
      const number = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(key.slice(i))
      out += number === null ? c : '?'
      i += number === null ? 1 : number[0].length
    } else {
      out += c
      i++
    }
  }
  return out
}
