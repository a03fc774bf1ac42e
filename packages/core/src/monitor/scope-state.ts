import type { CacheOutcome, NPlusOneReport, QueryEvent, ScopeInfo } from './types.js'

/** A scope's name: fixed, or asked for when a report needs it (a route is known only after routing). */
export type ScopeName = string | (() => string)

/** The running state of one `monitor.scope()`, which `currentScope()` hands out read-only. */
export class ScopeState implements ScopeInfo {
  queries = 0
  statements = 0
  dbMs = 0
  readonly cache: Record<CacheOutcome, number> = { hit: 0, stale: 0, grace: 0, miss: 0, bypass: 0 }
  ended = false
  readonly counts = new Map<string, number>()
  readonly reports: NPlusOneReport[] = []
  /** Fingerprint -> its report, so later calls update the count in place. */
  readonly byFingerprint = new Map<string, NPlusOneReport>()
  readonly #naming: ScopeName

  constructor(
    naming: ScopeName,
    readonly threshold: number,
    readonly startedAt: number,
  ) {
    this.#naming = naming
  }

  get name(): string {
    const naming = this.#naming
    if (typeof naming === 'string') return naming
    try {
      const name = naming()
      return typeof name === 'string' && name !== '' ? name : 'scope'
    } catch {
      // A naming bug must not fail the query being reported, nor the scope.
      return 'scope'
    }
  }

  /**
   * Counts a recorded event. Events answered by a cache (hit, stale, grace) are not statements;
   * the engine's own lookups are counted through {@link ScopeState.cache} by the tracker, so only
   * `bypass`, which the engine never sees, is taken from the event.
   */
  tally(event: QueryEvent): void {
    this.queries++
    const outcome = event.cache
    if (outcome === 'hit' || outcome === 'stale' || outcome === 'grace') return
    this.statements++
    this.dbMs += event.durationMs
    if (outcome === 'bypass') this.cache.bypass++
  }
}
