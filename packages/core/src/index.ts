// errors
export {
  ERROR_CODES,
  PerfError,
  DeadlockError,
  LockError,
  TimeoutError,
  BrokenCircuitError,
  isPerfError,
} from './errors.js'
export type { PerfErrorCode, PerfErrorOptions } from './errors.js'

// shared helpers
export { toMs } from './util/duration.js'
export type { Duration } from './util/duration.js'
export { monotonicClock, systemClock } from './util/clock.js'
export type { Clock } from './util/clock.js'
export { CHANNELS } from './util/diagnostics.js'
export type { ChannelName } from './util/diagnostics.js'

// cache
export { createCache } from './cache/cache.js'
export type { Cache } from './cache/cache.js'
export { MemoryStore } from './cache/memory/memory-store.js'
export type { MemoryStoreOptions, MemoryStoreStats } from './cache/memory/memory-store.js'
export { createCodec } from './cache/value/codec.js'
export type { CodecClass, CodecOptions, DefaultCodec } from './cache/value/codec.js'
export { stableKey, canonicalize } from './cache/value/stable-key.js'
export { estimateSize } from './cache/value/size.js'
export { HotKeys } from './cache/hot/hot-keys.js'
export type { HotKey, HotKeysOptions } from './cache/hot/hot-keys.js'
export type {
  BusHandlers,
  BusMessage,
  CacheEvent,
  CacheLookup,
  CacheMeta,
  CacheOptions,
  CacheStats,
  CacheStatus,
  CacheStore,
  Codec,
  EntryOptions,
  GetOptions,
  GetOrSetOptions,
  InvalidationBus,
  Loader,
  LoaderContext,
  LookupOptions,
  MaybePromise,
  ReadHint,
  StoreCapabilities,
  StoreEntry,
  StoreRead,
  StoreStats,
  WarmEntry,
  WithMeta,
} from './cache/types.js'

// lock
export { LocalLocker } from './lock/local-locker.js'
export type { LocalLockerStats } from './lock/local-locker.js'
export type { LocalLockerOptions } from './lock/local-locker-options.js'
export { runWithLock } from './lock/run-with-lock.js'
export type { RunWithLockOptions } from './lock/run-with-lock.js'
export { canonicalResources } from './lock/canonical.js'
export type { AcquireOptions, Lock, Locker, LockEvent, UsingOptions } from './lock/types.js'

// batch
export { BatchLoader, batches, AdaptiveBatchSize, retry, backoff } from './batch/index.js'
export type {
  AdaptiveBatchSizeOptions,
  AdaptiveReason,
  Backoff,
  BackoffOptions,
  BatchContext,
  BatchFailure,
  BatchLoadFn,
  BatchLoaderOptions,
  BatchProgress,
  BatchSample,
  BatchesOptions,
  BatchesResult,
  ExponentialBackoffOptions,
  LinearBackoffOptions,
  LoaderCacheMap,
  RetryContext,
  RetryEvent,
  RetryPolicy,
} from './batch/index.js'

// pool
export { PoolMonitor, LeakDetector, recommendPoolSize } from './pool/index.js'
export type {
  AcquireInfo,
  LeakDetectorOptions,
  LeakReport,
  PoolAlert,
  PoolAlertKind,
  PoolAlertThresholds,
  PoolMonitorOptions,
  PoolProbe,
  PoolSample,
  PoolSizeInput,
  PoolSizeRecommendation,
  PoolSnapshot,
  PoolStats,
} from './pool/index.js'

// monitor
export {
  Histogram,
  fingerprint,
  fingerprintId,
  hashFingerprint,
  redact,
  createMonitor,
  Tok,
  tokenize,
  wordIs,
} from './monitor/index.js'
export type {
  SqlLexerOptions,
  Token,
  TokKind,
  CacheOutcome,
  FingerprintSummary,
  HealthMetrics,
  HealthReport,
  HealthThresholds,
  HistogramOptions,
  HistogramSummary,
  Monitor,
  MonitorOptions,
  MonitorSnapshot,
  MonitorTotals,
  NPlusOneAdvisor,
  NPlusOneFinding,
  NPlusOneReport,
  PoolHealth,
  PrometheusOptions,
  QueryEvent,
  ScopeInfo,
  ScopeOptions,
  ScopeReport,
  SlowQuery,
  TopOptions,
} from './monitor/index.js'
export type { HealthSource, HealthSourceResult, HealthSourceStatus } from './monitor/index.js'

// SQL-level adapter kit (for adapters of ORMs and query builders that speak SQL)
export {
  ALL_TABLES_TAG,
  TABLE_TAG_PREFIX,
  tableTag,
  tableTags,
  sqlResultKey,
  sqlTables,
  TransactionInvalidations,
} from './sql/index.js'
export type {
  CommittedInvalidations,
  SqlDialect,
  SqlTable,
  SqlTablesOptions,
  SqlTouches,
  SqlWrite,
  SqlWriteKind,
} from './sql/index.js'

// resilience
export { CircuitBreaker, withTimeout, SlidingWindowLimiter } from './resilience/index.js'
export type {
  BreakerPolicy,
  CircuitBreakerOptions,
  CircuitChangeReason,
  CircuitState,
  CircuitStateChange,
  ConsecutivePolicy,
  IsolationHandle,
  LeaderElection,
  LeaderElectionEvents,
  RateLimiter,
  RateLimitResult,
  RatioPolicy,
  SlidingWindowLimiterOptions,
  WithTimeoutOptions,
} from './resilience/index.js'
