// The dashboard: a node:http handler with its JSON, SSE and Prometheus endpoints.
export { dashboard } from './dashboard/handler.js'
export type { DashboardHandler } from './dashboard/handler.js'
export { HttpOptionError } from './dashboard/errors.js'
export type { HttpOptionReason } from './dashboard/errors.js'
export { redactCacheKey } from './dashboard/options.js'
export type { DashboardOptions, LockerSource, OneOrMany, PgDiagnosticsSource, PoolSource } from './dashboard/options.js'
export type { LockActivity, LockTotals, SeriesPoint } from './dashboard/series.js'
export type { HealthView } from './dashboard/views.js'
export { metricsHandler, prometheusText, registerPromClient } from './dashboard/metrics.js'
export type { MetricsOptions, PromCollectorMetric, PromRegistry } from './dashboard/metrics.js'

// Request scopes and Server-Timing for node:http, Express/Connect and Fastify.
export { requestScope, withRequestScope, connectRouteName } from './middleware/request-scope.js'
export { fastifyRequestScope, fastifyRouteName } from './middleware/fastify.js'
export type { FastifyInstanceLike, FastifyRequestLike, FastifyRequestScopeOptions } from './middleware/fastify.js'
export type { RequestScopeOptions } from './middleware/scope-options.js'
export { attachServerTiming, serverTimingHeader } from './middleware/server-timing.js'
export type { ServerTimingFigures } from './middleware/server-timing.js'
