import 'reflect-metadata'
import { Controller, Get, Inject, Injectable, Module, Param, ParseIntPipe, type INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus'
import { createCache, createMonitor, isPerfError, type Cache, type Monitor, type ScopeReport } from '@perf/core'
import { requestScope } from '@perf/http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InjectCache, InjectMonitor, PERF_CACHE, PERF_MONITOR, PerfModule } from '../src/index.js'
import { PerfHealthIndicator } from '../src/terminus.js'
import { Db, postgresAvailable, start, timingDescs } from './nest-fixture.js'

const hasPostgres = await postgresAvailable()

describe('PerfModule.forRoot() validation', () => {
  it('rejects a bad option with PerfError INVALID_OPTION naming it', () => {
    for (const [options, option] of [
      [{ monitor: {} }, 'monitor'],
      [{ cache: { get: () => 1 } }, 'cache'],
      [{ nPlusOneThreshold: 1 }, 'nPlusOneThreshold'],
      [{ serverTiming: 'on' }, 'serverTiming'],
      [{ scopeName: 'x' }, 'scopeName'],
    ] as const) {
      let error: unknown
      try {
        PerfModule.forRoot(options as never)
      } catch (e) {
        error = e
      }
      expect(isPerfError(error, 'INVALID_OPTION')).toBe(true)
      expect((error as Error).message).toContain(`"${option}"`)
    }
  })
})

const DB = 'DB'

@Injectable()
class TeamsService {
  constructor(
    @Inject(DB) private readonly db: Db,
    @InjectCache() private readonly cache: Cache,
  ) {}

  /** The N+1: the team's user ids, then one query per user. */
  async users(teamId: number): Promise<unknown[]> {
    const ids = await this.db.query<{ id: number }>('SELECT id FROM users WHERE team_id = $1 ORDER BY id', [teamId])
    const out = []
    for (const { id } of ids) out.push((await this.db.query('SELECT * FROM users WHERE id = $1', [id]))[0])
    return out
  }

  team(id: number): Promise<unknown[]> {
    return this.cache.getOrSet(`team:${id}`, () => this.db.query('SELECT * FROM teams WHERE id = $1', [id]))
  }

  async count(n: number): Promise<number> {
    for (let i = 0; i < n; i++) await this.db.query('SELECT pg_sleep(0.001), $1::int AS i', [i])
    return n
  }
}

@Controller('teams')
class TeamsController {
  constructor(@Inject(TeamsService) private readonly teams: TeamsService) {}

  @Get(':teamId/users')
  users(@Param('teamId', ParseIntPipe) teamId: number) {
    return this.teams.users(teamId)
  }

  @Get(':id')
  team(@Param('id', ParseIntPipe) id: number) {
    return this.teams.team(id)
  }

  @Get('count/:n')
  async count(@Param('n', ParseIntPipe) n: number) {
    return { n: await this.teams.count(n) }
  }
}

@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(PerfHealthIndicator) private readonly perf: PerfHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.perf.isHealthy('database')])
  }
}

@Injectable()
class Probe {
  constructor(
    @InjectMonitor() readonly monitor: Monitor,
    @Inject(PERF_CACHE) readonly cache: Cache,
  ) {}
}

describe.skipIf(!hasPostgres)('PerfModule in a Nest 11 app (Express) on PostgreSQL', () => {
  const monitor = createMonitor({ eventLoopDelay: false, nPlusOneThreshold: 3 })
  const cache = createCache({ defaultTtl: '1m' })
  const reports: ScopeReport[] = []
  let db: Db
  let app: INestApplication
  let base: string

  beforeAll(async () => {
    db = await Db.create(monitor)
    @Module({
      imports: [
        PerfModule.forRoot({ cache, monitor, serverTiming: true, onReport: (r) => reports.push(r) }),
        TerminusModule,
      ],
      controllers: [TeamsController, HealthController],
      providers: [{ provide: DB, useValue: db }, TeamsService, PerfHealthIndicator, Probe],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false })
    base = await start(app)
  })

  afterAll(async () => {
    await app?.close()
    await db?.drop()
    await cache.close()
    monitor.close()
  })

  const reportNamed = async (name: string, count = 1): Promise<ScopeReport[]> => {
    await expect.poll(() => reports.filter((r) => r.name === name).length).toBe(count)
    return reports.filter((r) => r.name === name)
  }

  it('provides the cache and the monitor under their tokens', () => {
    const probe = app.get(Probe)
    expect(probe.monitor).toBe(monitor)
    expect(probe.cache).toBe(cache)
    expect(app.get(PERF_MONITOR)).toBe(monitor)
  })

  it('finds the N+1 inside a request, names it by route and times it in Server-Timing', async () => {
    const res = await fetch(`${base}/teams/2/users`)
    expect(await res.json()).toHaveLength(4)
    const [report] = await reportNamed('GET /teams/:teamId/users')
    expect(report).toMatchObject({ statements: 5, failed: false })
    expect(report!.nPlusOne.map((n) => [n.scope, n.fingerprint, n.count])).toEqual([
      ['GET /teams/:teamId/users', 'SELECT * FROM users WHERE id = ?', 4],
    ])
    expect(timingDescs(res.headers.get('server-timing')).db).toBe('5 statements')
  })

  it('reports cache hits and misses of the injected cache', async () => {
    const first = await fetch(`${base}/teams/1`)
    expect(await first.json()).toEqual([{ id: 1, name: 'team 1' }])
    const second = await fetch(`${base}/teams/1`)
    await second.json()
    expect(timingDescs(first.headers.get('server-timing'))).toMatchObject({
      db: '1 statement',
      cache: '0 hits, 1 miss',
    })
    expect(timingDescs(second.headers.get('server-timing'))).toMatchObject({
      db: '0 statements',
      cache: '1 hit, 0 misses',
    })
    const both = await reportNamed('GET /teams/:id', 2)
    expect(both.map((r) => [r.cache.hit, r.cache.miss])).toEqual([
      [0, 1],
      [1, 0],
    ])
  })

  it('keeps concurrent requests apart', async () => {
    const ns = [4, 0, 2, 5, 1, 3]
    const responses = await Promise.all(ns.map((n) => fetch(`${base}/teams/count/${n}`)))
    for (const [i, res] of responses.entries()) {
      const n = ns[i]!
      expect(await res.json()).toEqual({ n })
      expect(timingDescs(res.headers.get('server-timing')).db).toBe(`${n} ${n === 1 ? 'statement' : 'statements'}`)
    }
    const counted = (await reportNamed('GET /teams/count/:n', ns.length)).map((r) => r.statements)
    expect(counted.sort()).toEqual([...ns].sort())
  })

  it('PerfHealthIndicator maps monitor.health() to up, then down once queries fail slowly', async () => {
    const up = await fetch(`${base}/health`)
    expect(up.status).toBe(200)
    const body = (await up.json()) as { status: string; info: Record<string, { status: string; score: number }> }
    expect(body.status).toBe('ok')
    expect(body.info.database).toMatchObject({ status: 'up', score: 100, health: 'ok' })
    for (let i = 0; i < 50; i++) monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 5000, error: new Error() })
    const down = await fetch(`${base}/health`)
    expect(down.status).toBe(503)
    const failed = (await down.json()) as {
      error: Record<string, { status: string; score: number; reasons: string[] }>
    }
    expect(failed.error.database!.status).toBe('down')
    expect(failed.error.database!.score).toBeLessThan(50)
    expect(failed.error.database!.reasons.join('\n')).toMatch(/error rate/)
    monitor.reset()
  })
})

describe.skipIf(!hasPostgres)('PerfModule.forRootAsync()', () => {
  it('builds the options from injected providers and scopes requests with them', async () => {
    const monitor = createMonitor({ eventLoopDelay: false, nPlusOneThreshold: 3 })
    const db = await Db.create(monitor)
    const names: string[] = []
    @Module({ providers: [{ provide: 'CONFIG', useValue: { timing: false } }], exports: ['CONFIG'] })
    class ConfigModule {}
    @Module({
      imports: [
        PerfModule.forRootAsync({
          imports: [ConfigModule],
          inject: ['CONFIG'],
          useFactory: async (config: { timing: boolean }) => ({
            monitor,
            cache: createCache(),
            serverTiming: config.timing,
            closeOnShutdown: true,
            scopeName: (context) => `${context.getClass().name}.${context.getHandler().name}`,
            onReport: (r) => names.push(`${r.name}:${r.statements}`),
          }),
        }),
      ],
      controllers: [TeamsController],
      providers: [{ provide: DB, useValue: db }, TeamsService],
    })
    class AsyncModule {}
    const app = await NestFactory.create(AsyncModule, { logger: false })
    try {
      const base = await start(app)
      const res = await fetch(`${base}/teams/3/users`)
      expect(await res.json()).toHaveLength(4)
      expect(res.headers.get('server-timing')).toBeNull()
      await expect.poll(() => names).toEqual(['TeamsController.users:5'])
      expect(monitor.nPlusOne()[0]).toMatchObject({ scope: 'TeamsController.users', count: 4 })
    } finally {
      await app.close()
      await db.drop()
    }
    // closeOnShutdown: the monitor was closed with the app, so it records nothing more.
    monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 1 })
    expect(monitor.totals().calls).toBe(5)
  })
})

describe.skipIf(!hasPostgres)('PerfScopeInterceptor on other setups', () => {
  let db: Db
  const monitor = createMonitor({ eventLoopDelay: false, nPlusOneThreshold: 3 })
  const reports: ScopeReport[] = []

  @Module({
    imports: [
      PerfModule.forRoot({ cache: createCache(), monitor, serverTiming: true, onReport: (r) => reports.push(r) }),
    ],
    controllers: [TeamsController],
    providers: [{ provide: DB, useFactory: () => db }, TeamsService],
  })
  class SmallModule {}

  beforeAll(async () => {
    db = await Db.create(monitor)
  })

  afterAll(async () => {
    await db?.drop()
    monitor.close()
  })

  it('runs on the Fastify platform, named by the route pattern', async () => {
    const app = await NestFactory.create<NestFastifyApplication>(SmallModule, new FastifyAdapter(), { logger: false })
    try {
      const base = await start(app)
      const res = await fetch(`${base}/teams/1/users`)
      expect(await res.json()).toHaveLength(4)
      expect(timingDescs(res.headers.get('server-timing')).db).toBe('5 statements')
      await expect.poll(() => reports.map((r) => `${r.name}:${r.statements}`)).toEqual(['GET /teams/:teamId/users:5'])
    } finally {
      await app.close()
    }
  })

  it('steps aside when @perf/http middleware already opened the request scope', async () => {
    reports.length = 0
    const outer: ScopeReport[] = []
    const app = await NestFactory.create(SmallModule, { logger: false })
    app.use(requestScope(monitor, { name: 'middleware', onReport: (r) => outer.push(r) }))
    try {
      const base = await start(app)
      const res = await fetch(`${base}/teams/2/users`)
      expect(await res.json()).toHaveLength(4)
      await expect.poll(() => outer.map((r) => `${r.name}:${r.statements}`)).toEqual(['middleware:5'])
      expect(reports).toEqual([])
      expect(res.headers.get('server-timing')).toBeNull()
    } finally {
      await app.close()
    }
  })
})
