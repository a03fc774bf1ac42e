import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import {
  createCache,
  createMonitor,
  isPerfError,
  LocalLocker,
  MemoryStore,
  PoolMonitor,
  type Monitor,
} from '@perf/core'
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { DURATION_BUCKETS_S, PerfInstrumentation, instrumentPerf } from '../src/index.js'
import { histogramPoints, openSdk, useAsyncContext } from './fixtures/otel.js'

const SQL = `SELECT "users"."id", "users"."email" FROM "users" WHERE "users"."email" = 'ann@example.com' AND "users"."age" > 41`

describe('PerfInstrumentation', () => {
  let sdk: ReturnType<typeof openSdk>
  let monitor: Monitor
  let otel: PerfInstrumentation
  let undoContext: () => void

  beforeAll(() => {
    undoContext = useAsyncContext()
  })
  afterAll(() => undoContext())
  beforeEach(() => {
    sdk = openSdk()
    monitor = createMonitor({ eventLoopDelay: false })
    otel = new PerfInstrumentation({
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
      dbSystem: 'postgresql',
      dbNamespace: 'shop',
      serverAddress: 'db.internal',
      serverPort: 5432,
    })
  })
  afterEach(async () => {
    otel.disable()
    monitor.close()
    await sdk.shutdown()
  })

  it('record() becomes one CLIENT span with the database conventions and the real start and end', () => {
    monitor.record({ source: 'pg', sql: SQL, durationMs: 12.5, startedAt: 1_700_000_000_000, rows: 3 })
    const spans = sdk.spans()
    expect(spans).toHaveLength(1)
    const [span] = spans
    expect(span?.name).toBe('SELECT users')
    expect(span?.kind).toBe(SpanKind.CLIENT)
    expect(span?.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.system': 'postgresql',
      'db.namespace': 'shop',
      'server.address': 'db.internal',
      'server.port': 5432,
      'db.operation.name': 'SELECT',
      'db.collection.name': 'users',
      'db.query.summary': 'SELECT users',
      'db.query.text': `SELECT "users"."id", "users"."email" FROM "users" WHERE "users"."email" = ? AND "users"."age" > ?`,
      'perf.source': 'pg',
      'db.response.returned_rows': 3,
    })
    expect(span?.status.code).toBe(SpanStatusCode.UNSET)
    const startMs = span!.startTime[0] * 1000 + span!.startTime[1] / 1e6
    const durationMs = span!.duration[0] * 1000 + span!.duration[1] / 1e6
    expect(startMs).toBeCloseTo(1_700_000_000_000, 0)
    expect(durationMs).toBeCloseTo(12.5, 3)
    expect(span?.instrumentationScope.name).toBe('@perf/otel')
  })

  it('record() never exports a literal: strings, numbers and comments are redacted', () => {
    monitor.record({
      source: 'pg',
      sql: `/* user=ann */ UPDATE accounts SET balance = balance - 250.75 WHERE iban = 'DE8937040044' RETURNING id`,
      durationMs: 1,
    })
    const text = String(sdk.spans()[0]?.attributes['db.query.text'])
    expect(text).toBe(`UPDATE accounts SET balance = balance - ? WHERE iban = ? RETURNING id`)
    expect(JSON.stringify(sdk.spans()[0]?.attributes)).not.toMatch(/ann|250|DE89/)
    expect(sdk.spans()[0]?.name).toBe('UPDATE accounts')
  })

  it('record() of an ORM call without SQL names the span after the operation and model', () => {
    monitor.record({ source: 'prisma', model: 'User', operation: 'findMany', durationMs: 2, rows: 0 })
    const [span] = sdk.spans()
    expect(span?.name).toBe('findMany User')
    expect(span?.attributes).toMatchObject({
      'db.operation.name': 'findMany',
      'db.collection.name': 'User',
      'perf.model': 'User',
      'db.response.returned_rows': 0,
    })
    expect(span?.attributes['db.query.text']).toBeUndefined()
  })

  it('record() of a failed query sets ERROR status and error.type to the SQLSTATE, never the message', () => {
    const error = Object.assign(
      new Error(`duplicate key value violates unique constraint: Key (email)=(ann@example.com)`),
      {
        code: '23505',
      },
    )
    monitor.record({ source: 'pg', sql: `INSERT INTO users (email) VALUES ('ann@example.com')`, durationMs: 3, error })
    const [span] = sdk.spans()
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: '23505' })
    expect(span?.attributes['error.type']).toBe('23505')
    expect(span?.attributes['db.response.status_code']).toBe('23505')
    expect(JSON.stringify([span?.name, span?.attributes, span?.status, span?.events])).not.toContain('ann@example.com')
    expect(span?.events).toEqual([])
  })

  it('record() of an error without a code uses its class name', () => {
    class PoolTimeoutError extends Error {}
    monitor.record({
      source: 'typeorm',
      sql: 'SELECT 1',
      durationMs: 1,
      error: new PoolTimeoutError('timeout after 5000ms'),
    })
    expect(sdk.spans()[0]?.attributes['error.type']).toBe('PoolTimeoutError')
    expect(sdk.spans()[0]?.attributes['db.response.status_code']).toBeUndefined()
  })

  it('record() under an active span makes the query span its child', async () => {
    const tracer = sdk.tracerProvider.getTracer('app')
    await tracer.startActiveSpan('GET /users', async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      monitor.record({ source: 'pg', sql: SQL, durationMs: 1 })
      await Promise.resolve()
      monitor.record({ source: 'pg', sql: 'SELECT * FROM orders WHERE id = 7', durationMs: 1 })
      request.end()
    })
    monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 1 })
    const spans = sdk.spans()
    const request = spans.find((s) => s.name === 'GET /users')!
    const children = spans.filter((s) => s.parentSpanContext?.spanId === request.spanContext().spanId)
    expect(children.map((s) => s.name)).toEqual(['SELECT users', 'SELECT orders'])
    expect(children.every((s) => s.spanContext().traceId === request.spanContext().traceId)).toBe(true)
    const outside = spans.find((s) => s.name === 'SELECT')!
    expect(outside.parentSpanContext).toBeUndefined()
    expect(outside.spanContext().traceId).not.toBe(request.spanContext().traceId)
  })

  it('records db.client.operation.duration in seconds with the semconv buckets, errors as their own series', async () => {
    monitor.record({ source: 'pg', sql: SQL, durationMs: 4 })
    monitor.record({ source: 'pg', sql: SQL.replace('41', '42'), durationMs: 60 })
    monitor.record({ source: 'pg', sql: SQL, durationMs: 2, error: Object.assign(new Error('x'), { code: '57014' }) })
    monitor.record({ source: 'pg', sql: SQL, durationMs: 0.01, cache: 'hit' })
    const metric = (await sdk.collect()).get('db.client.operation.duration')
    expect(metric?.descriptor.unit).toBe('s')
    const points = histogramPoints(metric)
    expect(points).toHaveLength(2)
    const ok = points.find((p) => p.attributes['error.type'] === undefined)!
    expect(ok.attributes).toEqual({
      'db.system.name': 'postgresql',
      'db.system': 'postgresql',
      'db.namespace': 'shop',
      'server.address': 'db.internal',
      'server.port': 5432,
      'db.operation.name': 'SELECT',
      'db.collection.name': 'users',
    })
    expect(ok.value.count).toBe(2)
    expect(ok.value.sum).toBeCloseTo(0.064, 9)
    expect(ok.value.buckets.boundaries).toEqual(DURATION_BUCKETS_S)
    const failed = points.find((p) => p.attributes['error.type'] === '57014')!
    expect(failed.value.count).toBe(1)
    expect(failed.attributes['db.response.status_code']).toBe('57014')
    // The cache hit is a span (INTERNAL: the database was not asked) but no database operation.
    const hit = sdk.spans().find((s) => s.attributes['perf.cache.outcome'] === 'hit')
    expect(hit?.kind).toBe(SpanKind.INTERNAL)
  })

  it('cache reads become span events on the active span and perf.cache.requests', async () => {
    const cache = createCache({ tiers: [new MemoryStore()], namespace: 'otel-test' })
    let loads = 0
    const tracer = sdk.tracerProvider.getTracer('app')
    await tracer.startActiveSpan('GET /product', async (request) => {
      for (let i = 0; i < 3; i++) await cache.getOrSet('product:1', async () => ++loads, { ttl: 60_000 })
      request.end()
    })
    await cache.close()
    expect(loads).toBe(1)
    const request = sdk.spans().find((s) => s.name === 'GET /product')!
    expect(request.events.map((e) => e.name)).toEqual(['perf.cache.miss', 'perf.cache.hit', 'perf.cache.hit'])
    expect(request.events[1]?.attributes).toEqual({
      'perf.cache.namespace': 'otel-test',
      'perf.cache.tier': 'memory',
      'perf.cache.outcome': 'hit',
    })
    const counter = (await sdk.collect()).get('perf.cache.requests')
    const byOutcome = Object.fromEntries(
      (counter?.dataPoints ?? []).map((p) => [String(p.attributes['perf.cache.outcome']), p.value]),
    )
    expect(byOutcome).toEqual({ miss: 1, hit: 2 })
  })

  it('lock waits and holds become perf.lock.* histograms; a timeout becomes an event on the request span', async () => {
    const locker = new LocalLocker({ name: 'jobs' })
    const tracer = sdk.tracerProvider.getTracer('app')
    const first = await locker.acquire('invoice:7', 10_000)
    await tracer.startActiveSpan('POST /invoice/7', async (request) => {
      const error = await locker.acquire('invoice:7', 10_000, { waitMs: 20 }).catch((e: unknown) => e)
      expect(isPerfError(error, 'LOCK_TIMEOUT')).toBe(true)
      request.end()
    })
    await first.release()
    const again = await locker.acquire('invoice:7', 10_000)
    await again.release()
    locker.close()

    const collected = await sdk.collect()
    const byOutcome = (name: string) =>
      Object.fromEntries(
        histogramPoints(collected.get(name)).map((p) => [
          `${p.attributes['perf.lock.locker']}/${p.attributes['perf.lock.outcome']}`,
          { count: p.value.count, sum: p.value.sum },
        ]),
      )
    const wait = byOutcome('perf.lock.wait.duration')
    expect(Object.keys(wait).sort()).toEqual(['jobs/acquired', 'jobs/timeout'])
    expect(wait['jobs/acquired']!.count).toBe(2)
    expect(wait['jobs/timeout']!.count).toBe(1)
    expect(wait['jobs/timeout']!.sum).toBeGreaterThanOrEqual(0.015) // waited ~20 ms, in seconds
    const hold = byOutcome('perf.lock.hold.duration')
    expect(Object.keys(hold)).toEqual(['jobs/released'])
    expect(hold['jobs/released']!.count).toBe(2)
    const request = sdk.spans().find((s) => s.name === 'POST /invoice/7')!
    expect(request.events.map((e) => [e.name, e.attributes])).toEqual([
      ['perf.lock.timeout', { 'perf.lock.locker': 'jobs', 'perf.lock.outcome': 'timeout' }],
    ])
  })

  it('pool samples become db.client.connection.* metrics', async () => {
    const stats = { total: 7, idle: 2, active: 5, waiting: 3, max: 10, min: 1 }
    const pool = new PoolMonitor({ name: 'main', stats: () => stats }, { autoStart: false, alerts: false })
    pool.recordAcquireWait(40)
    pool.sample()
    const collected = await sdk.collect()
    const points = (name: string) =>
      (collected.get(name)?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }))
    const pool_ = { 'db.system.name': 'postgresql', 'db.namespace': 'shop', 'db.client.connection.pool.name': 'main' }
    expect(points('db.client.connection.count')).toEqual([
      { attributes: { ...pool_, 'db.client.connection.state': 'idle' }, value: 2 },
      { attributes: { ...pool_, 'db.client.connection.state': 'used' }, value: 5 },
    ])
    expect(points('db.client.connection.max')).toEqual([{ attributes: pool_, value: 10 }])
    expect(points('db.client.connection.idle.min')).toEqual([{ attributes: pool_, value: 1 }])
    expect(points('db.client.connection.pending_requests')).toEqual([{ attributes: pool_, value: 3 }])
    const wait = points('perf.db.client.connection.wait_time.p95')[0]?.value as number
    expect(wait).toBeGreaterThan(0.0395)
    expect(wait).toBeLessThan(0.0405)
  })

  it('a throwing span processor never reaches the query: record() returns, onError hears it, no uncaught exception', async () => {
    otel.disable()
    const failing = openSdk({
      extraProcessors: [
        {
          onStart: () => undefined,
          onEnd: () => {
            throw new Error('exporter down')
          },
          forceFlush: async () => undefined,
          shutdown: async () => undefined,
        },
      ],
    })
    const errors: unknown[] = []
    const uncaught: unknown[] = []
    const onUncaught = (error: unknown) => void uncaught.push(error)
    process.on('uncaughtException', onUncaught)
    const bridge = new PerfInstrumentation({ tracerProvider: failing.tracerProvider, onError: (e) => errors.push(e) })
    try {
      expect(() => monitor.record({ source: 'pg', sql: SQL, durationMs: 1 })).not.toThrow()
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(errors).toHaveLength(1)
      expect((errors[0] as Error).message).toBe('exporter down')
      expect(uncaught).toEqual([])
      expect(monitor.totals().calls).toBe(1)
    } finally {
      process.off('uncaughtException', onUncaught)
      bridge.disable()
      await failing.shutdown()
    }
  })

  it('an onError that throws is swallowed too', () => {
    otel.disable()
    const bridge = new PerfInstrumentation({
      tracerProvider: {
        getTracer: () => ({
          startSpan: () => {
            throw new Error('sdk bug')
          },
          startActiveSpan: () => undefined as never,
        }),
      },
      metrics: false,
      onError: () => {
        throw new Error('handler bug')
      },
    })
    try {
      expect(() => monitor.record({ source: 'pg', sql: SQL, durationMs: 1 })).not.toThrow()
    } finally {
      bridge.disable()
    }
  })

  it('requireParentSpan skips queries outside a span', () => {
    otel.setConfig({ requireParentSpan: true, dbSystem: 'postgresql' })
    monitor.record({ source: 'pg', sql: SQL, durationMs: 1 })
    expect(sdk.spans()).toHaveLength(0)
    sdk.tracerProvider.getTracer('app').startActiveSpan('job', (job) => {
      monitor.record({ source: 'pg', sql: SQL, durationMs: 1 })
      job.end()
    })
    expect(sdk.spans().map((s) => s.name)).toEqual(['SELECT users', 'job'])
  })

  it('an unsampled trace exports no span but still records the duration metric', async () => {
    otel.disable()
    const unsampled = openSdk({ sampler: new AlwaysOffSampler() })
    const bridge = new PerfInstrumentation({
      tracerProvider: unsampled.tracerProvider,
      meterProvider: unsampled.meterProvider,
    })
    try {
      monitor.record({ source: 'pg', sql: SQL, durationMs: 5 })
      expect(unsampled.spans()).toHaveLength(0)
      const points = histogramPoints((await unsampled.collect()).get('db.client.operation.duration'))
      expect(points.map((p) => p.value.count)).toEqual([1])
    } finally {
      bridge.disable()
      await unsampled.shutdown()
    }
  })

  it('disable() stops spans and enable() resumes them', () => {
    otel.disable()
    expect(otel.isEnabled).toBe(false)
    monitor.record({ source: 'pg', sql: SQL, durationMs: 1 })
    expect(sdk.spans()).toHaveLength(0)
    otel.enable()
    otel.enable()
    monitor.record({ source: 'pg', sql: SQL, durationMs: 1 })
    expect(sdk.spans()).toHaveLength(1)
  })

  it('spans: false emits metrics only, and no span event is added', async () => {
    otel.setConfig({ spans: false, dbSystem: 'postgresql' })
    monitor.record({ source: 'pg', sql: SQL, durationMs: 1 })
    expect(sdk.spans()).toHaveLength(0)
    expect(histogramPoints((await sdk.collect()).get('db.client.operation.duration'))[0]?.value.count).toBe(1)
  })

  it('getConfig() reports enabled, as NodeSDK reads it before calling enable()', () => {
    expect(otel.getConfig()).toMatchObject({ enabled: true, dbSystem: 'postgresql', spans: true, metrics: true })
    expect(otel.getConfig()).not.toHaveProperty('tracerProvider')
    expect(new PerfInstrumentation({ enabled: false }).isEnabled).toBe(false)
  })
})

describe('instrumentPerf()', () => {
  it('starts the bridge on the global providers and disable() stops it', () => {
    const sdk = openSdk()
    const monitor = createMonitor({ eventLoopDelay: false })
    expect(trace.setGlobalTracerProvider(sdk.tracerProvider)).toBe(true)
    try {
      const handle = instrumentPerf({ metrics: false })
      monitor.record({ source: 'pg', sql: 'DELETE FROM carts WHERE id = 9', durationMs: 1 })
      handle.disable()
      handle.disable()
      monitor.record({ source: 'pg', sql: 'DELETE FROM carts WHERE id = 10', durationMs: 1 })
      expect(sdk.spans().map((s) => [s.name, s.attributes['db.system.name']])).toEqual([['DELETE carts', 'other_sql']])
      expect(handle.instrumentation.isEnabled).toBe(false)
    } finally {
      trace.disable()
      monitor.close()
    }
  })

  it('rejects bad options with PerfError INVALID_OPTION naming the option', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ serverPort: 70_000 }, 'serverPort'],
      [{ dbSystem: '' }, 'dbSystem'],
      [{ spans: 'yes' }, 'spans'],
      [{ maxQueryTextLength: 3 }, 'maxQueryTextLength'],
      [{ tracerProvider: {} }, 'tracerProvider'],
      [{ onError: 1 }, 'onError'],
    ]
    for (const [config, option] of cases) {
      let thrown: unknown
      try {
        instrumentPerf(config as never)
      } catch (error) {
        thrown = error
      }
      expect(isPerfError(thrown, 'INVALID_OPTION')).toBe(true)
      expect((thrown as Error).message).toContain(`"${option}"`)
    }
  })
})
