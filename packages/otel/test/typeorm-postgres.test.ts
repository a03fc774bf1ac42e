import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { CHANNELS, createCache, createMonitor, MemoryStore, type QueryEvent } from '@perf/core'
import { instrument, watchPool, type PoolWatch, type TypeormPerf } from '@perf/typeorm'
import * as typeorm from 'typeorm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PerfInstrumentation } from '../src/index.js'
import { histogramPoints, openSdk, useAsyncContext } from './fixtures/otel.js'
import { createSchema, DATABASE_URL, postgresAvailable } from './fixtures/postgres.js'

const up = await postgresAvailable()

interface Author {
  id: number
  name: string
}
const AuthorSchema = new typeorm.EntitySchema<Author>({
  name: 'Author',
  tableName: 'authors',
  columns: { id: { type: Number, primary: true, generated: true }, name: { type: String } },
})

describe.skipIf(!up)('@perf/otel with @perf/typeorm on PostgreSQL', () => {
  const sdk = openSdk()
  const monitor = createMonitor({ eventLoopDelay: false })
  const cache = createCache({ tiers: [new MemoryStore()], namespace: 'otel-typeorm' })
  let db: Awaited<ReturnType<typeof createSchema>>
  let ds: typeorm.DataSource
  let perf: TypeormPerf
  let pool: PoolWatch
  let otel: PerfInstrumentation
  let undoContext: () => void
  let events: QueryEvent[] = []
  const listen = (message: unknown) => void events.push(message as QueryEvent)

  beforeAll(async () => {
    undoContext = useAsyncContext()
    db = await createSchema()
    ds = new typeorm.DataSource({
      type: 'postgres',
      url: DATABASE_URL,
      schema: db.schema,
      extra: { options: `-c search_path="${db.schema}"` },
      entities: [AuthorSchema],
      synchronize: true,
      poolSize: 4,
    })
    await ds.initialize()
    perf = instrument(ds, { monitor, cache })
    pool = watchPool(ds, { monitor, name: 'blog', intervalMs: 60_000, alerts: false })
    otel = new PerfInstrumentation({
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
      dbSystem: 'postgresql',
      dbNamespace: 'test',
      serverAddress: '127.0.0.1',
      serverPort: 5432,
    })
    subscribe(CHANNELS.query, listen)
  })
  afterAll(async () => {
    unsubscribe(CHANNELS.query, listen)
    otel?.disable()
    pool?.close()
    perf?.uninstrument()
    await ds?.destroy().catch(() => undefined)
    await db?.drop()
    await cache.close()
    monitor.close()
    await sdk.shutdown()
    undoContext?.()
  })
  beforeEach(() => {
    events = []
    sdk.resetSpans()
  })

  /** Runs `fn` as the body of a request span; returns the request and the spans under it. */
  async function request(
    name: string,
    fn: () => Promise<void>,
  ): Promise<{ root: ReadableSpan; children: ReadableSpan[] }> {
    await sdk.tracerProvider.getTracer('app').startActiveSpan(name, async (span) => {
      try {
        await fn()
      } finally {
        span.end()
      }
    })
    const root = sdk.spans().find((s) => s.name === name)!
    const children = sdk.spans().filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId)
    return { root, children }
  }

  it('every statement of a request is a child span of it, with the table and no literal value', async () => {
    const repo = ds.getRepository(AuthorSchema)
    let found: Author[] = []
    const { root, children } = await request('POST /authors', async () => {
      await repo.insert([{ name: 'Ann Secret-7f3' }, { name: 'Ann Secret-7f3' }])
      found = await repo.find({ where: { name: 'Ann Secret-7f3' } })
    })
    expect(found).toHaveLength(2)
    expect(events.length).toBeGreaterThanOrEqual(2)
    expect(children).toHaveLength(events.length)
    expect(children.every((s) => s.spanContext().traceId === root.spanContext().traceId)).toBe(true)
    expect(children.every((s) => s.kind === SpanKind.CLIENT)).toBe(true)
    const insert = children.find((s) => s.name === 'INSERT authors')
    const select = children.find((s) => s.name === 'SELECT authors')
    expect(insert?.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.operation.name': 'INSERT',
      'db.collection.name': 'authors',
      'db.namespace': 'test',
      'server.address': '127.0.0.1',
      'server.port': 5432,
      'perf.source': 'typeorm',
      'perf.model': 'Author',
    })
    expect(select?.attributes['db.response.returned_rows']).toBe(2)
    expect(String(select?.attributes['db.query.text'])).toMatch(/^SELECT .*FROM "[^"]+"\."authors"/)
    for (const span of children) expect(JSON.stringify(span.attributes)).not.toContain('Secret')
    // The span covers the statement: it starts inside the request and ends before it.
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6
    for (const span of children) {
      expect(ms(span.startTime)).toBeGreaterThanOrEqual(ms(root.startTime) - 1)
      expect(ms(span.endTime)).toBeLessThanOrEqual(ms(root.endTime) + 1)
    }
  })

  it('a failed statement is an ERROR span with its SQLSTATE, and the query still rejects with its own error', async () => {
    const { children } = await request('GET /broken', async () => {
      await expect(ds.query(`SELECT * FROM no_such_table WHERE name = 'Bob Secret'`)).rejects.toBeInstanceOf(
        typeorm.QueryFailedError,
      )
    })
    expect(children).toHaveLength(1)
    expect(children[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: '42P01' })
    expect(children[0]?.attributes).toMatchObject({ 'error.type': '42P01', 'db.response.status_code': '42P01' })
    expect(children[0]?.attributes['db.query.text']).toBe('SELECT * FROM no_such_table WHERE name = ?')
  })

  it('a cached find: the hit is an INTERNAL span and a span event, and no database duration', async () => {
    const repo = ds.getRepository(AuthorSchema)
    await repo.insert({ name: 'Cora' })
    const before = histogramPoints((await sdk.collect()).get('db.client.operation.duration')).reduce(
      (n, p) => n + p.value.count,
      0,
    )
    events = []
    sdk.resetSpans()
    const { root, children } = await request('GET /cora', async () => {
      await repo.find({ where: { name: 'Cora' }, cache: 60_000 })
      await repo.find({ where: { name: 'Cora' }, cache: 60_000 })
    })
    const outcomes = children.map((s) => [s.kind, s.attributes['perf.cache.outcome']])
    expect(outcomes).toContainEqual([SpanKind.INTERNAL, 'hit'])
    expect(outcomes.filter(([, o]) => o === 'hit')).toHaveLength(1)
    expect(root.events.map((e) => e.name)).toEqual(['perf.cache.miss', 'perf.cache.hit'])
    const after = histogramPoints((await sdk.collect()).get('db.client.operation.duration')).reduce(
      (n, p) => n + p.value.count,
      0,
    )
    const databaseEvents = events.filter((e) => e.cache !== 'hit').length
    expect(databaseEvents).toBeGreaterThanOrEqual(1)
    expect(after - before).toBe(databaseEvents)
  })

  it('the pool behind the DataSource is reported as db.client.connection.* metrics', async () => {
    const held = ds.createQueryRunner()
    await held.connect()
    try {
      pool.poolMonitor.sample()
      const collected = await sdk.collect()
      const count = collected.get('db.client.connection.count')?.dataPoints ?? []
      const used = count.find((p) => p.attributes['db.client.connection.state'] === 'used')
      expect(used?.attributes['db.client.connection.pool.name']).toBe('blog')
      expect(used?.value).toBeGreaterThanOrEqual(1)
      expect(collected.get('db.client.connection.max')?.dataPoints[0]?.value).toBe(4)
    } finally {
      await held.release()
    }
  })
})
