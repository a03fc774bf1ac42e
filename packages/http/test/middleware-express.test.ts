import { createServer, type Server } from 'node:http'
import { Readable } from 'node:stream'
import { createCache, createMonitor, isPerfError, type Cache, type Monitor } from '@perf/core'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestScope } from '../src/index.js'
import { createShop, listen, parseServerTiming, postgresAvailable, Reports, type Shop } from './middleware-fixture.js'

const hasPostgres = await postgresAvailable()

describe('requestScope() validation', () => {
  it('rejects a bad option with PerfError INVALID_OPTION naming it', () => {
    const monitor = createMonitor({ eventLoopDelay: false })
    for (const [options, option] of [
      [{ name: 42 }, 'name'],
      [{ threshold: 1 }, 'threshold'],
      [{ serverTiming: 'yes' }, 'serverTiming'],
      [{ onReport: 'log' }, 'onReport'],
    ] as const) {
      let error: unknown
      try {
        requestScope(monitor, options as never)
      } catch (e) {
        error = e
      }
      expect(isPerfError(error, 'INVALID_OPTION')).toBe(true)
      expect((error as Error).message).toContain(`"${option}"`)
    }
    expect(() => requestScope({} as Monitor)).toThrow(/option "monitor"/)
    monitor.close()
  })
})

describe.skipIf(!hasPostgres)('requestScope() with Express 5 and PostgreSQL', () => {
  let monitor: Monitor
  let cache: Cache
  let shop: Shop
  let server: Server
  let base: string
  const reports = new Reports()

  beforeAll(async () => {
    monitor = createMonitor({ eventLoopDelay: false, nPlusOneThreshold: 3 })
    cache = createCache({ defaultTtl: '1m' })
    shop = await createShop(monitor)
    const app = express()
    app.use(requestScope(monitor, { serverTiming: (req) => req.headers['x-timing'] !== 'off', onReport: reports.add }))
    app.use(express.json())
    const api = express.Router()
    // The N+1: one query for the team's users, then one per user.
    api.get('/teams/:teamId/users', async (req, res) => {
      const users = await shop.query<{ id: number }>('SELECT id FROM users WHERE team_id = $1 ORDER BY id', [
        Number(req.params.teamId),
      ])
      const out = []
      for (const u of users) out.push((await shop.query('SELECT * FROM users WHERE id = $1', [u.id]))[0])
      res.json(out)
    })
    app.use('/api', api)
    app.get('/users/:id', async (req, res) => {
      const [user] = await shop.query('SELECT * FROM users WHERE id = $1', [Number(req.params.id)])
      res.setHeader('Server-Timing', 'app;desc="own entry"')
      res.json(user)
    })
    app.get('/count/:n', async (req, res) => {
      const n = Number(req.params.n)
      for (let i = 0; i < n; i++) await shop.query('SELECT pg_sleep(0.001), $1::int AS i', [i])
      res.json({ n })
    })
    app.get('/teams/:id', async (req, res) => {
      const id = Number(req.params.id)
      res.json(await cache.getOrSet(`team:${id}`, () => shop.query('SELECT * FROM teams WHERE id = $1', [id])))
    })
    app.post('/teams', async (req, res) => {
      const { ids } = req.body as { ids: number[] }
      const rows = []
      for (const id of ids) rows.push(...(await shop.query('SELECT * FROM teams WHERE id = $1', [id])))
      res.json(rows)
    })
    app.get('/stream', async (_req, res) => {
      await shop.query('SELECT 1')
      await shop.query('SELECT 2')
      res.type('text/plain')
      // Headers go out with the first chunk; the query after it is in the report, not the header.
      const body = Readable.from(
        (async function* () {
          yield 'first\n'
          await shop.query('SELECT 3')
          yield 'second\n'
        })(),
      )
      body.pipe(res)
    })
    server = createServer(app)
    base = await listen(server)
  })

  afterAll(async () => {
    await new Promise((r) => server?.close(r))
    await shop?.drop()
    await cache?.close()
    monitor?.close()
  })

  it('finds the N+1 inside a request and names it by the route, mounted router included', async () => {
    const res = await fetch(`${base}/api/teams/2/users`)
    expect(await res.json()).toHaveLength(4)
    const report = await reports.named('GET /api/teams/:teamId/users')
    expect(report).toMatchObject({ statements: 5, failed: false })
    expect(report.nPlusOne).toHaveLength(1)
    expect(report.nPlusOne[0]).toMatchObject({
      scope: 'GET /api/teams/:teamId/users',
      fingerprint: 'SELECT * FROM users WHERE id = ?',
      count: 4,
    })
    expect(monitor.nPlusOne().some((r) => r.scope === 'GET /api/teams/:teamId/users' && r.count === 4)).toBe(true)
    const timing = parseServerTiming(res.headers.get('server-timing'))
    expect(timing.db?.desc).toBe('5 statements')
    expect(timing.db?.dur).toBeCloseTo(report.dbMs, 1)
    expect(timing.db!.dur!).toBeGreaterThan(0)
    expect(timing.total!.dur!).toBeGreaterThanOrEqual(timing.db!.dur!)
  })

  it("keeps the app's own Server-Timing entries in front of its own", async () => {
    const res = await fetch(`${base}/users/7`)
    expect(await res.json()).toMatchObject({ id: 7, team_id: 2 })
    const header = res.headers.get('server-timing')!
    expect(header).toMatch(/^app;desc="own entry", db;dur=\d+\.\d\d;desc="1 statement", total;dur=/)
    expect((await reports.named('GET /users/:id')).statements).toBe(1)
  })

  it('reports cache hits and misses per request in the header and the report', async () => {
    const first = await fetch(`${base}/teams/3`)
    await first.json()
    const second = await fetch(`${base}/teams/3`)
    expect(await second.json()).toEqual([{ id: 3, name: 'team 3' }])
    expect(parseServerTiming(first.headers.get('server-timing'))).toMatchObject({
      db: { desc: '1 statement' },
      cache: { desc: '0 hits, 1 miss' },
    })
    expect(parseServerTiming(second.headers.get('server-timing'))).toMatchObject({
      db: { desc: '0 statements', dur: 0 },
      cache: { desc: '1 hit, 0 misses' },
    })
    await expect.poll(() => reports.all.filter((r) => r.name === 'GET /teams/:id').length).toBe(2)
    expect(reports.all.filter((r) => r.name === 'GET /teams/:id').map((r) => r.cache)).toEqual([
      { hit: 0, stale: 0, grace: 0, miss: 1, bypass: 0 },
      { hit: 1, stale: 0, grace: 0, miss: 0, bypass: 0 },
    ])
  })

  it('keeps concurrent requests apart: each header counts only its own statements', async () => {
    const ns = [1, 6, 2, 5, 3, 4, 0, 7]
    const responses = await Promise.all(ns.map((n) => fetch(`${base}/count/${n}`)))
    for (const [i, res] of responses.entries()) {
      const n = ns[i]!
      expect(await res.json()).toEqual({ n })
      expect(parseServerTiming(res.headers.get('server-timing')).db?.desc).toBe(
        `${n} ${n === 1 ? 'statement' : 'statements'}`,
      )
    }
    await expect.poll(() => reports.all.filter((r) => r.name === 'GET /count/:n').length).toBe(ns.length)
    const counted = reports.all
      .filter((r) => r.name === 'GET /count/:n')
      .map((r) => r.statements)
      .sort((a, b) => a - b)
    expect(counted).toEqual([...ns].sort((a, b) => a - b))
  })

  it('keeps the scope across body parsing (express.json())', async () => {
    const res = await fetch(`${base}/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [1, 2] }),
    })
    expect(await res.json()).toHaveLength(2)
    expect((await reports.named('POST /teams')).statements).toBe(2)
    expect(parseServerTiming(res.headers.get('server-timing')).db?.desc).toBe('2 statements')
  })

  it('sets the header before a streamed body, and the report counts what ran after it', async () => {
    const res = await fetch(`${base}/stream`)
    expect(await res.text()).toBe('first\nsecond\n')
    expect(parseServerTiming(res.headers.get('server-timing')).db?.desc).toBe('2 statements')
    expect((await reports.named('GET /stream')).statements).toBe(3)
  })

  it('adds no header when serverTiming says no, and still reports', async () => {
    const before = reports.all.filter((r) => r.name === 'GET /users/:id').length
    const res = await fetch(`${base}/users/1`, { headers: { 'x-timing': 'off' } })
    await res.json()
    expect(res.headers.get('server-timing')).toBe('app;desc="own entry"')
    await expect.poll(() => reports.all.filter((r) => r.name === 'GET /users/:id').length).toBe(before + 1)
  })

  it('names an unmatched request by its path without the query string', async () => {
    const res = await fetch(`${base}/nowhere/42?token=secret`)
    expect(res.status).toBe(404)
    const report = await reports.named('GET /nowhere/42')
    expect(report.statements).toBe(0)
  })
})
