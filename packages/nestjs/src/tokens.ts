import { Inject } from '@nestjs/common'

/** DI token of the `Cache` given to `PerfModule.forRoot({ cache })` (undefined when none was given). */
export const PERF_CACHE = 'PERF_CACHE'
/** DI token of the `Monitor` given to `PerfModule.forRoot({ monitor })` (undefined when none was given). */
export const PERF_MONITOR = 'PERF_MONITOR'
/** DI token of the validated {@link PerfModuleOptions}. */
export const PERF_OPTIONS = 'PERF_OPTIONS'

/**
 * Injects the module's `Cache`.
 * @example
 * constructor(@InjectCache() private readonly cache: Cache) {}
 */
export const InjectCache = (): PropertyDecorator & ParameterDecorator => Inject(PERF_CACHE)

/**
 * Injects the module's `Monitor`.
 * @example
 * constructor(@InjectMonitor() private readonly monitor: Monitor) {}
 */
export const InjectMonitor = (): PropertyDecorator & ParameterDecorator => Inject(PERF_MONITOR)
