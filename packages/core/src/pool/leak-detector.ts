import { PerfError } from '../errors.js'
import { redact } from '../monitor/redact.js'
import { systemClock, type Clock } from '../util/clock.js'
import { CHANNELS, publish } from '../util/diagnostics.js'
import { optionalMs, toMs, type Duration } from '../util/duration.js'
import { assertFunction, assertInt } from '../util/validate.js'
import { captureStack, formatStack, type StackHolder } from './stack.js'

/** Options of {@link LeakDetector}. */
export interface LeakDetectorOptions {
  /** A connection held this long is reported as leaked, ms or a duration string (> 0). */
  thresholdMs: Duration
  /** How often held connections are checked, ms; bounds how late a leak is reported. @default min(thresholdMs, 1000) */
  sweepIntervalMs?: Duration
  /** Called once per leaked connection. */
  onLeak?: (report: LeakReport) => void
  /** Called when a connection already reported as leaked is finally released. */
  onLateRelease?: (report: LeakReport) => void
  /** Capture the acquiring stack (a V8 stack capture per acquire, formatted only when reported). @default true */
  captureStack?: boolean
  /** Replace literals in `lastQuery` with `?` before reporting. @default true */
  redactQueries?: boolean
  /** Connections tracked at once; beyond it the oldest reported leak is forgotten, else new ones go untracked. @default 10_000 */
  maxTracked?: number
  /** Pool name used in reports and messages. @default 'pool' */
  pool?: string
  /** Time source. @default systemClock */
  clock?: Clock
}

/** Extra facts about a checked-out connection, given by the adapter. */
export interface AcquireInfo {
  /** What the connection is for (`'request GET /orders'`, a transaction name). */
  label?: string
  /** The last query run on it (redacted before reporting unless `redactQueries: false`). */
  lastQuery?: string
}

/** A connection held past the threshold (`leak`), or its eventual release (`late-release`). */
export interface LeakReport {
  kind: 'leak' | 'late-release'
  pool: string
  /** The connection object the adapter passed to `acquired()`. Not included on the diagnostics channel. */
  connection: object
  label?: string
  lastQuery?: string
  /** How long it has been (for `late-release`: was) held, ms. */
  heldMs: number
  thresholdMs: number
  /** Clock time of acquisition, ms. */
  acquiredAt: number
  /** Where it was acquired, without Node-internal and @perf frames (absent with `captureStack: false`). */
  stack?: string
}

interface Held {
  acquiredAt: number
  label: string | undefined
  lastQuery: string | undefined
  holder: StackHolder | undefined
  stack: string | undefined
}

/**
 * Finds connections that are checked out and never (or very late) returned, like HikariCP's
 * `leakDetectionThreshold`: each one is reported once with the stack that acquired it, how long
 * it has been held, its label and its last query, and reported again when it is finally released.
 *
 * One unref'd sweep timer runs while connections are held, instead of a timer per connection:
 * acquire and release stay a Map insert and delete on the query path, and because a Map iterates
 * in insertion (= acquisition) order, a sweep stops at the first connection still under the
 * threshold, so it costs O(new leaks + 1), not O(held connections).
 *
 * @example
 * const leaks = new LeakDetector({ thresholdMs: '30s', onLeak: (r) => log.warn(r.stack) })
 * pool.on('acquire', (c) => leaks.acquired(c)); pool.on('release', (_, c) => leaks.released(c))
 * @throws PerfError INVALID_OPTION naming the option
 */
export class LeakDetector {
  /** The leak threshold, ms. */
  readonly thresholdMs: number
  private readonly sweepMs: number
  private readonly clock: Clock
  private readonly pool: string
  private readonly capture: boolean
  private readonly redactQueries: boolean
  private readonly maxTracked: number
  private readonly onLeak: ((report: LeakReport) => void) | undefined
  private readonly onLateRelease: ((report: LeakReport) => void) | undefined
  /** Held, not yet reported; in acquisition order. */
  private readonly held = new Map<object, Held>()
  /** Reported as leaked, not yet released. */
  private readonly leaking = new Map<object, Held>()
  private timer: ReturnType<typeof setInterval> | undefined
  private droppedCount = 0

  constructor(options: LeakDetectorOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new PerfError('INVALID_OPTION', '[perf:pool] LeakDetector needs an options object with "thresholdMs"', {
        context: { option: 'thresholdMs' },
      })
    }
    this.thresholdMs = toMs(options.thresholdMs, 'thresholdMs', 'INVALID_OPTION')
    if (this.thresholdMs <= 0) {
      throw new PerfError('INVALID_OPTION', `[perf:pool] option "thresholdMs" must be > 0, got ${this.thresholdMs}`, {
        context: { option: 'thresholdMs', value: 0 },
      })
    }
    this.sweepMs = Math.max(
      1,
      optionalMs(options.sweepIntervalMs, 'sweepIntervalMs', Math.min(this.thresholdMs, 1_000), 'INVALID_OPTION'),
    )
    this.onLeak = options.onLeak === undefined ? undefined : assertFunction(options.onLeak, 'onLeak')
    this.onLateRelease =
      options.onLateRelease === undefined ? undefined : assertFunction(options.onLateRelease, 'onLateRelease')
    this.capture = flag(options.captureStack, 'captureStack')
    this.redactQueries = flag(options.redactQueries, 'redactQueries')
    this.maxTracked = assertInt(options.maxTracked ?? 10_000, 'maxTracked', 1)
    this.pool = options.pool ?? 'pool'
    if (typeof this.pool !== 'string')
      throw new PerfError('INVALID_OPTION', '[perf:pool] option "pool" must be a string', {
        context: { option: 'pool' },
      })
    this.clock = options.clock ?? systemClock
    assertFunction(this.clock?.now, 'clock.now')
  }

  /** Connections tracked now (held plus reported-and-unreleased). */
  get tracked(): number {
    return this.held.size + this.leaking.size
  }

  /** Acquisitions not tracked (or leaks forgotten) because `maxTracked` was reached. */
  get dropped(): number {
    return this.droppedCount
  }

  /** Notes that `connection` was checked out; call it from the pool's acquire hook. */
  acquired(connection: object, info?: AcquireInfo): void {
    const existing = this.held.delete(connection) || this.leaking.delete(connection)
    if (!existing && !this.makeRoom()) return
    const holder = this.capture ? captureStack(this.acquired) : undefined
    this.held.set(connection, {
      acquiredAt: this.clock.now(),
      label: info?.label,
      lastQuery: info?.lastQuery,
      holder,
      stack: undefined,
    })
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.sweepMs)
      this.timer.unref?.()
    }
  }

  /** Notes that `connection` went back to the pool; reports it if it had been reported as leaked. */
  released(connection: object): void {
    if (this.held.delete(connection)) return
    const entry = this.leaking.get(connection)
    if (entry === undefined) return
    this.leaking.delete(connection)
    this.report('late-release', connection, entry, this.clock.now())
  }

  /** Remembers the last query run on `connection`, for the report. Ignored for untracked connections. */
  setLastQuery(connection: object, sql: string): void {
    const entry = this.held.get(connection) ?? this.leaking.get(connection)
    if (entry !== undefined) entry.lastQuery = sql
  }

  /** The connections leaking now (held past the threshold), oldest first; reports any not yet reported. */
  leaks(): LeakReport[] {
    this.sweep()
    const now = this.clock.now()
    return [...this.leaking].map(([connection, entry]) => this.build('leak', connection, entry, now))
  }

  /** Reports every connection held past the threshold that has not been reported yet. */
  sweep(): void {
    const now = this.clock.now()
    for (const [connection, entry] of this.held) {
      if (now - entry.acquiredAt < this.thresholdMs) break
      this.held.delete(connection)
      this.leaking.set(connection, entry)
      this.report('leak', connection, entry, now)
    }
    if (this.held.size === 0) this.stopTimer()
  }

  /** Stops the sweep timer and forgets every tracked connection. */
  close(): void {
    this.stopTimer()
    this.held.clear()
    this.leaking.clear()
  }

  /** Keeps the total under maxTracked; false when the new connection must go untracked. */
  private makeRoom(): boolean {
    if (this.held.size + this.leaking.size < this.maxTracked) return true
    this.droppedCount += 1
    // An already-reported leak is the cheapest thing to forget: only its late-release report is lost.
    const oldest = this.leaking.keys().next()
    if (oldest.done === true) return false
    this.leaking.delete(oldest.value)
    return true
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  private report(kind: LeakReport['kind'], connection: object, entry: Held, now: number): void {
    const report = this.build(kind, connection, entry, now)
    const { connection: _omit, ...message } = report
    publish(CHANNELS.pool, { type: kind === 'leak' ? 'pool.leak' : 'pool.lateRelease', ...message })
    try {
      if (kind === 'leak') this.onLeak?.(report)
      else this.onLateRelease?.(report)
    } catch {
      // Called from the sweep timer or the release hook: a throwing handler must not break either.
    }
  }

  private build(kind: LeakReport['kind'], connection: object, entry: Held, now: number): LeakReport {
    if (entry.stack === undefined && entry.holder !== undefined) entry.stack = formatStack(entry.holder)
    const report: LeakReport = {
      kind,
      pool: this.pool,
      connection,
      heldMs: now - entry.acquiredAt,
      thresholdMs: this.thresholdMs,
      acquiredAt: entry.acquiredAt,
    }
    if (entry.label !== undefined) report.label = entry.label
    if (entry.lastQuery !== undefined)
      report.lastQuery = this.redactQueries ? safeRedact(entry.lastQuery) : entry.lastQuery
    if (entry.stack !== undefined) report.stack = entry.stack
    return report
  }
}

function flag(value: unknown, option: string): boolean {
  if (value === undefined) return true
  if (typeof value !== 'boolean')
    throw new PerfError('INVALID_OPTION', `[perf:pool] option "${option}" must be a boolean`, {
      context: { option, value },
    })
  return value
}

/** Never let a query that cannot be redacted reach a report in clear. */
function safeRedact(sql: unknown): string {
  try {
    return redact(String(sql))
  } catch {
    return '[unredactable query]'
  }
}
