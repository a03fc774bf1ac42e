import { PerfError, type PerfErrorOptions } from '@perf/core'

/** What was wrong with a `dashboard()` or `metricsHandler()` option (`HttpOptionError.reason`). */
export type HttpOptionReason = 'type' | 'range' | 'path' | 'source'

/**
 * Thrown by `dashboard()`, `metricsHandler()` and `registerPromClient()` for an option they cannot
 * use. Code `INVALID_OPTION`; `option` names the option (`'basePath'`, `'caches[1]'`) and `reason`
 * says how it failed: `type` (wrong type), `range` (number out of range), `path` (not a path
 * starting with `/`), `source` (an object without the methods the dashboard reads).
 *
 * @example
 * try { dashboard({ healthThreshold: 120 }) } catch (err) { if (err instanceof HttpOptionError) console.log(err.option) }
 */
export class HttpOptionError extends PerfError {
  /** The option, as written in the options object (`'pools[0]'` for an element). */
  readonly option: string
  readonly reason: HttpOptionReason
  constructor(option: string, reason: HttpOptionReason, message: string, options: PerfErrorOptions = {}) {
    super('INVALID_OPTION', `[perf:http] option "${option}" ${message}`, {
      ...options,
      context: { ...options.context, option, reason },
    })
    this.name = 'HttpOptionError'
    this.option = option
    this.reason = reason
  }
}
