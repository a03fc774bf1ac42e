// module
export { PerfModule } from './perf-module.js'
export type { PerfModuleOptions, PerfModuleAsyncOptions } from './options.js'

// DI tokens and decorators
export { PERF_CACHE, PERF_MONITOR, PERF_OPTIONS, InjectCache, InjectMonitor } from './tokens.js'

// request scopes
export { PerfScopeInterceptor } from './scope-interceptor.js'
