import { PerfError } from '../errors.js'
import type { Clock } from '../util/clock.js'
import { optionalMs, type Duration } from '../util/duration.js'
import type { HealthReport } from './types.js'

/** What a {@link HealthSource} says about the thing it watches. */
export interface HealthSourceResult {
  /** 0–100; what it lacks from 100 is taken off the monitor's score. */
  score: number
  /** One line per problem, with its numbers; shown prefixed with the source's name. */
  reasons?: readonly string[]
}

/**
 * Health from outside the process (a database, a queue) that joins `monitor.health()`. The
 * monitor runs `check` in the background every `intervalMs` and keeps the last answer, so
 * `health()` stays synchronous and never waits on the outside.
 */
export interface HealthSource {
  /** Prefixes its reasons (`postgres: 2 session(s) blocked …`); unique per monitor. */
  name: string
  /**
   * Reads the outside health. May throw or reject: a failed check costs 10 points and says why.
   * `signal` aborts when the check outlives `intervalMs` or the monitor closes.
   */
  check(signal: AbortSignal): Promise<HealthSourceResult> | HealthSourceResult
  /** Time between checks, ms or `'30s'`; a check running longer counts as failed. @default 30000 */
  intervalMs?: Duration
}

/** The last answer of one source, as `health().metrics.sources` lists it. */
export interface HealthSourceStatus {
  name: string
  /** The last good score; null before the first check ends or after a failed one. */
  score: number | null
  reasons: string[]
  /** When the last check ended (ms since the epoch); null before the first. */
  checkedAt: number | null
  /** Why the last check failed, if it did. */
  error?: string
}

/** Points a failed or timed-out check costs. */
const FAILED_PENALTY = 10
const MAX_SOURCES = 32

interface Entry {
  readonly source: HealthSource
  readonly intervalMs: number
  status: HealthSourceStatus
  running: Promise<void> | undefined
  controller: AbortController | undefined
  timer: ReturnType<typeof setInterval> | undefined
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `${typeof error}: ${String(error)}`

/** The health sources of one monitor: runs their checks on timers and merges their last answers. */
export class HealthSources {
  readonly #entries = new Map<string, Entry>()
  readonly #clock: Clock
  #closed = false

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** @throws PerfError INVALID_ARGUMENT for a malformed source, a name already used, or past 32 sources */
  add(source: HealthSource): () => void {
    if (
      typeof source !== 'object' ||
      source === null ||
      typeof source.name !== 'string' ||
      source.name === '' ||
      typeof source.check !== 'function'
    ) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        '[perf:monitor] addHealthSource(source) needs { name: string, check(signal): HealthSourceResult }',
        { context: { argument: 'source' } },
      )
    }
    const intervalMs = optionalMs(source.intervalMs, 'intervalMs', 30_000, 'INVALID_ARGUMENT')
    if (!(intervalMs > 0)) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:monitor] addHealthSource() intervalMs must be > 0, got ${intervalMs}`,
        {
          context: { argument: 'intervalMs', value: intervalMs },
        },
      )
    }
    if (this.#entries.has(source.name)) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:monitor] addHealthSource(): a source named "${source.name}" exists`,
        {
          context: { argument: 'source', name: source.name },
        },
      )
    }
    if (this.#entries.size >= MAX_SOURCES) {
      throw new PerfError('INVALID_ARGUMENT', `[perf:monitor] addHealthSource(): at most ${MAX_SOURCES} sources`, {
        context: { max: MAX_SOURCES },
      })
    }
    const entry: Entry = {
      source,
      intervalMs,
      status: { name: source.name, score: null, reasons: [], checkedAt: null },
      running: undefined,
      controller: undefined,
      timer: undefined,
    }
    this.#entries.set(source.name, entry)
    if (!this.#closed) {
      void this.#run(entry)
      entry.timer = setInterval(() => void this.#run(entry), intervalMs)
      entry.timer.unref?.()
    }
    return () => {
      if (this.#entries.get(source.name) !== entry) return
      this.#stop(entry)
      this.#entries.delete(source.name)
    }
  }

  /** Runs every check now (joining one already running) and resolves when all have ended. */
  async refresh(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => this.#run(e)))
  }

  /** `report` with each source's shortfall taken off its score and its reasons appended. */
  merge(report: HealthReport): HealthReport {
    if (this.#entries.size === 0) return report
    let penalty = 0
    const reasons = [...report.reasons]
    const sources: HealthSourceStatus[] = []
    for (const { status } of this.#entries.values()) {
      sources.push({ ...status, reasons: [...status.reasons] })
      if (status.error !== undefined) {
        penalty += FAILED_PENALTY
        reasons.push(`health source "${status.name}" failed: ${status.error}`)
      } else if (status.score !== null) {
        penalty += 100 - status.score
        for (const r of status.reasons) reasons.push(`${status.name}: ${r}`)
      }
    }
    const score = Math.round(Math.min(100, Math.max(0, report.score - penalty)))
    return {
      ...report,
      score,
      status: score >= 80 ? 'ok' : score >= 50 ? 'degraded' : 'critical',
      reasons,
      metrics: { ...report.metrics, sources },
    }
  }

  /** Stops every timer and aborts running checks. Idempotent. */
  close(): void {
    this.#closed = true
    for (const entry of this.#entries.values()) this.#stop(entry)
  }

  #stop(entry: Entry): void {
    if (entry.timer !== undefined) clearInterval(entry.timer)
    entry.timer = undefined
    entry.controller?.abort(
      new PerfError('ABORTED', `[perf:monitor] health source "${entry.source.name}" removed or monitor closed`),
    )
  }

  /** One check; a second call while it runs joins it rather than starting another. */
  #run(entry: Entry): Promise<void> {
    if (entry.running) return entry.running
    if (this.#closed) return Promise.resolve()
    const controller = new AbortController()
    entry.controller = controller
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new PerfError(
          'TIMEOUT',
          `[perf:monitor] health source "${entry.source.name}" did not answer within ${entry.intervalMs} ms`,
        )
        controller.abort(error)
        reject(error)
      }, entry.intervalMs)
      timer.unref?.()
    })
    const checked = (async () => entry.source.check(controller.signal))()
    entry.running = Promise.race([checked, timedOut])
      .then((result) => {
        const score = (result as HealthSourceResult | undefined)?.score
        const reasons = (result as HealthSourceResult | undefined)?.reasons ?? []
        if (typeof score !== 'number' || !(score >= 0 && score <= 100) || !Array.isArray(reasons)) {
          throw new TypeError(`returned ${JSON.stringify(result)}, not { score: 0–100, reasons?: string[] }`)
        }
        entry.status = {
          name: entry.source.name,
          score,
          reasons: reasons.map(String),
          checkedAt: this.#clock.now(),
        }
      })
      .catch((error: unknown) => {
        entry.status = {
          name: entry.source.name,
          score: null,
          reasons: [],
          checkedAt: this.#clock.now(),
          error: errorText(error),
        }
      })
      .finally(() => {
        clearTimeout(timer)
        entry.running = undefined
        if (entry.controller === controller) entry.controller = undefined
      })
    // A check that rejects after the timeout won is already accounted for.
    checked.catch(() => undefined)
    return entry.running
  }
}
