// instrument
export { instrument } from './instrument.js'
export type { SequelizePerf, SequelizePerfStats } from './instrument.js'
export type { CacheOption, CacheSettings, InstrumentOptions, InvalidationErrorContext } from './options.js'

// typed `cache` on finder, aggregate and raw-query options (module augmentation of 'sequelize')
export type {} from './augment.js'
