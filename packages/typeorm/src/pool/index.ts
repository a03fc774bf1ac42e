export { typeormPoolProbe } from './pool-probe.js'
export { watchPool } from './watch-pool.js'
export type { PoolWatch, WatchPoolOptions } from './watch-pool.js'
