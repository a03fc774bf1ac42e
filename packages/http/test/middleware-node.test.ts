import { createServer, type Server } from 'node:http'
import { createMonitor, isPerfError, type Monitor } from '@perf/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestScope, serverTimingHeader, withRequestScope } from '../src/index.js'
import { createShop, listen, parseServerTiming, postgresAvailable, Reports, type Shop } from './middleware-fixture.js'

const hasPostgres = await postgresAvailable()

describe('serverTimingHeader()', () => {
  it('formats database time, statements, cache outcomes and the total', () => {
    const cache = { hit: 2, stale: 1, grace: 0, miss: 1, bypass: 2 }
    expect(serverTimingHeader({ statements: 3, dbMs: 12.345, cache }, 40)).toBe(
      'db;dur=12.35;desc="3 statements", cache;desc="3 hits, 1 miss, 2 bypassed", total;dur=40.00',
    )
    const none = { hit: 0, stale: 0, grace: 0, miss: 0, bypass: 0 }
    expect(serverTimingHeader({ statements: 1, dbMs: 0.5, cache: none })).toBe('db;dur=0.50;desc="1 statement"')
  })
})

describe('withRequestScope()', () => {
  it('rejects a handler that is not a function with PerfError INVALID_OPTION', () => {
    const monitor = createMonitor({ eventLoopDelay: false })
    let error: unknown
    try {
      withRequestScope(monitor, 'handler' as never)
    } catch (e) {
      error = e
    }
    expect(isPerfError(error, 'INVALID_OPTION')).toBe(true)
    monitor.close()
  })
})

describe.skipIf(!hasPostgres)('withRequestScope() and requestScope() on node:http with PostgreSQL', () => {
  let monitor: Monitor
  let shop: Shop
  const servers: Server[] = []
  const reports = new Reports()

  beforeAll(async () => {
    monitor = createMonitor({ eventLoopDelay: false, nPlusOneThreshold: 3 })
    shop = await createShop(monitor)
  })

  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r))
    await shop?.drop()
    monitor?.close()
  })

  async function serve(server: Server): Promise<string> {
    servers.push(server)
    return listen(server)
  }

  it('wraps a plain handler: header from flushHeaders(), report when the response ends', async () => {
    const base = await serve(
      createServer(
        withRequestScope(
          monitor,
          async (_req, res) => {
            for (let id = 1; id <= 4; id++) await shop.query('SELECT name FROM users WHERE id = $1', [id])
            res.statusCode = 200
            res.flushHeaders()
            await shop.query('SELECT count(*) FROM users')
            res.end('ok')
          },
          { name: (req) => `report ${req.url}`, serverTiming: true, onReport: reports.add },
        ),
      ),
    )
    const res = await fetch(`${base}/x`)
    expect(await res.text()).toBe('ok')
    expect(parseServerTiming(res.headers.get('server-timing')).db?.desc).toBe('4 statements')
    const report = await reports.named('report /x')
    expect(report).toMatchObject({ statements: 5, failed: false })
    expect(report.nPlusOne.map((r) => [r.scope, r.count])).toEqual([['report /x', 4]])
  })

  it('merges into a Server-Timing header passed to writeHead()', async () => {
    const mw = requestScope(monitor, { serverTiming: true, onReport: reports.add })
    const base = await serve(
      createServer((req, res) =>
        mw(req, res, async () => {
          await shop.query('SELECT 1')
          res.writeHead(201, { 'Content-Type': 'text/plain', 'server-timing': 'render;dur=3' })
          res.end('made')
        }),
      ),
    )
    const res = await fetch(`${base}/made?secret=1`)
    expect(res.status).toBe(201)
    expect(await res.text()).toBe('made')
    expect(res.headers.get('server-timing')).toMatch(/^render;dur=3, db;dur=\d+\.\d\d;desc="1 statement", total;/)
    expect((await reports.named('GET /made')).statements).toBe(1)
  })

  it('marks the scope failed and rethrows when the handler throws synchronously', async () => {
    const handler = withRequestScope(
      monitor,
      () => {
        throw new Error('handler bug')
      },
      { name: 'throws', onReport: reports.add },
    )
    const base = await serve(
      createServer((req, res) => {
        try {
          handler(req, res)
        } catch (error) {
          res.statusCode = 500
          res.end((error as Error).message)
        }
      }),
    )
    const res = await fetch(`${base}/`)
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('handler bug')
    expect((await reports.named('throws')).failed).toBe(true)
  })
})
