import type { HealthSourceStatus } from './health-sources.js'
import type { PoolStats } from '../pool/types.js'
import type { HistogramSummary } from './histogram.js'

/** One database operation, as adapters report it to a monitor. */
export interface QueryEvent {
  /** The adapter that saw it: `'prisma'`, `'typeorm'`, `'sequelize'`, `'pg'`. */
  source: string
  /** SQL text when the adapter can see it (never logged unredacted). */
  sql?: string
  /** A precomputed fingerprint; computed from `sql` when absent. */
  fingerprint?: string
  /** ORM model, when known. */
  model?: string
  /** ORM operation (`findUnique`, `update`, ...), when known. */
  operation?: string
  /** Wall time in milliseconds. */
  durationMs: number
  /** When it started (ms since the epoch). @default now - durationMs */
  startedAt?: number
  /** Rows returned or affected, when known. */
  rows?: number
  /** The error, if it failed. */
  error?: unknown
  /** Cache outcome when a cache was consulted. */
  cache?: 'hit' | 'stale' | 'miss' | 'grace' | 'bypass'
  /** Tables the statement reads or writes, when the adapter knows them (`sqlTables` names, unqualified). */
  tables?: readonly string[]
  /** Whether it ran inside a transaction. */
  inTransaction?: boolean
  /** Where in application code it was issued (file:line), when captured. */
  callSite?: string
}

/** A cache outcome as carried by {@link QueryEvent.cache}. */
export type CacheOutcome = NonNullable<QueryEvent['cache']>

/** Per-fingerprint statistics, as returned by `monitor.fingerprints()` and in snapshots. */
export interface FingerprintSummary {
  /** Short stable id (see `fingerprintId`); `'other'` for the overflow bucket. */
  id: string
  /** The normalised statement (or `model.operation` when the adapter gave no SQL); `'(other)'` for overflow. */
  fingerprint: string
  /** The first statement seen with this fingerprint, redacted and truncated. */
  sample?: string
  /** Adapter of the first event. */
  source: string
  model?: string
  operation?: string
  calls: number
  errors: number
  /** Total wall time in milliseconds. */
  totalMs: number
  meanMs: number
  maxMs: number
  /** 95th percentile in milliseconds (±5%). */
  p95Ms: number
  /** Rows returned or affected, summed over events that reported rows. */
  rows: number
  /** When the last event was recorded (ms since the epoch). */
  lastSeen: number
}

/** One entry of the slow-query log. Holds no literal values and no error messages. */
export interface SlowQuery {
  /** When the query started (ms since the epoch). */
  startedAt: number
  durationMs: number
  fingerprintId: string
  /** The statement, redacted and truncated; absent when the adapter gave no SQL. */
  sql?: string
  source: string
  model?: string
  operation?: string
  rows?: number
  /** Name and code of the error (never its message, which may quote values). */
  error?: string
  callSite?: string
}

/** The same fingerprint issued at least `threshold` times inside one `monitor.scope()`. */
export interface NPlusOneReport {
  /** Name of the scope (`scope(fn, { name })`), `'scope'` when unnamed. */
  scope: string
  fingerprint: string
  fingerprintId: string
  /** Times issued in the scope so far; keeps growing until the scope ends. */
  count: number
  /** The threshold that was crossed. */
  threshold: number
  source: string
  model?: string
  operation?: string
  /** Redacted SQL of the statement, when known. */
  sample?: string
  /** First application frame (`file:line:column`) when the threshold was reached, if one was found. */
  callSite?: string
  /** Up to five application frames, innermost first. */
  frames: string[]
  /** When the threshold was reached (ms since the epoch). */
  detectedAt: number
  /**
   * How to remove the N+1, from the advisor its source registered with `monitor.advise()`
   * (e.g. `use loaders.relation(Post, 'author')`); absent when no advisor had one.
   */
  suggestion?: string
}

/** What an {@link NPlusOneAdvisor} is told about a finding. */
export interface NPlusOneFinding {
  /** The adapter that recorded the statement. */
  source: string
  fingerprint: string
  fingerprintId: string
  model?: string
  operation?: string
  /** Tables of the event that crossed the threshold, when the adapter reported them. */
  tables?: readonly string[]
  /** Redacted SQL, when known. */
  sample?: string
}

/**
 * Maps an N+1 finding to a suggestion (one line, e.g. `use loaders.byId(User)`), or `undefined`
 * when it has none. Registered by an adapter with `monitor.advise(source, advisor)`.
 */
export type NPlusOneAdvisor = (finding: NPlusOneFinding) => string | undefined

/** What a scope saw, handed to `scope(fn, { onReport })` when it ends. */
export interface ScopeReport {
  name: string
  /** Events recorded inside the scope. */
  queries: number
  /** Events that reached the database: every recorded event except cache hit, stale and grace answers. */
  statements: number
  /** Summed `durationMs` of those statements (database time, in ms). */
  dbMs: number
  /**
   * Cache outcomes in the scope: hit, stale, grace and miss as the cache engine answered its
   * lookups (any `@perf/core` cache, with or without an adapter); bypass from recorded events.
   */
  cache: Record<CacheOutcome, number>
  durationMs: number
  /** True when `fn` threw or its promise rejected. */
  failed: boolean
  nPlusOne: NPlusOneReport[]
}

/** The scope an event is recorded in, as `monitor.currentScope()` returns it. */
export interface ScopeInfo {
  readonly name: string
  /** Events recorded in the scope so far. */
  readonly queries: number
  /** Events that reached the database so far (see {@link ScopeReport.statements}). */
  readonly statements: number
  /** Database time so far, in ms (see {@link ScopeReport.dbMs}). */
  readonly dbMs: number
  /** Cache outcomes so far (see {@link ScopeReport.cache}). */
  readonly cache: Readonly<Record<CacheOutcome, number>>
  /** When the scope started (ms since the epoch). */
  readonly startedAt: number
}

/** A pool's state plus its utilization (active / max). */
export interface PoolHealth extends PoolStats {
  name: string
  /** active / max, from 0 to 1. */
  utilization: number
}

/** The figures `monitor.health()` judged. */
export interface HealthMetrics {
  /** Events in the health window (the current and the previous `windowMs`). */
  calls: number
  errorRate: number
  p95Ms: number
  /** Cache reads (hit, stale, grace, miss) in the window. */
  cacheReads: number
  /** (hit + stale + grace) / reads; null without reads. */
  cacheHitRatio: number | null
  /** p99 event-loop delay in ms; null when not measured (yet). */
  eventLoopDelayP99Ms: number | null
  pools: PoolHealth[]
  /** The last answer of each health source (`monitor.addHealthSource()`); absent without sources. */
  sources?: HealthSourceStatus[]
}

/** A 0–100 health score with the reasons that lowered it. */
export interface HealthReport {
  score: number
  /** `ok` from 80, `degraded` from 50, `critical` below. */
  status: 'ok' | 'degraded' | 'critical'
  /** One line per problem, with its numbers: `p95 latency 840 ms > 250 ms`. */
  reasons: string[]
  metrics: HealthMetrics
}

/** Totals since creation or the last `reset()`. */
export interface MonitorTotals {
  calls: number
  errors: number
  totalMs: number
  rows: number
  slowQueries: number
  /** Overall latency in ms: count, sum, min, max and percentiles. */
  latency: HistogramSummary
  cache: Record<CacheOutcome, number> & { hitRatio: number | null }
}

/** A JSON-serialisable picture of the monitor. */
export interface MonitorSnapshot {
  /** When the snapshot was taken (ms since the epoch). */
  at: number
  /** When counting started (creation or last reset). */
  since: number
  totals: MonitorTotals
  /** Distinct fingerprints tracked (the overflow bucket included). */
  fingerprintCount: number
  /** Top fingerprints by total time. */
  fingerprints: FingerprintSummary[]
  slowQueries: SlowQuery[]
  nPlusOne: NPlusOneReport[]
  health: HealthReport
}
