import { PerfError } from '../errors.js'
import { assertInt, assertNumber } from '../util/validate.js'

/** What a pool alert measures. */
export type PoolAlertKind = 'utilization' | 'waiting' | 'acquireWaitP95Ms'

/** Thresholds at or above which a {@link PoolMonitor} alert fires; `false` turns one off. */
export interface PoolAlertThresholds {
  /** Share of `max` connections checked out, in (0, 1]. @default 0.9 */
  utilization?: number | false
  /** Requests waiting for a connection (integer >= 1). @default 1 */
  waiting?: number | false
  /** p95 of the acquire waits recorded since the previous sample, ms. @default 100 */
  acquireWaitP95Ms?: number | false
}

/** An alert entering (`firing`) or leaving (`resolved`) its threshold. */
export interface PoolAlert {
  /** The probe's name. */
  pool: string
  kind: PoolAlertKind
  status: 'firing' | 'resolved'
  /** The measured value that crossed (or fell back below) the threshold. */
  value: number
  threshold: number
  /** Clock time of the sample, ms. */
  at: number
}

/** Validated thresholds; a disabled alert is `undefined`. Internal. */
export type ResolvedThresholds = Record<PoolAlertKind, number | undefined>

const DEFAULTS: Record<PoolAlertKind, number> = { utilization: 0.9, waiting: 1, acquireWaitP95Ms: 100 }

/**
 * Validates the `alerts` option; `false` disables every alert.
 *
 * @throws PerfError INVALID_OPTION naming the field (`alerts.utilization`, ...)
 */
export function resolveThresholds(alerts: PoolAlertThresholds | false | undefined): ResolvedThresholds {
  if (alerts === false) return { utilization: undefined, waiting: undefined, acquireWaitP95Ms: undefined }
  if (alerts !== undefined && (typeof alerts !== 'object' || alerts === null)) {
    throw new PerfError('INVALID_OPTION', '[perf:pool] option "alerts" must be an object of thresholds or false', {
      context: { option: 'alerts', value: alerts },
    })
  }
  const pick = (kind: PoolAlertKind): number | undefined => {
    const value = alerts?.[kind] ?? DEFAULTS[kind]
    if (value === false) return undefined
    const option = `alerts.${kind}`
    if (kind === 'waiting') return assertInt(value, option, 1)
    if (kind === 'utilization') {
      if (assertNumber(value, option, 0, 1) === 0) {
        throw new PerfError('INVALID_OPTION', `[perf:pool] option "${option}" must be a share in (0, 1], got 0`, {
          context: { option, value },
        })
      }
      return value
    }
    return assertNumber(value, option, 0)
  }
  return { utilization: pick('utilization'), waiting: pick('waiting'), acquireWaitP95Ms: pick('acquireWaitP95Ms') }
}

/**
 * Tracks which alerts are firing and reports only transitions, so a saturated pool raises one
 * alert, not one per sample.
 */
export class AlertTracker {
  private readonly firing = new Set<PoolAlertKind>()

  constructor(
    private readonly pool: string,
    private readonly thresholds: ResolvedThresholds,
  ) {}

  /** The kinds firing now. */
  active(): PoolAlertKind[] {
    return [...this.firing]
  }

  /** Compares one measurement with its threshold; returns the transition, if any. */
  evaluate(kind: PoolAlertKind, value: number, at: number): PoolAlert | undefined {
    const threshold = this.thresholds[kind]
    if (threshold === undefined) return undefined
    const over = value >= threshold
    if (over === this.firing.has(kind)) return undefined
    if (over) this.firing.add(kind)
    else this.firing.delete(kind)
    return { pool: this.pool, kind, status: over ? 'firing' : 'resolved', value, threshold, at }
  }

  /** Forgets every firing alert without reporting. */
  clear(): void {
    this.firing.clear()
  }
}
