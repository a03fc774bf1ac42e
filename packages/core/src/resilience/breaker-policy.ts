import type { Clock } from '../util/clock.js'
import { toMs, type Duration } from '../util/duration.js'
import { PerfError } from '../errors.js'
import { assertInt, assertNumber } from '../util/validate.js'

/** Opens the circuit after `threshold` failures in a row; any success resets the count. */
export interface ConsecutivePolicy {
  kind: 'consecutive'
  /** Failures in a row that open the circuit (integer >= 1). */
  threshold: number
}

/**
 * Opens the circuit when, within the last `windowMs`, at least `minimumCalls` calls finished
 * and the share of failures among them reached `threshold`.
 */
export interface RatioPolicy {
  kind: 'ratio'
  /** Failure share that opens the circuit, in (0, 1]. */
  threshold: number
  /** Calls the window must hold before the ratio is trusted (integer >= 1). */
  minimumCalls: number
  /** Length of the sliding window, in ms or a duration string. */
  windowMs: Duration
  /** Buckets the window is divided into; the window slides one bucket at a time. @default 10 */
  buckets?: number
}

/** When a {@link CircuitBreaker} opens. */
export type BreakerPolicy = ConsecutivePolicy | RatioPolicy

/** Counts outcomes in the closed state and says when to open. Internal. */
export interface PolicyTracker {
  /** Records a success. */
  success(): void
  /** Records a failure; true when the circuit should open. */
  failure(): boolean
  /** Forgets everything (called on every state change). */
  reset(): void
  /** Numbers for messages and events. */
  describe(): Record<string, number>
}

class ConsecutiveTracker implements PolicyTracker {
  private failures = 0
  constructor(private readonly threshold: number) {}

  success(): void {
    this.failures = 0
  }

  failure(): boolean {
    return ++this.failures >= this.threshold
  }

  reset(): void {
    this.failures = 0
  }

  describe(): Record<string, number> {
    return { consecutiveFailures: this.failures, threshold: this.threshold }
  }
}

/**
 * Ring of time buckets: memory is fixed at construction (two typed arrays), whatever the
 * call rate. Old buckets are cleared lazily when time moves past them.
 */
class RatioTracker implements PolicyTracker {
  private readonly bucketMs: number
  private readonly successes: Uint32Array
  private readonly failures: Uint32Array
  private totalSuccesses = 0
  private totalFailures = 0
  private currentId = Number.NEGATIVE_INFINITY

  constructor(
    private readonly threshold: number,
    private readonly minimumCalls: number,
    windowMs: number,
    private readonly buckets: number,
    private readonly clock: Clock,
  ) {
    this.bucketMs = windowMs / buckets
    this.successes = new Uint32Array(buckets)
    this.failures = new Uint32Array(buckets)
  }

  success(): void {
    const slot = this.advance()
    this.successes[slot]! += 1
    this.totalSuccesses += 1
  }

  failure(): boolean {
    const slot = this.advance()
    this.failures[slot]! += 1
    this.totalFailures += 1
    const calls = this.totalSuccesses + this.totalFailures
    return calls >= this.minimumCalls && this.totalFailures / calls >= this.threshold
  }

  reset(): void {
    this.successes.fill(0)
    this.failures.fill(0)
    this.totalSuccesses = 0
    this.totalFailures = 0
    this.currentId = Number.NEGATIVE_INFINITY
  }

  describe(): Record<string, number> {
    this.advance()
    return { failures: this.totalFailures, calls: this.totalSuccesses + this.totalFailures, threshold: this.threshold }
  }

  /** Moves the window to now, dropping buckets that fell out of it; returns the current slot. */
  private advance(): number {
    // A clock that steps back keeps counting into the newest bucket rather than an old slot.
    const id = Math.max(Math.floor(this.clock.now() / this.bucketMs), this.currentId)
    const n = this.buckets
    if (id !== this.currentId) {
      // Clear every bucket between the last one written and now, at most one full turn.
      const from = Math.max(this.currentId + 1, id - n + 1)
      for (let b = from; b <= id; b++) this.clearSlot(((b % n) + n) % n)
      this.currentId = id
    }
    return ((id % n) + n) % n
  }

  private clearSlot(slot: number): void {
    this.totalSuccesses -= this.successes[slot]!
    this.totalFailures -= this.failures[slot]!
    this.successes[slot] = 0
    this.failures[slot] = 0
  }
}

/**
 * Validates a policy option and builds its tracker.
 *
 * @throws PerfError INVALID_OPTION naming the field (`policy.threshold`, ...)
 */
export function createPolicyTracker(policy: BreakerPolicy, clock: Clock): PolicyTracker {
  if (typeof policy !== 'object' || policy === null) {
    throw new PerfError(
      'INVALID_OPTION',
      `[perf:resilience] option "policy" must be an object with kind 'consecutive' or 'ratio'`,
      {
        context: { option: 'policy', value: policy },
      },
    )
  }
  if (policy.kind === 'consecutive') return new ConsecutiveTracker(assertInt(policy.threshold, 'policy.threshold', 1))
  if (policy.kind === 'ratio') {
    const threshold = assertNumber(policy.threshold, 'policy.threshold', 0, 1)
    if (threshold === 0) {
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:resilience] option "policy.threshold" must be a failure ratio in (0, 1], got 0`,
        {
          context: { option: 'policy.threshold', value: 0 },
        },
      )
    }
    const minimumCalls = assertInt(policy.minimumCalls, 'policy.minimumCalls', 1)
    const windowMs = toMs(policy.windowMs, 'policy.windowMs', 'INVALID_OPTION')
    assertNumber(windowMs, 'policy.windowMs', 1)
    const buckets = assertInt(policy.buckets ?? 10, 'policy.buckets', 1, 1000)
    return new RatioTracker(threshold, minimumCalls, windowMs, buckets, clock)
  }
  throw new PerfError(
    'INVALID_OPTION',
    `[perf:resilience] option "policy.kind" must be 'consecutive' or 'ratio', got ${JSON.stringify((policy as { kind?: unknown }).kind)}`,
    {
      context: { option: 'policy.kind', value: (policy as { kind?: unknown }).kind },
    },
  )
}
