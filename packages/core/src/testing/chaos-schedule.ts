import { PerfError } from '../errors.js'
import type { Clock } from '../util/clock.js'
import type { Random } from './chaos-corrupt.js'

/** What a scheduled fault does to a call. */
export type ChaosFault = 'hang' | 'error' | 'drop' | 'delay' | 'corrupt'

/**
 * A store method a fault targets: one of `CacheStore`'s, any other method the wrapped store has,
 * or `'*'` for every method (`close` and `stats` excepted).
 */
export type ChaosOperation =
  'get' | 'getMany' | 'set' | 'delete' | 'clear' | 'invalidateTags' | 'read' | '*' | (string & {})

/** When a scheduled fault applies. Without options it hits every call until `heal()`. */
export interface ChaosScheduleOptions {
  /** Fault only this many calls, then the rule is spent. @default unlimited */
  times?: number
  /** Chance in [0, 1] that a matching call is faulted, drawn from the seeded PRNG. @default 1 */
  probability?: number
  /** Fault only for this many milliseconds from now, measured with the store's `clock`. @default unlimited */
  for?: number
}

/** Options of `chaos.fail()`. */
export interface ChaosErrorOptions extends ChaosScheduleOptions {
  /** What the call rejects with; a function builds a fresh one per call. @default an Error naming the store and method */
  error?: unknown
}

/** Options of `chaos.corrupt()`. */
export interface ChaosCorruptOptions extends ChaosScheduleOptions {
  /**
   * Turns the real result into the corrupt one (any method). Without it, reads (`get`, `getMany`,
   * `read`) get garbage entries chosen by the seeded PRNG: times that are strings, NaN or negative,
   * tags that are not string arrays, values nested 10 000 deep or cyclic, null entries; `read` keeps
   * its `{ entry, version }` shape, with the entry garbage and often the version too (not a string,
   * `'NaN'`, empty).
   */
  with?: (result: unknown, operation: string, args: readonly unknown[]) => unknown
}

/** What happened to one method's calls. */
export interface ChaosOperationStats {
  /** Calls made through the chaos store (faulted or not). */
  calls: number
  /** Faults injected, by kind. */
  faults: Record<ChaosFault, number>
}

/** Per-method counts; methods never called are absent. */
export type ChaosStats = Record<string, ChaosOperationStats>

/** One scheduled fault. */
export interface Rule {
  readonly operation: string
  readonly kind: ChaosFault
  remaining: number
  readonly probability: number
  readonly until: number
  readonly ms: number
  readonly error?: unknown
  readonly with?: ChaosCorruptOptions['with']
}

/** Methods `corrupt` has built-in garbage for. */
export const READS: ReadonlySet<string> = new Set(['get', 'getMany', 'read'])

function check(ok: boolean, message: string): void {
  if (!ok) throw new PerfError('INVALID_ARGUMENT', `[perf:chaos] ${message}`)
}

/** The ordered list of faults and the counts of what they did. */
export class Schedule {
  private rules: Rule[] = []
  private readonly counts = new Map<string, ChaosOperationStats>()

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** Validates and appends a rule; earlier rules win when several match a call. */
  add(
    operation: string,
    kind: ChaosFault,
    options: ChaosScheduleOptions & ChaosErrorOptions & ChaosCorruptOptions,
    ms = 0,
  ): void {
    const { times, probability = 1, for: forMs } = options
    check(
      times === undefined || (Number.isInteger(times) && times > 0),
      `${kind}('${operation}'): times must be a positive integer (got ${String(times)})`,
    )
    check(
      typeof probability === 'number' && probability >= 0 && probability <= 1,
      `${kind}('${operation}'): probability must be in [0, 1] (got ${String(probability)})`,
    )
    check(
      forMs === undefined || (Number.isFinite(forMs) && forMs >= 0),
      `${kind}('${operation}'): for must be a finite number of ms >= 0 (got ${String(forMs)})`,
    )
    check(Number.isFinite(ms) && ms >= 0, `delay('${operation}'): ms must be a finite number >= 0 (got ${String(ms)})`)
    check(
      kind !== 'corrupt' || operation === '*' || READS.has(operation) || typeof options.with === 'function',
      `corrupt('${operation}') needs a { with } function: built-in garbage exists only for get, getMany and read`,
    )
    this.rules.push({
      operation,
      kind,
      remaining: times ?? Number.POSITIVE_INFINITY,
      probability,
      until: forMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + forMs,
      ms,
      error: options.error,
      with: options.with,
    })
  }

  /** Drops the rules for `operation` (every rule when omitted). */
  heal(operation?: string): void {
    this.rules = operation === undefined ? [] : this.rules.filter((rule) => rule.operation !== operation)
  }

  /** Counts a call and returns the fault it gets, if any (counted too); none when `inject` is false. */
  next(operation: string, inject = true): Rule | undefined {
    const stats = this.stats(operation)
    stats.calls++
    if (!inject) return undefined
    const now = this.clock.now()
    this.rules = this.rules.filter((rule) => rule.remaining > 0 && now < rule.until)
    for (const rule of this.rules) {
      if (rule.operation !== '*' && rule.operation !== operation) continue
      if (rule.kind === 'corrupt' && !rule.with && !READS.has(operation)) continue
      // Draw only for rules that could fire, so adding an unrelated rule does not shift the sequence.
      if (rule.probability < 1 && this.random() >= rule.probability) continue
      rule.remaining--
      stats.faults[rule.kind]++
      return rule
    }
    return undefined
  }

  /** The live counts of one method (created on first use). */
  stats(operation: string): ChaosOperationStats {
    let stats = this.counts.get(operation)
    if (!stats) {
      stats = { calls: 0, faults: { hang: 0, error: 0, drop: 0, delay: 0, corrupt: 0 } }
      this.counts.set(operation, stats)
    }
    return stats
  }

  /** A copy of every method's counts. */
  snapshot(): ChaosStats {
    const result: ChaosStats = {}
    for (const [operation, stats] of this.counts)
      if (stats.calls > 0) result[operation] = { calls: stats.calls, faults: { ...stats.faults } }
    return result
  }
}
