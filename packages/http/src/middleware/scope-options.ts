import { PerfError, type Monitor, type ScopeReport } from '@perf/core'

/** Options shared by {@link requestScope}, {@link withRequestScope} and `fastifyRequestScope`. */
export interface RequestScopeOptions<Req> {
  /**
   * The scope's name in N+1 reports and `onReport`: a string, or a function of the request asked
   * when a report needs it (after routing, so it can read the matched route).
   * @default the method and the matched route (`GET /users/:id`), else the method and the path without its query string
   */
  name?: string | ((req: Req) => string)
  /** Same-statement count that makes an N+1 finding in a request. @default the monitor's `nPlusOneThreshold` */
  threshold?: number
  /**
   * Add a `Server-Timing` header (database time, statement count, cache hits and misses, total)
   * to every response, or to those for which the function returns true (staff, a debug cookie).
   * Off by default: it tells any client how your requests spend their time.
   * @default false
   */
  serverTiming?: boolean | ((req: Req) => boolean)
  /** Called once the response is done, with the request's report. A throw is ignored. */
  onReport?: (report: ScopeReport, req: Req) => void
}

/** {@link RequestScopeOptions} checked, with the framework's default name filled in. */
export interface ResolvedScopeOptions<Req> {
  monitor: Monitor
  name: (req: Req) => string
  threshold: number | undefined
  serverTiming: (req: Req) => boolean
  onReport: ((report: ScopeReport, req: Req) => void) | undefined
}

/** Validates options once, when the middleware is built. @throws PerfError INVALID_OPTION naming the option */
export function resolveScopeOptions<Req>(
  where: string,
  monitor: Monitor,
  options: RequestScopeOptions<Req>,
  defaultName: (req: Req) => string,
): ResolvedScopeOptions<Req> {
  if (typeof monitor !== 'object' || monitor === null || typeof monitor.scope !== 'function')
    invalid(where, 'monitor', 'a Monitor from createMonitor()')
  if (typeof options !== 'object' || options === null) invalid(where, 'options', 'an object')
  const { name, threshold, serverTiming, onReport } = options
  if (name !== undefined && typeof name !== 'string' && typeof name !== 'function')
    invalid(where, 'name', 'a string or a function (req) => string')
  if (threshold !== undefined && !(Number.isInteger(threshold) && threshold >= 2))
    invalid(where, 'threshold', 'an integer >= 2')
  if (serverTiming !== undefined && typeof serverTiming !== 'boolean' && typeof serverTiming !== 'function')
    invalid(where, 'serverTiming', 'a boolean or a function (req) => boolean')
  if (onReport !== undefined && typeof onReport !== 'function') invalid(where, 'onReport', 'a function')
  return {
    monitor,
    name: typeof name === 'string' ? () => name : (name ?? defaultName),
    threshold,
    serverTiming: typeof serverTiming === 'function' ? serverTiming : () => serverTiming === true,
    onReport,
  }
}

/** Throws the INVALID_OPTION error every check here uses. */
export function invalid(where: string, option: string, rule: string): never {
  throw new PerfError('INVALID_OPTION', `[perf:http] ${where} option "${option}" must be ${rule}`, {
    context: { option },
  })
}

/** `/users/42?token=…` → `/users/42`: a query string may carry secrets and never names a route. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/'
  const at = url.search(/[?#]/)
  return at === -1 ? url : url.slice(0, at)
}
