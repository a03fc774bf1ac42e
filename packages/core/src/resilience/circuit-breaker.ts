import { BrokenCircuitError, PerfError } from '../errors.js'
import { throwIfAborted } from '../util/abort.js'
import { systemClock, type Clock } from '../util/clock.js'
import { CHANNELS, publish } from '../util/diagnostics.js'
import { optionalMs, type Duration } from '../util/duration.js'
import { assertFunction, assertInt } from '../util/validate.js'
import { createPolicyTracker, type BreakerPolicy, type PolicyTracker } from './breaker-policy.js'

/** The state of a {@link CircuitBreaker}. */
export type CircuitState = 'closed' | 'open' | 'half-open'

/** Why a circuit changed state. */
export type CircuitChangeReason =
  'failures' | 'half-open-after' | 'probe-succeeded' | 'probe-failed' | 'isolated' | 'reset'

/** Payload of a `stateChange` event (also published on diagnostics channel `perf:resilience`). */
export interface CircuitStateChange {
  /** The breaker's `name`. */
  name: string
  from: CircuitState
  to: CircuitState
  reason: CircuitChangeReason
  /** Clock time of the change, ms. */
  at: number
}

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Used in messages, events and diagnostics. @default 'circuit' */
  name?: string
  /** When to open. @default { kind: 'consecutive', threshold: 5 } */
  policy?: BreakerPolicy
  /** How long the circuit stays open before letting probe calls through, ms or a duration string. @default 10_000 */
  halfOpenAfterMs?: Duration
  /** Concurrent trial calls allowed while half-open; others get BrokenCircuitError. @default 1 */
  halfOpenMaxProbes?: number
  /**
   * Whether an error counts against the dependency. Errors for which it returns false count as
   * successes (the dependency answered; the error is the caller's business). @default every error
   */
  isFailure?: (err: unknown) => boolean
  /** Time source. @default systemClock */
  clock?: Clock
  /** Called on every state change. */
  onStateChange?: (change: CircuitStateChange) => void
}

/** A manual hold on a circuit, returned by {@link CircuitBreaker.isolate}. */
export interface IsolationHandle {
  /** Lifts this hold; the circuit closes once every hold is lifted. Idempotent. */
  dispose(): void
}

type Listener = (change: CircuitStateChange) => void

/**
 * Stops calling a failing dependency: after the policy trips, calls fail fast with
 * {@link BrokenCircuitError} for `halfOpenAfterMs`, then up to `halfOpenMaxProbes` trial calls
 * decide whether to close again. No timers: the half-open transition happens on the next call
 * (or read of `state`) after the delay. Results of calls that started before a state change are
 * ignored, so a slow call from an old state never flips the current one.
 *
 * @example
 * const breaker = new CircuitBreaker({ policy: { kind: 'ratio', threshold: 0.5, minimumCalls: 20, windowMs: '30s' } })
 * const rows = await breaker.execute((signal) => db.query(sql, { signal }))
 * @throws PerfError INVALID_OPTION naming the option
 */
export class CircuitBreaker {
  /** The name given in options. */
  readonly name: string
  private readonly tracker: PolicyTracker
  private readonly halfOpenAfterMs: number
  private readonly maxProbes: number
  private readonly isFailure: (err: unknown) => boolean
  private readonly clock: Clock
  private readonly listeners: Listener[] = []
  private current: CircuitState = 'closed'
  private generation = 0
  private openedAt = 0
  private probes = 0
  private isolations = 0
  private isolationEpoch = 0

  constructor(options: CircuitBreakerOptions = {}) {
    this.name = options.name ?? 'circuit'
    if (typeof this.name !== 'string' || this.name === '') {
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:resilience] option "name" must be a non-empty string, got ${String(this.name)}`,
        {
          context: { option: 'name', value: this.name },
        },
      )
    }
    this.clock = options.clock ?? systemClock
    if (typeof this.clock?.now !== 'function') assertFunction(undefined, 'clock.now')
    this.tracker = createPolicyTracker(options.policy ?? { kind: 'consecutive', threshold: 5 }, this.clock)
    this.halfOpenAfterMs = optionalMs(options.halfOpenAfterMs, 'halfOpenAfterMs', 10_000, 'INVALID_OPTION')
    this.maxProbes = assertInt(options.halfOpenMaxProbes ?? 1, 'halfOpenMaxProbes', 1)
    this.isFailure = options.isFailure === undefined ? () => true : assertFunction(options.isFailure, 'isFailure')
    if (options.onStateChange !== undefined) this.listeners.push(assertFunction(options.onStateChange, 'onStateChange'))
  }

  /** The current state; reading it moves an open circuit whose delay has passed to half-open. */
  get state(): CircuitState {
    if (this.current === 'open' && this.isolations === 0 && this.clock.now() - this.openedAt >= this.halfOpenAfterMs) {
      this.transition('half-open', 'half-open-after')
    }
    return this.current
  }

  /** Whether {@link isolate} holds the circuit open. */
  get isIsolated(): boolean {
    return this.isolations > 0
  }

  /**
   * Runs `fn` through the breaker. `signal` is passed to `fn`; a call rejected after `signal`
   * fired is not counted either way.
   *
   * @throws BrokenCircuitError (CIRCUIT_OPEN) when open, isolated, or half-open with every probe slot taken
   */
  async execute<T>(
    fn: (signal: AbortSignal | undefined) => T | PromiseLike<T>,
    signal?: AbortSignal,
  ): Promise<Awaited<T>> {
    throwIfAborted(signal, `circuit "${this.name}" call`)
    const probe = this.current === 'closed' ? false : this.admit()
    const generation = this.generation
    try {
      const value = await fn(signal)
      if (generation === this.generation) {
        if (probe) this.transition('closed', 'probe-succeeded')
        else this.tracker.success()
      }
      return value
    } catch (err) {
      if (generation === this.generation) this.settleError(err, probe, signal)
      throw err
    }
  }

  /**
   * {@link execute} in two halves, for hot paths that settle through callbacks rather than a
   * promise (the cache's tier guard): admits one call and returns a ticket for {@link settle}.
   * @internal
   * @throws BrokenCircuitError (CIRCUIT_OPEN) when open, isolated, or half-open with every probe slot taken
   */
  enter(): number {
    const probe = this.current === 'closed' ? false : this.admit()
    return this.generation * 2 + (probe ? 1 : 0)
  }

  /**
   * Reports how a call admitted by {@link enter} ended: `failed` false for success, else its error.
   * @internal
   */
  settle(ticket: number, failed: boolean, error?: unknown): void {
    if (Math.floor(ticket / 2) !== this.generation) return
    const probe = (ticket & 1) === 1
    if (failed) this.settleError(error, probe, undefined)
    else if (probe) this.transition('closed', 'probe-succeeded')
    else this.tracker.success()
  }

  /**
   * Subscribes to state changes; returns the unsubscribe function.
   * @throws PerfError INVALID_ARGUMENT for an unknown event name
   */
  on(event: 'stateChange', listener: Listener): () => void {
    if (event !== 'stateChange') {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:resilience] CircuitBreaker has no event ${JSON.stringify(event)}; use 'stateChange'`,
        { context: { argument: 'event', value: event } },
      )
    }
    assertFunction(listener, 'listener')
    this.listeners.push(listener)
    return () => {
      const at = this.listeners.indexOf(listener)
      if (at !== -1) this.listeners.splice(at, 1)
    }
  }

  /**
   * Holds the circuit open until the returned handle is disposed (e.g. during maintenance);
   * calls are rejected with `context.isolated === true` and no `retryAfterMs`.
   */
  isolate(): IsolationHandle {
    const epoch = this.isolationEpoch
    let disposed = false
    this.isolations += 1
    if (this.isolations === 1) this.transition('open', 'isolated')
    return {
      dispose: () => {
        if (disposed || epoch !== this.isolationEpoch) return
        disposed = true
        this.isolations -= 1
        if (this.isolations === 0) this.transition('closed', 'reset')
      },
    }
  }

  /** Closes the circuit, forgets recorded outcomes and lifts every isolation. */
  reset(): void {
    this.isolations = 0
    this.isolationEpoch += 1
    if (this.current === 'closed') this.tracker.reset()
    else this.transition('closed', 'reset')
  }

  /** A JSON-friendly view of the breaker for health endpoints. */
  toJSON(): {
    name: string
    state: CircuitState
    isolated: boolean
    retryAfterMs: number
    counts: Record<string, number>
  } {
    const state = this.state
    const retryAfterMs =
      state === 'open' && this.isolations === 0 ? this.openedAt + this.halfOpenAfterMs - this.clock.now() : 0
    return { name: this.name, state, isolated: this.isolations > 0, retryAfterMs, counts: this.tracker.describe() }
  }

  /** Decides whether a call may run while not closed; true when it runs as a half-open probe. */
  private admit(): boolean {
    if (this.isolations > 0) throw this.broken(undefined)
    if (this.current === 'open') {
      const waited = this.clock.now() - this.openedAt
      if (waited < this.halfOpenAfterMs) throw this.broken(this.halfOpenAfterMs - waited)
      this.transition('half-open', 'half-open-after')
    }
    // A probe is in flight: its outcome decides, so there is no meaningful delay to suggest.
    if (this.probes >= this.maxProbes) throw this.broken(0)
    this.probes += 1
    return true
  }

  private settleError(err: unknown, probe: boolean, signal: AbortSignal | undefined): void {
    if (signal?.aborted) {
      if (probe) this.probes -= 1
      return
    }
    let failed = true
    try {
      failed = this.isFailure(err)
    } catch {
      // A throwing predicate cannot vouch for the dependency: count the call as failed.
    }
    if (probe) this.transition(failed ? 'open' : 'closed', failed ? 'probe-failed' : 'probe-succeeded')
    else if (!failed) this.tracker.success()
    else if (this.tracker.failure()) this.transition('open', 'failures')
  }

  private broken(retryAfterMs: number | undefined): BrokenCircuitError {
    const state = this.current
    const isolated = this.isolations > 0
    publish(CHANNELS.resilience, { type: 'circuit.rejected', name: this.name, state, isolated, retryAfterMs })
    const when = isolated
      ? 'it is isolated'
      : retryAfterMs === 0
        ? 'a half-open probe is in flight'
        : `retry in ${retryAfterMs}ms`
    const context: Record<string, unknown> = { name: this.name, state, isolated }
    if (retryAfterMs !== undefined) context.retryAfterMs = retryAfterMs
    return new BrokenCircuitError(
      `[perf:resilience] circuit "${this.name}" is ${state}: ${when} (halfOpenAfterMs=${this.halfOpenAfterMs})`,
      { context },
    )
  }

  private transition(to: CircuitState, reason: CircuitChangeReason): void {
    const from = this.current
    const at = this.clock.now()
    this.current = to
    this.generation += 1
    this.probes = 0
    this.tracker.reset()
    if (to === 'open') this.openedAt = at
    if (from === to) return
    const change: CircuitStateChange = { name: this.name, from, to, reason, at }
    publish(CHANNELS.resilience, { type: 'circuit.stateChange', ...change })
    for (const listener of this.listeners.slice()) {
      try {
        listener(change)
      } catch {
        // A listener's bug must not turn into the caller's error or wedge the state machine.
      }
    }
  }
}
