import { randomBytes } from 'node:crypto'
import type { INestApplication } from '@nestjs/common'
import type { Cache, Monitor, ScopeReport } from '@perf/core'
import { requireService, tcpReachable } from '@perf/core/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'

const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const pgAt = new URL(databaseUrl)
const hasPostgres = await requireService(
  `PostgreSQL at ${pgAt.host}`,
  () => tcpReachable(pgAt.hostname, Number(pgAt.port || 5432)),
  { scope: '[nestjs-typeorm]', skipping: 'the example app test', attempts: 1 },
)

/** `db;dur=1.2;desc="3 statements", cache;desc="1 hit, 0 misses"` → { db: '3 statements', cache: … }. */
function timing(res: Response): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of (res.headers.get('server-timing') ?? '').matchAll(/([a-z]+)(?:;dur=[\d.]+)?;desc="([^"]*)"/g))
    out[m[1]!] = m[2]!
  return out
}

describe.skipIf(!hasPostgres)('examples/nestjs-typeorm', () => {
  const schema = `perf_nest_example_${randomBytes(4).toString('hex')}`
  const reports: ScopeReport[] = []
  let app: INestApplication
  let monitor: Monitor
  let cache: Cache
  let url: string

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: databaseUrl })
    await admin.connect()
    await admin.query(`CREATE SCHEMA ${schema}`)
    await admin.end()
    ;({ app, monitor, cache } = await createApp({ databaseUrl, schema, onReport: (r) => reports.push(r) }))
    await app.listen(0, '127.0.0.1')
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
  })

  afterAll(async () => {
    await app?.close()
    await cache?.close()
    monitor?.close()
    const admin = new pg.Client({ connectionString: databaseUrl })
    await admin.connect()
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await admin.end()
  })

  it('GET /projects: the N+1 is found and named by route, and Server-Timing counts its statements', async () => {
    const res = await fetch(`${url}/projects`)
    expect(await res.json()).toEqual([
      { id: 1, name: 'Engine', open: 3 },
      { id: 2, name: 'Loom', open: 3 },
      { id: 3, name: 'Notes', open: 3 },
    ])
    await expect.poll(() => reports.some((r) => r.name === 'GET /projects')).toBe(true)
    const report = reports.find((r) => r.name === 'GET /projects')!
    expect(report.statements).toBe(4)
    expect(report.nPlusOne).toHaveLength(1)
    expect(report.nPlusOne[0]).toMatchObject({ scope: 'GET /projects', count: 3, source: 'typeorm' })
    expect(timing(res).db).toBe('4 statements')
  })

  it('GET /projects/:id twice: the second is answered by the cache, with no statement', async () => {
    const first = await fetch(`${url}/projects/2`)
    const body = (await first.json()) as { name: string; tasks: unknown[] }
    expect(body.name).toBe('Loom')
    expect(body.tasks).toHaveLength(4)
    const second = await fetch(`${url}/projects/2`)
    expect(await second.json()).toEqual(body)
    expect(timing(first).db).not.toBe('0 statements')
    expect(timing(first).cache).toBe('0 hits, 1 miss')
    expect(timing(second)).toMatchObject({ db: '0 statements', cache: '1 hit, 0 misses' })
  })

  it('GET /health: PerfHealthIndicator reports the monitor as up', async () => {
    const res = await fetch(`${url}/health`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { info: { database: { status: string; score: number } } }
    expect(body.info.database.status).toBe('up')
    expect(body.info.database.score).toBeGreaterThanOrEqual(50)
  })
})
