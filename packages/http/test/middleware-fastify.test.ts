import { Readable } from 'node:stream'
import { createCache, createMonitor, isPerfError, type Cache, type Monitor } from '@perf/core'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fastifyRequestScope } from '../src/index.js'
import { createShop, parseServerTiming, postgresAvailable, Reports, type Shop } from './middleware-fixture.js'

const hasPostgres = await postgresAvailable()

describe('fastifyRequestScope validation', () => {
  it('fails registration with PerfError INVALID_OPTION for a missing monitor', async () => {
    const app = Fastify()
    let error: unknown
    try {
      await app.register(fastifyRequestScope, {} as never)
    } catch (e) {
      error = e
    }
    expect(isPerfError(error, 'INVALID_OPTION')).toBe(true)
    expect((error as Error).message).toContain('"monitor"')
    await app.close()
  })
})

describe.skipIf(!hasPostgres)('fastifyRequestScope with Fastify 5 and PostgreSQL', () => {
  let monitor: Monitor
  let cache: Cache
  let shop: Shop
  let app: FastifyInstance
  let base: string
  const reports = new Reports()

  beforeAll(async () => {
    monitor = createMonitor({ eventLoopDelay: false, nPlusOneThreshold: 3 })
    cache = createCache({ defaultTtl: '1m' })
    shop = await createShop(monitor)
    app = Fastify()
    await app.register(fastifyRequestScope, { monitor, serverTiming: true, onReport: reports.add })
    // An encapsulated plugin: the scope still covers its routes (the plugin skips encapsulation).
    await app.register(
      async (scoped) => {
        scoped.get<{ Params: { teamId: string } }>('/teams/:teamId/users', async (req) => {
          const users = await shop.query<{ id: number }>('SELECT id FROM users WHERE team_id = $1', [
            Number(req.params.teamId),
          ])
          const out = []
          for (const u of users) out.push((await shop.query('SELECT * FROM users WHERE id = $1', [u.id]))[0])
          return out
        })
      },
      { prefix: '/api' },
    )
    app.get<{ Params: { n: string } }>('/count/:n', async (req) => {
      const n = Number(req.params.n)
      for (let i = 0; i < n; i++) await shop.query('SELECT pg_sleep(0.001), $1::int AS i', [i])
      return { n }
    })
    app.get<{ Params: { id: string } }>('/teams/:id', async (req) => {
      const id = Number(req.params.id)
      return cache.getOrSet(`team:${id}`, () => shop.query('SELECT * FROM teams WHERE id = $1', [id]))
    })
    app.post<{ Body: { ids: number[] } }>('/teams', async (req) => {
      const rows = []
      for (const id of req.body.ids) rows.push(...(await shop.query('SELECT * FROM teams WHERE id = $1', [id])))
      return rows
    })
    app.get('/stream', async (_req, reply) => {
      await shop.query('SELECT 1')
      reply.type('text/plain')
      return reply.send(
        Readable.from(
          (async function* () {
            yield 'first\n'
            await shop.query('SELECT 2')
            yield 'second\n'
          })(),
        ),
      )
    })
    base = await app.listen({ port: 0, host: '127.0.0.1' })
  })

  afterAll(async () => {
    await app?.close()
    await shop?.drop()
    await cache?.close()
    monitor?.close()
  })

  it('finds the N+1 inside a request and names it by the route pattern', async () => {
    const res = await fetch(`${base}/api/teams/1/users`)
    expect(await res.json()).toHaveLength(4)
    const report = await reports.named('GET /api/teams/:teamId/users')
    expect(report).toMatchObject({ statements: 5, failed: false })
    expect(report.nPlusOne.map((r) => [r.scope, r.fingerprint, r.count])).toEqual([
      ['GET /api/teams/:teamId/users', 'SELECT * FROM users WHERE id = ?', 4],
    ])
    const timing = parseServerTiming(res.headers.get('server-timing'))
    expect(timing.db?.desc).toBe('5 statements')
    expect(timing.db?.dur).toBeCloseTo(report.dbMs, 1)
  })

  it('keeps concurrent requests apart: each header counts only its own statements', async () => {
    const ns = [3, 0, 5, 1, 4, 2]
    const responses = await Promise.all(ns.map((n) => fetch(`${base}/count/${n}`)))
    for (const [i, res] of responses.entries()) {
      const n = ns[i]!
      expect(await res.json()).toEqual({ n })
      expect(parseServerTiming(res.headers.get('server-timing')).db?.desc).toBe(
        `${n} ${n === 1 ? 'statement' : 'statements'}`,
      )
    }
    await expect.poll(() => reports.all.filter((r) => r.name === 'GET /count/:n').length).toBe(ns.length)
  })

  it('re-enters the scope after the body is parsed (POST)', async () => {
    const res = await fetch(`${base}/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [1, 2, 3] }),
    })
    expect(await res.json()).toHaveLength(3)
    expect(parseServerTiming(res.headers.get('server-timing')).db?.desc).toBe('3 statements')
    expect((await reports.named('POST /teams')).statements).toBe(3)
  })

  it('re-enters the scope after a body that arrives in slow chunks', async () => {
    const chunks = ['{"ids":', '[1,', '2]}']
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 30))
        const next = chunks.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(new TextEncoder().encode(next))
      },
    })
    const res = await fetch(`${base}/teams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(await res.json()).toHaveLength(2)
    expect(parseServerTiming(res.headers.get('server-timing')).db?.desc).toBe('2 statements')
  })

  it('reports cache hits and misses per request', async () => {
    const first = await fetch(`${base}/teams/2`)
    await first.json()
    const second = await fetch(`${base}/teams/2`)
    expect(await second.json()).toEqual([{ id: 2, name: 'team 2' }])
    expect(parseServerTiming(first.headers.get('server-timing')).cache?.desc).toBe('0 hits, 1 miss')
    expect(parseServerTiming(second.headers.get('server-timing'))).toMatchObject({
      db: { desc: '0 statements' },
      cache: { desc: '1 hit, 0 misses' },
    })
  })

  it('sets the header before a streamed reply, and the report counts what ran after it', async () => {
    const res = await fetch(`${base}/stream`)
    expect(await res.text()).toBe('first\nsecond\n')
    expect(parseServerTiming(res.headers.get('server-timing')).db?.desc).toBe('1 statement')
    expect((await reports.named('GET /stream')).statements).toBe(2)
  })
})
