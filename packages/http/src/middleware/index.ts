// middleware/: request scopes and Server-Timing for node:http, Express/Connect and Fastify.
export { requestScope, withRequestScope, connectRouteName } from './request-scope.js'
export { fastifyRequestScope, fastifyRouteName } from './fastify.js'
export type { FastifyInstanceLike, FastifyRequestLike, FastifyRequestScopeOptions } from './fastify.js'
export type { RequestScopeOptions } from './scope-options.js'
export { attachServerTiming, serverTimingHeader } from './server-timing.js'
export type { ServerTimingFigures } from './server-timing.js'
