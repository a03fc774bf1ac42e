import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMonitor, isPerfError } from '@perf/core'
import express from 'express'
import Fastify from 'fastify'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpOptionError, dashboard, redactCacheKey } from '../src/index.js'
import { PG_URL, postgresAvailable, startDashboardApp, type DashboardApp } from './dashboard-app.js'

const hasPg = await postgresAvailable('[perf:http dashboard tests]')

/** Literals that must never leave the process: in SQL text, in cached values, in cache-key arguments. */
const SECRETS = ['hunter2-zz9', '7531902468', 'ann.secret@example.com', 'cached-value-Qx7']
const ENDPOINTS = [
  '/',
  '/snapshot',
  '/health',
  '/fingerprints',
  '/n-plus-one',
  '/slow',
  '/cache',
  '/pools',
  '/locks',
  '/breakers',
  '/series',
  '/pg',
  '/metrics',
]

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url, { headers, redirect: 'manual' })
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}

describe.skipIf(!hasPg)('dashboard() against PostgreSQL', () => {
  let app: DashboardApp
  let blocker: pg.Client

  beforeAll(async () => {
    app = await startDashboardApp()
    await app.pool.query('CREATE TABLE IF NOT EXISTS dash_accounts (id int PRIMARY KEY, email text)')
    // Three statements with secret literals, the first one five times in one scope (an N+1).
    await app.monitor.scope(
      async () => {
        for (let i = 0; i < 5; i++) await app.run(`SELECT 'hunter2-zz9' AS password, ${7531902468 + i * 0} AS n`)
      },
      { name: 'GET /accounts' },
    )
    await app.run("SELECT count(*) FROM dash_accounts WHERE email = 'ann.secret@example.com'")
    for (let i = 0; i < 4; i++) await app.run("SELECT 'cached-value-Qx7' AS v", { cached: true })
    await app.cache.getOrSet('prisma:v1:User:findUnique:{"where":{"email":"ann.secret@example.com"}}', () => ({
      v: 'cached-value-Qx7',
    }))
    await expect(app.run("SELECT * FROM no_such_table WHERE secret = 'hunter2-zz9'")).rejects.toThrow()
    await app.locker.using('account:1', 5_000, async () => undefined)
    // A blocked session whose statement carries a secret literal, for the blocking tree.
    blocker = new pg.Client({ connectionString: PG_URL })
    await blocker.connect()
    await blocker.query('BEGIN')
    await blocker.query('LOCK TABLE dash_accounts IN ACCESS EXCLUSIVE MODE')
    void app.pool.query("SELECT * FROM dash_accounts WHERE email = 'ann.secret@example.com'").catch(() => undefined)
    for (let i = 0; i < 50; i++) {
      const { rows } = await blocker.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
      )
      if (Number(rows[0]?.n) > 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    // Let the series close a few intervals.
    await new Promise((r) => setTimeout(r, 450))
  })

  afterAll(async () => {
    await blocker?.query('ROLLBACK').catch(() => undefined)
    await blocker?.end().catch(() => undefined)
    await app?.pool.query('DROP TABLE IF EXISTS dash_accounts').catch(() => undefined)
    await app?.close()
  })

  it('no endpoint ever shows a SQL literal or a cache value', async () => {
    for (const path of ENDPOINTS) {
      const { status, body } = await get(app.url + path)
      expect(status, path).toBeLessThan(300)
      for (const secret of SECRETS) expect(body, `${path} leaks ${secret}`).not.toContain(secret)
    }
    const stream = await firstStreamEvent(app.url + '/stream')
    for (const secret of SECRETS) expect(stream).not.toContain(secret)
  })

  it('/fingerprints, /slow and /n-plus-one give counts with redacted statements', async () => {
    const [fp] = JSON.parse((await get(app.url + '/fingerprints')).body) as Array<{
      monitor: string
      fingerprints: Array<{ calls: number; sample: string }>
    }>
    expect(fp?.monitor).toBe('api')
    const password = fp?.fingerprints.find((f) => f.sample.includes('AS password'))
    expect(password?.calls).toBe(5)
    expect(password?.sample).toBe('SELECT ? AS password, ? AS n')
    const [nPlusOne] = JSON.parse((await get(app.url + '/n-plus-one')).body) as Array<{
      findings: Array<{ scope: string; count: number; callSite?: string }>
    }>
    expect(nPlusOne?.findings[0]?.scope).toBe('GET /accounts')
    expect(nPlusOne?.findings[0]?.count).toBe(5)
    const [slow] = JSON.parse((await get(app.url + '/slow')).body) as Array<{
      queries: Array<{ sql: string; error?: string }>
    }>
    expect(slow?.queries.length).toBeGreaterThanOrEqual(8)
    expect(
      slow?.queries.some((q) => q.sql === 'SELECT * FROM no_such_table WHERE secret = ?' && q.error?.includes('42P01')),
    ).toBe(true)
  })

  it('/cache lists hit ratio and hot keys, JSON arguments in keys masked', async () => {
    const [cache] = JSON.parse((await get(app.url + '/cache')).body) as Array<{
      name: string
      stats: { misses: number; hitRatio: number }
      hotKeys: Array<{ key: string; count: number }>
    }>
    expect(cache?.name).toBe('dash')
    expect(cache?.stats.misses).toBe(2)
    expect(cache?.stats.hitRatio).toBeCloseTo(3 / 5)
    expect(cache?.hotKeys[0]?.count).toBe(4)
    expect(cache?.hotKeys[0]?.key).toMatch(/^sql::/)
    expect(cache?.hotKeys.map((h) => h.key)).toContain('prisma:v1:User:findUnique:{"where":{"email":"?"}}')
  })

  it('/pools, /locks, /breakers, /series and /snapshot report the sources', async () => {
    const pools = JSON.parse((await get(app.url + '/pools')).body) as {
      pools: Array<{ name: string; stats: { max: number } }>
    }
    expect(pools.pools[0]).toMatchObject({ name: 'pg', stats: { max: 4 } })
    const locks = JSON.parse((await get(app.url + '/locks')).body) as {
      lockers: Array<{ name: string; stats: { locks: number } }>
      totals: { acquired: number }
    }
    expect(locks.lockers[0]).toMatchObject({ name: 'local', stats: { locks: 0 } })
    expect(locks.totals.acquired).toBeGreaterThanOrEqual(1)
    const breakers = JSON.parse((await get(app.url + '/breakers')).body) as Array<{ name: string; state: string }>
    expect(breakers).toEqual([expect.objectContaining({ name: 'payments', state: 'closed' })])
    const series = JSON.parse((await get(app.url + '/series')).body) as Array<{ calls: number; p95Ms: number }>
    expect(series.length).toBeGreaterThanOrEqual(1)
    expect(series.reduce((a, p) => a + p.calls, 0)).toBeGreaterThanOrEqual(10)
    const snapshot = JSON.parse((await get(app.url + '/snapshot')).body) as {
      totals: Array<{ totals: { calls: number; errors: number } }>
      hasPg: boolean
    }
    expect(snapshot.totals[0]?.totals).toMatchObject({ calls: 11, errors: 1 })
    expect(snapshot.hasPg).toBe(true)
  })

  it('/pg shows the blocking tree with the blocked statement redacted', async () => {
    const body = JSON.parse((await get(app.url + '/pg')).body) as {
      blockingTree: { blockedCount: number; roots: Array<{ blocking: Array<{ query: string }> }> }
    }
    expect(body.blockingTree.blockedCount).toBeGreaterThanOrEqual(1)
    const blocked = body.blockingTree.roots.flatMap((r) => r.blocking).map((s) => s.query)
    expect(blocked).toContain('SELECT * FROM dash_accounts WHERE email = ?')
  })

  it('/health answers 200 at or above the threshold and 503 below it', async () => {
    // The score depends on the machine too (event-loop delay): check the status follows it.
    const lenient = await get(app.url + '/health')
    const view = JSON.parse(lenient.body) as { score: number; ok: boolean; threshold: number }
    expect(view.threshold).toBe(50)
    expect(view.ok).toBe(view.score >= 50)
    expect(lenient.status).toBe(view.ok ? 200 : 503)
    const open = dashboard({ monitors: app.monitor, healthThreshold: 0 })
    const openServer = createServer((req, res) => void open(req, res)).listen(0, '127.0.0.1')
    await new Promise((r) => openServer.once('listening', r))
    expect((await get(`http://127.0.0.1:${(openServer.address() as AddressInfo).port}/health`)).status).toBe(200)
    open.close()
    openServer.close()
    const strict = dashboard({ monitors: app.monitor, healthThreshold: 100 })
    const server = createServer((req, res) => void strict(req, res)).listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const low = await get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health`)
    expect(JSON.parse(low.body).score).toBeLessThan(100) // one failed query of 11 in the window
    expect(low.status).toBe(503)
    strict.close()
    server.close()
  })

  it('/metrics serves Prometheus text with fingerprint ids, never SQL', async () => {
    const { status, type, body } = await get(app.url + '/metrics')
    expect(status).toBe(200)
    expect(type).toContain('text/plain; version=0.0.4')
    expect(body).toMatch(/perf_queries_total\{fingerprint_id="[^"]+",source="pg"/)
    expect(body).not.toContain('SELECT')
  })

  it('the page is self-contained: inline script and styles, no external URL', async () => {
    const { status, body, type } = await get(app.url + '/')
    expect(status).toBe(200)
    expect(type).toContain('text/html')
    expect(body).toContain('<svg id="chart-throughput"')
    expect(body).not.toMatch(/(src|href)=["']?(https?:)?\/\//)
    expect(body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/)
  })
})

async function firstStreamEvent(url: string): Promise<string> {
  const controller = new AbortController()
  const res = await fetch(url, { signal: controller.signal })
  expect(res.headers.get('content-type')).toContain('text/event-stream')
  const reader = res.body!.getReader()
  let text = ''
  while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value)
  controller.abort()
  expect(text.startsWith('event: snapshot\ndata: {')).toBe(true)
  return text
}

describe('dashboard() guard and mounting', () => {
  async function serve(handler: ReturnType<typeof dashboard>) {
    const server = createServer((req, res) => void handler(req, res)).listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => (handler.close(), server.close()),
    }
  }

  it('serves loopback without authorize, but not a request that came through a proxy', async () => {
    const s = await serve(dashboard({ monitors: createMonitor() }))
    expect((await get(s.url + '/health')).status).toBe(200)
    expect((await get(s.url + '/health', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(403)
    s.close()
  })

  it('asks authorize(req) for every request', async () => {
    const seen: string[] = []
    const s = await serve(
      dashboard({ authorize: (req) => (seen.push(req.url ?? ''), req.headers.authorization === 'Bearer ok') }),
    )
    expect((await get(s.url + '/snapshot')).status).toBe(403)
    expect((await get(s.url + '/snapshot', { authorization: 'Bearer ok' })).status).toBe(200)
    expect(seen).toEqual(['/snapshot', '/snapshot'])
    s.close()
  })

  it('basePath: serves below it, redirects it to its trailing slash, 404s elsewhere', async () => {
    const s = await serve(dashboard({ basePath: '/perf' }))
    expect((await get(s.url + '/perf/health')).status).toBe(200)
    const bare = await get(s.url + '/perf')
    expect(bare.status).toBe(301)
    expect((await get(s.url + '/other')).status).toBe(404)
    expect((await get(s.url + '/perf/nope')).status).toBe(404)
    s.close()
  })

  it('mounts in Express: app.use(path, handler) with a redirect to the trailing slash and next() for unknown paths', async () => {
    const handler = dashboard({ monitors: createMonitor() })
    const app = express()
    app.use('/perf', handler)
    app.use((_req, res) => void res.status(418).send('fell through'))
    const server = app.listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const bare = await fetch(url + '/perf', { redirect: 'manual' })
    expect(bare.status).toBe(301)
    expect(bare.headers.get('location')).toBe('/perf/')
    expect((await get(url + '/perf/')).body).toContain('<svg id="chart-latency"')
    expect(JSON.parse((await get(url + '/perf/health')).body).ok).toBe(true)
    expect((await get(url + '/perf/unknown')).status).toBe(418)
    handler.close()
    server.close()
  })

  it('mounts in Fastify with basePath and reply.hijack(), as docs/dashboard.md shows', async () => {
    const perf = dashboard({ monitors: createMonitor(), basePath: '/perf' })
    const fastify = Fastify()
    const serve = async (
      request: { raw: import('node:http').IncomingMessage },
      reply: { hijack(): void; raw: import('node:http').ServerResponse },
    ) => {
      reply.hijack()
      await perf(request.raw, reply.raw)
    }
    fastify.get('/perf', serve)
    fastify.get('/perf/*', serve)
    fastify.get('/other', async () => 'app')
    const url = await fastify.listen({ port: 0, host: '127.0.0.1' })
    expect(JSON.parse((await get(url + '/perf/health')).body).ok).toBe(true)
    expect((await get(url + '/perf/')).body).toContain('<svg id="chart-throughput"')
    expect((await get(url + '/perf')).status).toBe(301)
    expect((await get(url + '/other')).body).toBe('app')
    perf.close()
    await fastify.close()
  })

  it('rejects bad options with HttpOptionError (INVALID_OPTION) naming the option', () => {
    const cases: Array<[unknown, string, string]> = [
      [{ healthThreshold: 120 }, 'healthThreshold', 'range'],
      [{ basePath: 'perf' }, 'basePath', 'path'],
      [{ authorize: 'yes' }, 'authorize', 'type'],
      [{ monitors: [createMonitor(), {}] }, 'monitors[1]', 'source'],
      [{ caches: { main: { get: () => 1 } } }, 'caches.main', 'source'],
      [{ intervalMs: 5 }, 'intervalMs', 'range'],
      [{ pg: {} }, 'pg', 'source'],
    ]
    for (const [options, option, reason] of cases) {
      let caught: unknown
      try {
        dashboard(options as never)
      } catch (error) {
        caught = error
      }
      expect(caught, option).toBeInstanceOf(HttpOptionError)
      expect(isPerfError(caught, 'INVALID_OPTION')).toBe(true)
      expect(caught).toMatchObject({ option, reason })
    }
  })

  it('redactCacheKey() masks JSON values and keeps plain keys', () => {
    expect(redactCacheKey('user:42')).toBe('user:42')
    expect(redactCacheKey('p:User:findMany:{"where":{"age":{"gt":30},"name":"Ann"},"take":10}')).toBe(
      'p:User:findMany:{"where":{"age":{"gt":?},"name":"?"},"take":?}',
    )
    expect(redactCacheKey('k:["a\\"b",1]')).toBe('k:["?",?]')
  })
})
