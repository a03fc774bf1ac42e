export { CircuitBreaker } from './circuit-breaker.js'
export type {
  CircuitBreakerOptions,
  CircuitChangeReason,
  CircuitState,
  CircuitStateChange,
  IsolationHandle,
} from './circuit-breaker.js'
export type { BreakerPolicy, ConsecutivePolicy, RatioPolicy } from './breaker-policy.js'
export { withTimeout } from './with-timeout.js'
export type { WithTimeoutOptions } from './with-timeout.js'
export { SlidingWindowLimiter } from './sliding-window-limiter.js'
export type { SlidingWindowLimiterOptions } from './sliding-window-limiter.js'
export type { LeaderElection, LeaderElectionEvents, RateLimiter, RateLimitResult } from './types.js'
