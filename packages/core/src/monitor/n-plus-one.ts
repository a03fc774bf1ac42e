import { AsyncLocalStorage } from 'node:async_hooks'
import type { Clock } from '../util/clock.js'
import { assertFunction, assertInt } from '../util/validate.js'
import { PerfError } from '../errors.js'
import { captureCallSite } from './call-site.js'
import { ScopeCacheAttribution } from './scope-cache.js'
import { ScopeState, type ScopeName } from './scope-state.js'
import type { NPlusOneFinding, NPlusOneReport, QueryEvent, ScopeInfo, ScopeReport } from './types.js'

/** Options of one `monitor.scope(fn, options)`. */
export interface ScopeOptions {
  /**
   * Shown in reports (a route, a job name). A function is asked each time a report needs the name,
   * so a route matched after the scope opened still names it; if it throws, the name is `'scope'`.
   * @default 'scope'
   */
  name?: ScopeName
  /** Same-fingerprint count that makes an N+1 finding in this scope. @default the monitor's `nPlusOneThreshold` */
  threshold?: number
  /** Called once when the scope ends (also when `fn` fails), with its final counts; a throw rejects the scope. */
  onReport?: (report: ScopeReport) => void
}

/** What the detector needs to know about the statement just recorded. */
export interface ObservedStatement {
  fingerprint: string
  id: string
  source: string
  model: string | undefined
  operation: string | undefined
  sample: string | undefined
}

/** Settings of a {@link ScopeTracker}, validated by the monitor. */
export interface ScopeTrackerSettings {
  threshold: number
  maxReports: number
  /** Distinct fingerprints counted per scope; later ones are not counted. */
  maxScopeFingerprints: number
  ignoredFrames: readonly RegExp[]
  clock: Clock
  onNPlusOne: ((report: NPlusOneReport) => void) | undefined
  /** The suggestion for a new finding, from the advisors registered for its source. */
  advise?: (finding: NPlusOneFinding) => string | undefined
}

/** Tracks request scopes with AsyncLocalStorage and reports repeated statements (N+1) in them. */
export class ScopeTracker {
  readonly #storage = new AsyncLocalStorage<ScopeState>()
  readonly #cache = new ScopeCacheAttribution(this.#storage)
  readonly #settings: ScopeTrackerSettings
  /** Recent reports across scopes, oldest dropped first. */
  #reports: NPlusOneReport[] = []
  /** Reports made since creation or reset (the list keeps only the last `maxReports`). */
  total = 0

  constructor(settings: ScopeTrackerSettings) {
    this.#settings = settings
  }

  /** Runs `fn` in a new scope; returns what `fn` returns, after the scope's report is delivered. */
  run<T>(fn: () => T, options: ScopeOptions = {}): T {
    assertFunction(fn, 'fn')
    const name = options.name ?? 'scope'
    if (typeof name !== 'string' && typeof name !== 'function')
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:monitor] scope option "name" must be a string or a function, got ${typeof name}`,
        { context: { option: 'name' } },
      )
    const threshold =
      options.threshold === undefined ? this.#settings.threshold : assertInt(options.threshold, 'threshold', 2)
    const onReport = options.onReport === undefined ? undefined : assertFunction(options.onReport, 'onReport')
    const state = new ScopeState(name, threshold, this.#settings.clock.now())
    let result: T
    this.#cache.opened()
    try {
      result = this.#storage.run(state, fn)
    } catch (err) {
      this.#end(state, true, onReport)
      throw err
    }
    if (!isThenable(result)) {
      this.#end(state, false, onReport)
      return result
    }
    return result.then(
      (value) => {
        this.#end(state, false, onReport)
        return value
      },
      (err: unknown) => {
        this.#end(state, true, onReport)
        throw err
      },
    ) as T
  }

  /** The innermost scope the caller runs in, if any. */
  current(): ScopeInfo | undefined {
    const state = this.#storage.getStore()
    return state === undefined || state.ended ? undefined : state
  }

  /** Counts `event` (as `statement`) in the current scope; reports it once when it reaches the threshold. */
  observe(statement: ObservedStatement, event: QueryEvent, cutoff: Function): void {
    const state = this.#storage.getStore()
    if (state === undefined || state.ended) return
    state.tally(event)
    const key = statement.fingerprint
    const previous = state.counts.get(key)
    if (previous === undefined && state.counts.size >= this.#settings.maxScopeFingerprints) return
    const count = (previous ?? 0) + 1
    state.counts.set(key, count)
    if (count < state.threshold) return
    const existing = state.byFingerprint.get(key)
    if (existing !== undefined) {
      existing.count = count
      return
    }
    this.#report(state, statement, count, event.callSite, cutoff, event.tables)
  }

  /** Recent N+1 reports (copies), oldest first. */
  reports(): NPlusOneReport[] {
    return this.#reports.map((r) => ({ ...r, frames: [...r.frames] }))
  }

  /** Forgets the recent reports (scopes still running keep counting). */
  reset(): void {
    this.#reports = []
    this.total = 0
  }

  #report(
    state: ScopeState,
    statement: ObservedStatement,
    count: number,
    callSite: string | undefined,
    cutoff: Function,
    tables: readonly string[] | undefined,
  ): void {
    const site =
      callSite === undefined ? captureCallSite(this.#settings.ignoredFrames, cutoff) : { callSite, frames: [callSite] }
    const report: NPlusOneReport = {
      scope: state.name,
      fingerprint: statement.fingerprint,
      fingerprintId: statement.id,
      count,
      threshold: state.threshold,
      source: statement.source,
      frames: site.frames,
      detectedAt: this.#settings.clock.now(),
    }
    if (statement.model !== undefined) report.model = statement.model
    if (statement.operation !== undefined) report.operation = statement.operation
    if (statement.sample !== undefined) report.sample = statement.sample
    if (site.callSite !== undefined) report.callSite = site.callSite
    const suggestion = this.#suggest(report, tables)
    if (suggestion !== undefined) report.suggestion = suggestion
    state.byFingerprint.set(statement.fingerprint, report)
    state.reports.push(report)
    this.total++
    this.#reports.push(report)
    if (this.#reports.length > this.#settings.maxReports) this.#reports.shift()
    const listener = this.#settings.onNPlusOne
    if (listener !== undefined) {
      try {
        // The live report: its count keeps growing until the scope ends.
        listener(report)
      } catch {
        // A failing listener must not fail the query that happened to cross the threshold.
      }
    }
  }

  #suggest(report: NPlusOneReport, tables: readonly string[] | undefined): string | undefined {
    const advise = this.#settings.advise
    if (advise === undefined) return undefined
    const finding: NPlusOneFinding = {
      source: report.source,
      fingerprint: report.fingerprint,
      fingerprintId: report.fingerprintId,
    }
    if (report.model !== undefined) finding.model = report.model
    if (report.operation !== undefined) finding.operation = report.operation
    if (tables !== undefined) finding.tables = [...tables]
    if (report.sample !== undefined) finding.sample = report.sample
    return advise(finding)
  }

  #end(state: ScopeState, failed: boolean, onReport: ((report: ScopeReport) => void) | undefined): void {
    state.ended = true
    state.counts.clear()
    this.#cache.closed()
    if (onReport === undefined) return
    onReport({
      name: state.name,
      queries: state.queries,
      statements: state.statements,
      dbMs: state.dbMs,
      cache: { ...state.cache },
      durationMs: this.#settings.clock.now() - state.startedAt,
      failed,
      nPlusOne: state.reports.map((r) => ({ ...r, frames: [...r.frames] })),
    })
  }
}

function isThenable<T>(value: T): value is T & PromiseLike<Awaited<T>> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
