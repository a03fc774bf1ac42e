import type { ServerResponse } from 'node:http'
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common'
import type { Monitor, ScopeOptions } from '@perf/core'
import { attachServerTiming } from '@perf/http'
import { Observable, type Subscription } from 'rxjs'
import type { PerfModuleOptions } from './options.js'
import { PERF_OPTIONS } from './tokens.js'

/** What Express and Fastify requests carry once a route matched. */
interface RoutedRequest {
  method?: string
  url?: string
  route?: { path?: unknown }
  routeOptions?: { url?: string }
}

/**
 * Runs each request in a `monitor.scope()` (registered globally by `PerfModule`): N+1 findings
 * are named by route, and with `serverTiming` HTTP responses carry a `Server-Timing` header. An
 * HTTP scope stays open until the response is done (streamed files included); others until the
 * handler's observable completes. It steps aside when the request already runs in a scope (the
 * `@perf/http` middleware mounted too), and when no monitor was given.
 */
@Injectable()
export class PerfScopeInterceptor implements NestInterceptor {
  readonly #options: PerfModuleOptions

  constructor(@Inject(PERF_OPTIONS) options: PerfModuleOptions) {
    this.#options = options
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const o = this.#options
    const monitor = o.monitor
    if (monitor === undefined || o.requestScopes === false || monitor.currentScope() !== undefined) return next.handle()
    return new Observable((subscriber) => {
      let inner: Subscription | undefined
      const scoped = monitor.scope(
        () =>
          new Promise<void>((resolve, reject) => {
            const res = context.getType() === 'http' ? rawResponse(context) : undefined
            if (res !== undefined) {
              if (wantsTiming(o, context)) timeHeaders(monitor, res)
              res.once('finish', () => resolve())
              res.once('close', () => resolve())
            }
            // handle() binds the handler to the async context it is called in: this scope's.
            inner = next.handle().subscribe({
              next: (value) => subscriber.next(value),
              error: (error: unknown) => {
                subscriber.error(error)
                if (res === undefined) reject(error)
              },
              complete: () => {
                subscriber.complete()
                if (res === undefined) resolve()
              },
            })
          }),
        this.#scopeOptions(context),
      )
      scoped.then(undefined, () => undefined)
      return () => inner?.unsubscribe()
    })
  }

  #scopeOptions(context: ExecutionContext): ScopeOptions {
    const o = this.#options
    const naming = o.scopeName
    const options: ScopeOptions = { name: naming === undefined ? () => defaultName(context) : () => naming(context) }
    if (o.nPlusOneThreshold !== undefined) options.threshold = o.nPlusOneThreshold
    const onReport = o.onReport
    if (onReport !== undefined)
      options.onReport = (report) => {
        try {
          onReport(report, context)
        } catch {
          // A reporting bug must not fail a request already answered.
        }
      }
    return options
  }
}

function wantsTiming(o: PerfModuleOptions, context: ExecutionContext): boolean {
  const timing = o.serverTiming
  return typeof timing === 'function' ? timing(context) === true : timing === true
}

function timeHeaders(monitor: Monitor, res: ServerResponse): void {
  const scope = monitor.currentScope()
  if (scope !== undefined) attachServerTiming(res, scope)
}

/** The `node:http` response under Express (the response itself) or Fastify (`reply.raw`). */
function rawResponse(context: ExecutionContext): ServerResponse | undefined {
  const res = context.switchToHttp().getResponse<{ raw?: unknown } | undefined>()
  const raw = (res as { raw?: unknown } | undefined)?.raw ?? res
  return typeof (raw as ServerResponse | undefined)?.writeHead === 'function' ? (raw as ServerResponse) : undefined
}

/** `GET /users/:id` from the matched route, else `UsersController.findOne`. */
function defaultName(context: ExecutionContext): string {
  const handler = `${context.getClass().name}.${context.getHandler().name}`
  if (context.getType() !== 'http') return handler
  const req = context.switchToHttp().getRequest<RoutedRequest>()
  const route = req.routeOptions?.url ?? req.route?.path
  return typeof route === 'string' ? `${req.method ?? 'GET'} ${route}` : `${req.method ?? 'GET'} ${handler}`
}
