// extension
export { perf } from './perf.js'
export type { PerfExtension } from './perf.js'
export type { PerfOptions } from './options.js'
export type {
  InvalidateTarget,
  PerfApi,
  PerfClientMethods,
  PerfModelMethods,
  PerfPrismaPromise,
  PerfReadArgs,
  PerfStats,
  RawCacheStrategy,
  RawQuery,
} from './extension-types.js'
export type { CacheStrategy, ModelCacheOptions, StrategyDuration } from './cache-strategy.js'
export type { OperationCounters } from './runtime-types.js'
export type { PerfInfo, WithPerfInfo } from './perf-info.js'

// cache helpers
export { prismaCodec, decimalCodecClass } from './prisma-codec.js'
export { modelTag, ALL_TAG } from './cache-key.js'
export { READ_OPERATIONS, WRITE_OPERATIONS } from './operations.js'
export type { ReadOperation, WriteOperation } from './operations.js'

// pg pool behind @prisma/adapter-pg
export { pgPoolProbe } from './pg-pool-probe.js'
export type { PgPoolLike } from './pg-pool-probe.js'
export { instrumentPgPool, pgPoolInstrumentation } from './instrument-pg-pool.js'
export type {
  InstrumentPgPoolOptions,
  PgPoolInstrumentation,
  PgStatement,
  StatementSink,
} from './instrument-pg-pool.js'
