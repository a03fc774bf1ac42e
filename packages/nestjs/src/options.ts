import type { ExecutionContext, ModuleMetadata } from '@nestjs/common'
import { PerfError, type Cache, type Monitor, type ScopeReport } from '@perf/core'

/** Options of `PerfModule.forRoot()`; every field is optional. */
export interface PerfModuleOptions {
  /** The cache to provide as `PERF_CACHE` (`@InjectCache()`). */
  cache?: Cache
  /** The monitor to provide as `PERF_MONITOR` (`@InjectMonitor()`) and to run request scopes in. */
  monitor?: Monitor
  /** Run each request (and RPC or WebSocket message) in a `monitor.scope()` through the global `PerfScopeInterceptor`. @default true when a monitor is given */
  requestScopes?: boolean
  /**
   * Add a `Server-Timing` header (database time, statement count, cache hits and misses) to HTTP
   * responses, or to those for which the function returns true. Off by default: it tells any
   * client how your requests spend their time.
   * @default false
   */
  serverTiming?: boolean | ((context: ExecutionContext) => boolean)
  /**
   * The scope's name in N+1 reports, asked when a report needs it.
   * @default `GET /users/:id` (method and route pattern) for HTTP, `UsersController.findOne` otherwise
   */
  scopeName?: (context: ExecutionContext) => string
  /** Same-statement count that makes an N+1 finding in one request. @default the monitor's `nPlusOneThreshold` */
  nPlusOneThreshold?: number
  /** Called when a request's scope ends, with its report. A throw is ignored. */
  onReport?: (report: ScopeReport, context: ExecutionContext) => void
  /** Close the cache and the monitor when the application shuts down (for ones your factory created). @default false */
  closeOnShutdown?: boolean
  /** Register the module globally, so any module can inject its tokens. @default true */
  isGlobal?: boolean
}

/** Options of `PerfModule.forRootAsync()`: a factory for {@link PerfModuleOptions}, Nest style. */
export interface PerfModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Builds the options; may be async and take injected providers. */
  useFactory: (...args: never[]) => PerfModuleOptions | Promise<PerfModuleOptions>
  /** Providers passed to `useFactory`, in order. */
  inject?: Array<string | symbol | Function>
  /** Register the module globally. @default true */
  isGlobal?: boolean
}

function invalid(option: string, rule: string): never {
  throw new PerfError('INVALID_OPTION', `[perf:nestjs] PerfModule option "${option}" must be ${rule}`, {
    context: { option },
  })
}

/** Checks the options once, at bootstrap. @throws PerfError INVALID_OPTION naming the option */
export function checkOptions(options: PerfModuleOptions): PerfModuleOptions {
  if (typeof options !== 'object' || options === null) invalid('options', 'an object')
  const { cache, monitor } = options
  if (cache !== undefined && (typeof cache !== 'object' || cache === null || typeof cache.getOrSet !== 'function'))
    invalid('cache', 'a Cache from createCache()')
  if (monitor !== undefined && (typeof monitor !== 'object' || monitor === null || typeof monitor.scope !== 'function'))
    invalid('monitor', 'a Monitor from createMonitor()')
  const t = options.nPlusOneThreshold
  if (t !== undefined && !(Number.isInteger(t) && t >= 2)) invalid('nPlusOneThreshold', 'an integer >= 2')
  const timing = options.serverTiming
  if (timing !== undefined && typeof timing !== 'boolean' && typeof timing !== 'function')
    invalid('serverTiming', 'a boolean or a function (context) => boolean')
  for (const name of ['scopeName', 'onReport'] as const)
    if (options[name] !== undefined && typeof options[name] !== 'function') invalid(name, 'a function')
  return options
}
