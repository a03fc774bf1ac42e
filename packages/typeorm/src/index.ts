// instrument
export { instrument } from './instrument.js'
export type { TypeormPerf, TypeormPerfStats } from './instrument.js'
export type { InstrumentOptions } from './options.js'
export type { InvalidationErrorContext } from './invalidation.js'

// bulk writes (PostgreSQL)
export { bulkWriter } from './bulk/bulk-writer.js'
export type {
  BulkEntityRows,
  BulkTransactionOptions,
  TypeormBulkResult,
  TypeormBulkUpdateOptions,
  TypeormBulkUpsertOptions,
  TypeormBulkWriter,
  TypeormCopyInsertOptions,
} from './bulk/bulk-writer.js'
export { BulkWriteError } from '@perf/pg'
export type { BulkProgress } from '@perf/pg'

// context shared with the caching side
export { withCacheStatus, currentCacheStatus, isInTransaction } from './context.js'
export type { TransactionFlag } from './context.js'

// logger
export { PerfLogger } from './logger.js'
export type { PerfLoggerOptions } from './logger.js'

// caching
export { queryResultCache, PerfQueryResultCache } from './cache/query-result-cache.js'
export type { QueryResultCacheProviderOptions, QueryResultCacheStats } from './cache/query-result-cache.js'
export { installCachedFinds } from './cache/cached-finds.js'
export type { CachedFindsOptions, CachedFindsEntityOptions } from './cache/cached-finds.js'

// N+1 loaders
export { createLoaders } from './loaders/index.js'
export type { CreateLoadersOptions, EntityKeyValue, ParentKey, RelationValue, TypeormLoaders } from './loaders/index.js'

// N+1 advice
export { typeormAdvisor } from './advisor.js'

// pool health and leaks
export { typeormPoolProbe, watchPool } from './pool/index.js'
export type { PoolWatch, WatchPoolOptions } from './pool/index.js'
