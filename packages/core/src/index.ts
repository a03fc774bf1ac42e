// errors
export { ERROR_CODES, PerfError, DeadlockError, LockError, TimeoutError, BrokenCircuitError, isPerfError } from './errors.js'
export type { PerfErrorCode, PerfErrorOptions } from './errors.js'

// shared helpers
export { toMs } from './util/duration.js'
export type { Duration } from './util/duration.js'
export { systemClock } from './util/clock.js'
export type { Clock } from './util/clock.js'
export { CHANNELS } from './util/diagnostics.js'
export type { ChannelName } from './util/diagnostics.js'

// cache
export type {
  BusHandlers,
  BusMessage,
  CacheEvent,
  CacheMeta,
  CacheOptions,
  CacheStats,
  CacheStatus,
  CacheStore,
  Codec,
  EntryOptions,
  GetOrSetOptions,
  InvalidationBus,
  LoaderContext,
  MaybePromise,
  StoreCapabilities,
  StoreEntry,
  StoreStats,
  WithMeta,
} from './cache/types.js'

// lock
export type { AcquireOptions, Lock, Locker, UsingOptions } from './lock/types.js'

// batch

// pool
export type { PoolProbe, PoolStats } from './pool/types.js'

// monitor
export type { QueryEvent } from './monitor/types.js'

// resilience
export type { LeaderElection, LeaderElectionEvents, RateLimiter, RateLimitResult } from './resilience/types.js'
