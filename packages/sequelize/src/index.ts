// instrument
export { instrument } from './instrument.js'
export type { SequelizePerf, SequelizePerfStats } from './instrument.js'
export type { CacheOption, CacheSettings, InstrumentOptions, InvalidationErrorContext } from './options.js'

// bulk writes (PostgreSQL): perf.bulk(Model)
export type {
  AttributeName,
  SequelizeBulk,
  SequelizeBulkOptions,
  SequelizeBulkResult,
  SequelizeBulkRow,
  SequelizeBulkRows,
  SequelizeBulkUpdateOptions,
  SequelizeBulkUpsertOptions,
  SequelizeCopyInsertOptions,
} from './bulk.js'

// cache warming
export { warm } from './warm.js'
export type { WarmOptions, WarmProgress } from './warm.js'

// N+1: DataLoader-compatible loaders
export { pkLoader, associationLoader } from './loaders.js'
export type { ModelLoaderOptions, PrimaryKey } from './loaders.js'
export { sequelizeAdvisor } from './advisor.js'

// pool
export { sequelizePoolProbe } from './pool-probe.js'
export type { SequelizePoolProbeOptions } from './pool-probe.js'

// typed `cache` on finder, aggregate and raw-query options (module augmentation of 'sequelize')
export type {} from './augment.js'
