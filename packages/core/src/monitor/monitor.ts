import diagnosticsChannel from 'node:diagnostics_channel'
import { PerfError } from '../errors.js'
import type { PoolProbe } from '../pool/types.js'
import { CoarseClock } from '../util/coarse-clock.js'
import { CHANNELS } from '../util/diagnostics.js'
import { EventLoopDelay } from './event-loop-delay.js'
import { fingerprint, hashFingerprint } from './fingerprint.js'
import { FingerprintTable, type FingerprintStats } from './fingerprint-table.js'
import { computeHealth } from './health.js'
import { HealthWindow } from './health-window.js'
import { HealthSources, type HealthSource } from './health-sources.js'
import { Histogram } from './histogram.js'
import { LruMap } from '../util/lru-map.js'
import { OperationLabels } from './operation-labels.js'
import { resolveMonitorOptions, type MonitorOptions, type ResolvedMonitorOptions } from './monitor-options.js'
import { ScopeTracker, type ObservedStatement, type ScopeOptions } from './n-plus-one.js'
import { formatPrometheus } from './prometheus.js'
import { redact } from './redact.js'
import { SlowLog, truncate } from './slow-log.js'
import type {
  CacheOutcome,
  FingerprintSummary,
  HealthReport,
  MonitorSnapshot,
  MonitorTotals,
  NPlusOneAdvisor,
  NPlusOneFinding,
  NPlusOneReport,
  QueryEvent,
  ScopeInfo,
  SlowQuery,
} from './types.js'

/** Options of `monitor.toPrometheus()`. */
export interface PrometheusOptions {
  /** Prepended to every metric name. @default 'perf_' */
  prefix?: string
}

/** Options of `monitor.snapshot()` and `monitor.fingerprints()`. */
export interface TopOptions {
  /** How many fingerprints, the most total time first. @default 20 for snapshot(), all for fingerprints() */
  top?: number
}

/** Collects query events: per-fingerprint statistics, slow log, N+1 findings, health and exports. */
export interface Monitor {
  /** Records one query; publishes it on diagnostics channel `perf:query`. A no-op after close(). @throws PerfError INVALID_ARGUMENT when `durationMs` is not a finite number >= 0. */
  record(event: QueryEvent): void
  /** Runs `fn` in a request scope for N+1 detection and returns its result. */
  scope<T>(fn: () => T, options?: ScopeOptions): T
  /** The scope the caller runs in, if any (adapters use it to tag events). */
  currentScope(): ScopeInfo | undefined
  /**
   * Registers an advisor for N+1 findings of events with `source`: its answer becomes the
   * report's `suggestion`. Advisors of one source are asked in registration order; the first
   * string wins. Returns a function that removes it.
   * @throws PerfError INVALID_ARGUMENT for a non-string source or a non-function advisor
   */
  advise(source: string, advisor: NPlusOneAdvisor): () => void
  /** Adds a pool to health and metrics; returns a function that removes it. @throws PerfError INVALID_ARGUMENT for a malformed probe or past 64 probes. */
  addPoolProbe(probe: PoolProbe): () => void
  /** Per-fingerprint statistics, the most total time first. */
  fingerprints(options?: TopOptions): FingerprintSummary[]
  /** The slow-query log, oldest first. */
  slowQueries(): SlowQuery[]
  /** Recent N+1 reports, oldest first. */
  nPlusOne(): NPlusOneReport[]
  /** Totals since creation or reset(). */
  totals(): MonitorTotals
  /** A 0–100 score from recent latency, errors, cache hit ratio, pools and event-loop delay, less what health sources lack. */
  health(): HealthReport
  /**
   * Adds outside health (a database, a queue) to `health()`: `check` runs now and every
   * `intervalMs` in the background; its last answer's shortfall from 100 is taken off the score
   * and its reasons follow, prefixed with its name. Returns a function that removes it.
   * @throws PerfError INVALID_ARGUMENT for a malformed source, a name in use, or past 32 sources
   * @example
   * monitor.addHealthSource(pgHealthSource(pool)) // @perf/pg
   */
  addHealthSource(source: HealthSource): () => void
  /** Runs every health source's check now, then returns `health()`. */
  refreshHealth(): Promise<HealthReport>
  /** Metrics in the Prometheus text exposition format 0.0.4. */
  toPrometheus(options?: PrometheusOptions): string
  /** A JSON-serialisable picture of everything above. */
  snapshot(options?: TopOptions): MonitorSnapshot
  /** Forgets every figure (probes and running scopes stay). */
  reset(): void
  /** Stops event-loop sampling; record() becomes a no-op. Idempotent. */
  close(): void
}

/** SQL longer than this is fingerprinted every time rather than kept as a cache key. */
const MAX_CACHED_SQL = 8192
const MAX_PROBES = 64
const PROMETHEUS_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/
const HIT_LIKE: Record<CacheOutcome, boolean> = { hit: true, stale: true, grace: true, miss: false, bypass: false }

class QueryMonitor implements Monitor {
  readonly #o: ResolvedMonitorOptions
  readonly #sqlCache: LruMap<string, string>
  readonly #labels: OperationLabels
  readonly #table: FingerprintTable
  /** Held, not looked up per event: `channel(name)` costs a weak-map lookup on every record(). */
  readonly #queryChannel = diagnosticsChannel.channel(CHANNELS.query)
  /** The clock record() reads: the system clock is read at most once a millisecond (an injected clock on every call). */
  readonly #recordClock: CoarseClock
  readonly #latency = new Histogram()
  readonly #window: HealthWindow
  readonly #eventLoop: EventLoopDelay
  readonly #slow: SlowLog
  readonly #scopes: ScopeTracker
  readonly #probes: PoolProbe[] = []
  readonly #sources: HealthSources
  readonly #advisors = new Map<string, NPlusOneAdvisor[]>()
  #cache: Record<CacheOutcome, number> = { hit: 0, stale: 0, grace: 0, miss: 0, bypass: 0 }
  #calls = 0
  #errors = 0
  #totalMs = 0
  #rows = 0
  #since: number
  #closed = false

  constructor(options: MonitorOptions) {
    const o = (this.#o = resolveMonitorOptions(options))
    this.#sqlCache = new LruMap(o.fingerprintCacheSize)
    this.#table = new FingerprintTable(o.maxFingerprints)
    this.#labels = new OperationLabels(o.maxFingerprints)
    this.#since = o.clock.now()
    this.#recordClock = new CoarseClock(o.clock)
    this.#window = new HealthWindow(o.windowMs, this.#since)
    this.#sources = new HealthSources(o.clock)
    this.#eventLoop = new EventLoopDelay(o.eventLoopDelay)
    this.#slow = new SlowLog(o.slowQueryCapacity, o.slowQueryMs, o.maxSqlLength, o.onSlowQuery)
    this.#scopes = new ScopeTracker({
      threshold: o.nPlusOneThreshold,
      maxReports: o.maxNPlusOneReports,
      maxScopeFingerprints: o.maxScopeFingerprints,
      ignoredFrames: o.ignoredFrames,
      clock: o.clock,
      onNPlusOne: o.onNPlusOne,
      advise: (finding) => this.#suggest(finding),
    })
  }

  record(event: QueryEvent): void {
    if (this.#closed) return
    const durationMs = typeof event === 'object' && event !== null ? event.durationMs : undefined
    if (typeof durationMs !== 'number' || !(durationMs >= 0) || durationMs === Number.POSITIVE_INFINITY)
      this.#invalid(durationMs)
    if (this.#queryChannel.hasSubscribers) this.#queryChannel.publish(event)
    const now = this.#recordClock.now()
    const text = this.#fingerprintOf(event)
    const stats = this.#table.get(text) ?? this.#create(text, event)
    const failed = event.error !== undefined && event.error !== null
    stats.add(durationMs, event.rows, failed, now)
    this.#calls++
    if (failed) this.#errors++
    this.#totalMs += durationMs
    if (event.rows !== undefined && event.rows > 0) this.#rows += event.rows
    this.#latency.record(durationMs)
    if (this.#window.advance(now)) this.#eventLoop.reset()
    this.#window.record(durationMs, failed)
    const outcome = event.cache
    if (outcome === 'hit' || outcome === 'stale' || outcome === 'grace' || outcome === 'miss' || outcome === 'bypass') {
      this.#cache[outcome]++
      if (outcome !== 'bypass') this.#window.recordCache(HIT_LIKE[outcome])
    }
    // The overflow bucket lumps statements together; N+1 and the slow log need the real one.
    const statement = stats.id === 'other' ? overflowStatement(text, event) : stats
    if (durationMs >= this.#o.slowQueryMs) this.#slow.add(event, statement.id, now)
    this.#scopes.observe(statement, event, QueryMonitor.prototype.record)
  }

  scope<T>(fn: () => T, options?: ScopeOptions): T {
    return this.#scopes.run(fn, options)
  }

  currentScope(): ScopeInfo | undefined {
    return this.#scopes.current()
  }

  advise(source: string, advisor: NPlusOneAdvisor): () => void {
    if (typeof source !== 'string' || typeof advisor !== 'function') {
      throw new PerfError(
        'INVALID_ARGUMENT',
        '[perf:monitor] advise(source, advisor) needs a source name and a function (finding) => string | undefined',
        { context: { source } },
      )
    }
    const list = this.#advisors.get(source) ?? []
    list.push(advisor)
    this.#advisors.set(source, list)
    return () => {
      const at = list.indexOf(advisor)
      if (at !== -1) list.splice(at, 1)
      if (list.length === 0 && this.#advisors.get(source) === list) this.#advisors.delete(source)
    }
  }

  /** Asked once per finding, not per event; a throwing advisor is skipped, as listeners are. */
  #suggest(finding: NPlusOneFinding): string | undefined {
    const list = this.#advisors.get(finding.source)
    if (list === undefined) return undefined
    for (const advisor of [...list]) {
      try {
        const suggestion = advisor(finding)
        if (typeof suggestion === 'string' && suggestion !== '') return suggestion
      } catch {
        // An advisor bug must not fail the query that crossed the threshold.
      }
    }
    return undefined
  }

  addPoolProbe(probe: PoolProbe): () => void {
    if (
      typeof probe !== 'object' ||
      probe === null ||
      typeof probe.name !== 'string' ||
      typeof probe.stats !== 'function'
    ) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        '[perf:monitor] addPoolProbe(probe) needs { name: string, stats(): PoolStats }',
      )
    }
    if (this.#probes.length >= MAX_PROBES) {
      throw new PerfError('INVALID_ARGUMENT', `[perf:monitor] addPoolProbe(): at most ${MAX_PROBES} pool probes`, {
        context: { max: MAX_PROBES },
      })
    }
    this.#probes.push(probe)
    return () => {
      const at = this.#probes.indexOf(probe)
      if (at !== -1) this.#probes.splice(at, 1)
    }
  }

  fingerprints(options: TopOptions = {}): FingerprintSummary[] {
    const top = options.top === undefined ? Number.MAX_SAFE_INTEGER : topOption(options.top)
    return this.#table
      .all()
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, top)
      .map((s) => s.toJSON())
  }

  slowQueries(): SlowQuery[] {
    return this.#slow.entries()
  }

  nPlusOne(): NPlusOneReport[] {
    return this.#scopes.reports()
  }

  totals(): MonitorTotals {
    const c = this.#cache
    const reads = c.hit + c.stale + c.grace + c.miss
    return {
      calls: this.#calls,
      errors: this.#errors,
      totalMs: this.#totalMs,
      rows: this.#rows,
      slowQueries: this.#slow.total,
      latency: this.#latency.toJSON(),
      cache: { ...c, hitRatio: reads === 0 ? null : (c.hit + c.stale + c.grace) / reads },
    }
  }

  health(): HealthReport {
    this.#eventLoop.start()
    if (this.#window.advance(this.#o.clock.now())) this.#eventLoop.reset()
    const own = computeHealth(
      { window: this.#window.figures(), eventLoopDelayP99Ms: this.#eventLoop.p99Ms(), probes: this.#probes },
      this.#o.thresholds,
    )
    return this.#sources.merge(own)
  }

  addHealthSource(source: HealthSource): () => void {
    return this.#sources.add(source)
  }

  async refreshHealth(): Promise<HealthReport> {
    await this.#sources.refresh()
    return this.health()
  }

  toPrometheus(options: PrometheusOptions = {}): string {
    const prefix = options.prefix ?? 'perf_'
    if (typeof prefix !== 'string' || !PROMETHEUS_PREFIX.test(prefix)) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:monitor] toPrometheus() prefix must match [a-zA-Z_:][a-zA-Z0-9_:]*, got ${JSON.stringify(prefix)}`,
      )
    }
    return formatPrometheus(
      {
        fingerprints: this.#table.all(),
        cache: this.#cache,
        latency: this.#latency,
        slowQueries: this.#slow.total,
        nPlusOne: this.#scopes.total,
        health: this.health(),
      },
      prefix,
    )
  }

  snapshot(options: TopOptions = {}): MonitorSnapshot {
    return {
      at: this.#o.clock.now(),
      since: this.#since,
      totals: this.totals(),
      fingerprintCount: this.#table.size,
      fingerprints: this.fingerprints({ top: options.top ?? 20 }),
      slowQueries: this.slowQueries(),
      nPlusOne: this.nPlusOne(),
      health: this.health(),
    }
  }

  reset(): void {
    const now = this.#o.clock.now()
    this.#sqlCache.clear()
    this.#labels.clear()
    this.#table.clear()
    this.#latency.reset()
    this.#window.clear(now)
    this.#eventLoop.reset()
    this.#slow.clear()
    this.#scopes.reset()
    this.#cache = { hit: 0, stale: 0, grace: 0, miss: 0, bypass: 0 }
    this.#calls = this.#errors = this.#totalMs = this.#rows = 0
    this.#since = now
  }

  close(): void {
    this.#closed = true
    this.#sources.close()
    this.#eventLoop.close()
    this.#recordClock.close()
  }

  #fingerprintOf(event: QueryEvent): string {
    if (typeof event.fingerprint === 'string') return this.#cap(event.fingerprint)
    const sql = event.sql
    if (typeof sql !== 'string') return this.#labels.get(event.source, event.model, event.operation)
    let text = this.#sqlCache.get(sql)
    if (text === undefined) {
      text = this.#cap(fingerprint(sql))
      if (sql.length <= MAX_CACHED_SQL) this.#sqlCache.set(sql, text)
    }
    return text
  }

  /** Keeps a huge fingerprint distinct but bounded: its head plus a hash of the whole. */
  #cap(text: string): string {
    const max = this.#o.maxSqlLength
    return text.length <= max ? text : `${text.slice(0, max)}… [${hashFingerprint(text)}]`
  }

  #create(text: string, event: QueryEvent): FingerprintStats {
    const source = typeof event.source === 'string' ? event.source : 'unknown'
    const sql = event.sql
    return this.#table.create(text, source, event.model, event.operation, () =>
      typeof sql === 'string' ? truncate(redact(sql), this.#o.maxSqlLength) : undefined,
    )
  }

  #invalid(durationMs: unknown): never {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:monitor] record(event) needs event.durationMs to be a finite number >= 0, got ${String(durationMs)}`,
      {
        context: { durationMs },
      },
    )
  }
}

function overflowStatement(text: string, event: QueryEvent): ObservedStatement {
  return {
    fingerprint: text,
    id: hashFingerprint(text),
    source: event.source,
    model: event.model,
    operation: event.operation,
    sample: undefined,
  }
}

function topOption(top: unknown): number {
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 0) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:monitor] option "top" must be an integer >= 0, got ${String(top)}`, {
      context: { top },
    })
  }
  return top
}

/**
 * Creates a query monitor. Adapters call `record()` per query; your code reads `health()`,
 * `snapshot()` and `toPrometheus()`, and wraps requests in `scope()` to catch N+1 patterns.
 *
 * @throws PerfError INVALID_OPTION naming the option that is out of range.
 * @example
 * const monitor = createMonitor({ slowQueryMs: 100, onNPlusOne: (r) => log.warn(r) })
 * // keep the scope open until the response is done, so queries of async handlers count
 * app.use((req, res, next) => monitor.scope(() => new Promise((done) => { res.on('close', done); next() }), { name: `${req.method} ${req.path}` }))
 * app.get('/metrics', (req, res) => res.type('text/plain; version=0.0.4').send(monitor.toPrometheus()))
 */
export function createMonitor(options: MonitorOptions = {}): Monitor {
  return new QueryMonitor(options)
}
