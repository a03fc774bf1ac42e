/** Outcome of one rate-limit check. */
export interface RateLimitResult {
  /** Whether the call may proceed. */
  allowed: boolean
  /** The limit for the window. */
  limit: number
  /** Permits left in the current window after this call. */
  remaining: number
  /** When not allowed: milliseconds until enough permits free up (0 when allowed). */
  retryAfterMs: number
}

/**
 * Limits how often a key may act. Implementations: `SlidingWindowLimiter` (in-memory),
 * `redisRateLimiter` (@perf/redis). Run `rateLimiterSuite` against each.
 */
export interface RateLimiter {
  /** Takes `cost` permits (default 1) for `key` if available. */
  consume(key: string, cost?: number): Promise<RateLimitResult>
  /** Forgets everything recorded for `key`. */
  reset(key: string): Promise<void>
  close?(): Promise<void>
}

/** Events of a {@link LeaderElection}. */
export interface LeaderElectionEvents {
  /** This instance became leader; `term` is strictly greater than every earlier term. */
  elected: { term: number }
  /** This instance stopped being leader (resigned, lease lost or closed). */
  deposed: { term: number; reason: 'resigned' | 'lost' | 'closed' }
}

/**
 * Elects one leader among instances. The `term` increases with every election and can be
 * used as a fencing token. Implemented by `redisLeaderElection` (@perf/redis).
 */
export interface LeaderElection {
  /** Starts campaigning; resolves once the first attempt has been made. */
  start(): Promise<void>
  /** Whether this instance holds a valid lease now. */
  readonly isLeader: boolean
  /** The current term while leader, otherwise undefined. */
  readonly term: number | undefined
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof LeaderElectionEvents>(event: E, listener: (payload: LeaderElectionEvents[E]) => void): () => void
  /** Gives up leadership (if held) and stops campaigning until `start()` is called again. */
  resign(): Promise<void>
  /** Resigns and releases timers. */
  close(): Promise<void>
}
