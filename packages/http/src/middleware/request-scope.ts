import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Monitor, ScopeOptions } from '@perf/core'
import {
  invalid,
  pathOf,
  resolveScopeOptions,
  type RequestScopeOptions,
  type ResolvedScopeOptions,
} from './scope-options.js'
import { attachServerTiming } from './server-timing.js'

/** What Express (and routers like it) add to a request once a route matched. */
interface RoutedRequest {
  baseUrl?: string
  originalUrl?: string
  route?: { path?: unknown }
}

/**
 * Runs `handle` in a monitor scope that stays open until `res` is done (finished or closed), so
 * queries of async handlers and streamed bodies count. Never throws for the scope's own sake:
 * `handle`'s synchronous throw is rethrown after the scope is marked failed.
 */
export function runRequestScope<Req, T>(
  o: ResolvedScopeOptions<Req>,
  req: Req,
  res: ServerResponse,
  handle: () => T,
): T {
  let result: T | undefined
  let thrown: { error: unknown } | undefined
  const options: ScopeOptions = { name: () => o.name(req) }
  if (o.threshold !== undefined) options.threshold = o.threshold
  const onReport = o.onReport
  if (onReport !== undefined)
    options.onReport = (report) => {
      try {
        onReport(report, req)
      } catch {
        // A reporting bug must not turn into an unhandled rejection for a request already answered.
      }
    }
  const scoped = o.monitor.scope(
    () =>
      new Promise<void>((resolve, reject) => {
        if (o.serverTiming(req)) timeHeaders(o.monitor, res)
        const done = (): void => resolve()
        res.once('finish', done)
        res.once('close', done)
        try {
          result = handle()
        } catch (error) {
          thrown = { error }
          reject(error)
        }
      }),
    options,
  )
  scoped.then(undefined, () => undefined)
  if (thrown !== undefined) throw thrown.error
  return result as T
}

function timeHeaders(monitor: Monitor, res: ServerResponse): void {
  const info = monitor.currentScope()
  if (info !== undefined) attachServerTiming(res, info)
}

/** `GET /users/:id` once Express matched a route (mounted routers included), else `GET /users/42`. */
export function connectRouteName(req: IncomingMessage & RoutedRequest): string {
  const route = req.route?.path
  if (typeof route === 'string') return `${req.method ?? 'GET'} ${req.baseUrl ?? ''}${route}`
  return `${req.method ?? 'GET'} ${pathOf(req.originalUrl ?? req.url)}`
}

/**
 * Connect-style middleware (Express, Connect, or `node:http` through `(req, res) => mw(req, res, next)`)
 * that runs each request in a `monitor.scope()`: N+1 findings are named by route, and with
 * `serverTiming` every response carries a `Server-Timing` header. Mount it first, before routers
 * and body parsers, so everything the request does runs inside its scope.
 *
 * @throws PerfError INVALID_OPTION naming a bad option
 * @example
 * app.use(requestScope(monitor, { serverTiming: true, onReport: (r) => r.nPlusOne.length && log.warn(r) }))
 */
export function requestScope<Req extends IncomingMessage = IncomingMessage>(
  monitor: Monitor,
  options: RequestScopeOptions<Req> = {},
): (req: Req, res: ServerResponse, next: (error?: unknown) => void) => void {
  const o = resolveScopeOptions('requestScope()', monitor, options, connectRouteName as (req: Req) => string)
  return (req, res, next) => {
    runRequestScope(o, req, res, () => next())
  }
}

/**
 * Wraps a plain `node:http` handler so each request runs in a `monitor.scope()` (open until the
 * response is done) and, with `serverTiming`, answers with a `Server-Timing` header. Returns what
 * the handler returns.
 *
 * @throws PerfError INVALID_OPTION naming a bad option
 * @example
 * http.createServer(withRequestScope(monitor, (req, res) => { ... }, { serverTiming: true }))
 */
export function withRequestScope<Req extends IncomingMessage, Res extends ServerResponse, T>(
  monitor: Monitor,
  handler: (req: Req, res: Res) => T,
  options: RequestScopeOptions<Req> = {},
): (req: Req, res: Res) => T {
  if (typeof handler !== 'function') invalid('withRequestScope()', 'handler', 'a function (req, res) => unknown')
  const o = resolveScopeOptions('withRequestScope()', monitor, options, connectRouteName as (req: Req) => string)
  return (req, res) => runRequestScope(o, req, res, () => handler(req, res))
}
