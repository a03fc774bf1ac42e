/**
 * Attribute and metric names the bridge emits: OpenTelemetry's database client semantic
 * conventions where one exists (kept here as strings, so no semconv package is needed), and
 * `perf.*` for what the conventions do not cover.
 */
export const ATTR = {
  dbSystemName: 'db.system.name',
  /** The pre-1.26 name of `db.system.name`; many backends still key on it. */
  dbSystem: 'db.system',
  dbNamespace: 'db.namespace',
  dbOperationName: 'db.operation.name',
  dbCollectionName: 'db.collection.name',
  dbQueryText: 'db.query.text',
  dbQuerySummary: 'db.query.summary',
  dbResponseStatusCode: 'db.response.status_code',
  dbResponseReturnedRows: 'db.response.returned_rows',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  poolName: 'db.client.connection.pool.name',
  connectionState: 'db.client.connection.state',
  perfSource: 'perf.source',
  perfModel: 'perf.model',
  perfCacheOutcome: 'perf.cache.outcome',
  perfCacheTier: 'perf.cache.tier',
  perfCacheNamespace: 'perf.cache.namespace',
  perfInTransaction: 'perf.in_transaction',
  perfCallSite: 'perf.call_site',
  perfLockLocker: 'perf.lock.locker',
  perfLockOutcome: 'perf.lock.outcome',
} as const

/** Metric names. */
export const METRIC = {
  operationDuration: 'db.client.operation.duration',
  connectionCount: 'db.client.connection.count',
  connectionMax: 'db.client.connection.max',
  connectionIdleMin: 'db.client.connection.idle.min',
  pendingRequests: 'db.client.connection.pending_requests',
  /** No per-acquire event reaches the channel, only each sample's p95: a gauge, not the semconv histogram. */
  waitTimeP95: 'perf.db.client.connection.wait_time.p95',
  cacheRequests: 'perf.cache.requests',
  lockWait: 'perf.lock.wait.duration',
  lockHold: 'perf.lock.hold.duration',
} as const

/** Bucket boundaries (seconds) the conventions advise for `db.client.operation.duration`. */
export const DURATION_BUCKETS_S = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]
