import type { ServerResponse } from 'node:http'
import type { Monitor } from '@perf/core'
import {
  invalid,
  pathOf,
  resolveScopeOptions,
  type RequestScopeOptions,
  type ResolvedScopeOptions,
} from './scope-options.js'
import { runRequestScope } from './request-scope.js'

/** The parts of a Fastify request this plugin reads (typed structurally: no dependency on fastify). */
export interface FastifyRequestLike {
  method: string
  url: string
  /** Fastify 5: the matched route's options; `url` is its pattern (`/users/:id`). */
  routeOptions?: { url?: string }
}

type HookDone = (error?: Error) => void

/** The parts of a Fastify instance this plugin uses. */
export interface FastifyInstanceLike {
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: { raw: ServerResponse }, done: HookDone) => void,
  ): unknown
}

/** Options of {@link fastifyRequestScope}: the monitor plus the {@link RequestScopeOptions}. */
export interface FastifyRequestScopeOptions<
  Req extends FastifyRequestLike = FastifyRequestLike,
> extends RequestScopeOptions<Req> {
  /** The monitor whose scopes the requests run in. */
  monitor: Monitor
}

/** `GET /users/:id` from the matched route's pattern, else `GET /users/42`. */
export function fastifyRouteName(request: FastifyRequestLike): string {
  const route = request.routeOptions?.url
  return `${request.method} ${typeof route === 'string' && route !== '' ? route : pathOf(request.url)}`
}

/**
 * A Fastify plugin that runs each request in a `monitor.scope()` until its response is done, so N+1
 * findings are named by route, and with `serverTiming` adds a `Server-Timing` header. Its
 * `onRequest` hook opens the scope; the response's end closes it, so hooks, handlers and streamed
 * replies all run inside. Registered app-wide (it skips Fastify's encapsulation, as
 * `fastify-plugin` would).
 *
 * @throws PerfError INVALID_OPTION naming a bad option (when Fastify loads the plugin)
 * @example
 * await app.register(fastifyRequestScope, { monitor, serverTiming: true })
 */
export function fastifyRequestScope(
  fastify: FastifyInstanceLike,
  options: FastifyRequestScopeOptions,
  done: (error?: Error) => void,
): void {
  let o: ResolvedScopeOptions<FastifyRequestLike>
  try {
    if (typeof options !== 'object' || options === null)
      invalid('fastifyRequestScope', 'options', 'an object with a monitor')
    const { monitor, ...rest } = options
    o = resolveScopeOptions('fastifyRequestScope', monitor, rest, fastifyRouteName)
  } catch (error) {
    done(error as Error)
    return
  }
  fastify.addHook('onRequest', (request, reply, next) => {
    // Fastify runs the rest of the request from next(), and keeps the context across body parsing.
    runRequestScope(o, request, reply.raw, () => next())
  })
  done()
}

Object.assign(fastifyRequestScope, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@perf/http request scope',
  [Symbol.for('plugin-meta')]: { name: '@perf/http request scope', fastify: '>=4' },
})
