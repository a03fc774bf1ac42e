// @perf/nestjs/terminus: a subpath, so that apps without @nestjs/terminus never load it.
export { PerfHealthIndicator } from './health-indicator.js'
export type { PerfHealthCheckOptions } from './health-indicator.js'
