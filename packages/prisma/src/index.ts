// extension
export { perf } from './extension/perf.js'
export type { PerfExtension } from './extension/perf.js'
export type { PerfOptions } from './options.js'
export type {
  BulkSource,
  CreateManyRow,
  InvalidateTarget,
  PerfApi,
  PerfBulkMethods,
  PerfClientMethods,
  PerfModelMethods,
  PerfPrismaPromise,
  PerfReadArgs,
  PerfStats,
  PrismaBulkOptions,
  PrismaBulkResult,
  PrismaBulkUpdateOptions,
  PrismaBulkUpsertOptions,
  PrismaCopyInsertOptions,
  RawCacheStrategy,
  RawQuery,
} from './extension/types.js'
export type { CacheStrategy, ModelCacheOptions, StrategyDuration } from './read/cache-strategy.js'
export type { OperationCounters } from './report/counters.js'
export type { PerfInfo, WithPerfInfo } from './read/perf-info.js'

// cache helpers
export { prismaCodec, decimalCodecClass } from './read/prisma-codec.js'
export { modelTag, ALL_TAG } from './model/cache-key.js'
export { READ_OPERATIONS, WRITE_OPERATIONS } from './model/operations.js'
export type { ReadOperation, WriteOperation } from './model/operations.js'

// bulk writes: errors are @perf/pg's
export { BulkWriteError } from '@perf/pg'

// pg pool behind @prisma/adapter-pg: moved to @perf/pg, re-exported for compatibility
export { instrumentPgPool, pgPoolInstrumentation, pgPoolProbe } from '@perf/pg'
export type { InstrumentPgPoolOptions, PgPoolInstrumentation, PgPoolLike, PgStatement, StatementSink } from '@perf/pg'
