import { setImmediate as tick } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
import { createMonitor, type Monitor } from './monitor.js'
import type { MonitorOptions } from './monitor-options.js'
import type { NPlusOneReport, ScopeReport } from './types.js'

let monitors: Monitor[] = []
function make(options: MonitorOptions = {}): Monitor {
  const monitor = createMonitor({ eventLoopDelay: false, ...options })
  monitors.push(monitor)
  return monitor
}

afterEach(() => {
  for (const m of monitors) m.close()
  monitors = []
})

/** Stands in for an adapter: records one query for a post of `userId`. */
function loadPosts(monitor: Monitor, userId: number): void {
  monitor.record({
    source: 'prisma',
    sql: `SELECT * FROM "Post" WHERE "authorId" = ${userId}`,
    model: 'Post',
    operation: 'findMany',
    durationMs: 1,
  })
}

describe('Monitor.scope()', () => {
  it('reports a fingerprint issued nPlusOneThreshold times once, with the count growing until the scope ends', async () => {
    const found: NPlusOneReport[] = []
    const ended: ScopeReport[] = []
    const monitor = make({ nPlusOneThreshold: 5, onNPlusOne: (r) => found.push(r) })
    const result = await monitor.scope(
      async () => {
        for (let id = 1; id <= 8; id++) {
          await tick()
          loadPosts(monitor, id)
        }
        monitor.record({ source: 'prisma', sql: 'SELECT * FROM "User"', durationMs: 1 })
        return 'done'
      },
      { name: 'GET /users', onReport: (r) => ended.push(r) },
    )
    expect(result).toBe('done')
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({
      scope: 'GET /users',
      fingerprint: 'SELECT * FROM "Post" WHERE "authorId" = ?',
      count: 8,
      threshold: 5,
      model: 'Post',
      operation: 'findMany',
      source: 'prisma',
      sample: 'SELECT * FROM "Post" WHERE "authorId" = ?',
    })
    expect(ended).toHaveLength(1)
    expect(ended[0]).toMatchObject({ name: 'GET /users', queries: 9, failed: false })
    expect(ended[0]!.nPlusOne.map((r) => r.count)).toEqual([8])
    expect(monitor.nPlusOne().map((r) => r.count)).toEqual([8])
  })

  it('points the call site at the first application frame, skipping ignored frames', () => {
    const monitor = make({ nPlusOneThreshold: 2, ignoreStackFrames: [/dataLayer/] })
    function dataLayer(): void {
      loadPosts(monitor, 1)
    }
    monitor.scope(() => {
      dataLayer()
      dataLayer()
    })
    const [report] = monitor.nPlusOne()
    expect(report?.callSite).toMatch(/n-plus-one\.test\.ts:\d+:\d+$/)
    // The frame is the arrow function inside scope(), not dataLayer() nor the monitor's own code.
    expect(report!.frames[0]).not.toMatch(/dataLayer|monitor\.ts|n-plus-one\.ts:/)
    expect(report!.frames.length).toBeGreaterThanOrEqual(1)
    expect(report!.frames.length).toBeLessThanOrEqual(5)
  })

  it('uses the adapter-provided callSite when the event has one', () => {
    const monitor = make({ nPlusOneThreshold: 2 })
    monitor.scope(() => {
      for (let i = 0; i < 3; i++)
        monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 1, callSite: 'src/routes.ts:42:7' })
    })
    expect(monitor.nPlusOne()[0]).toMatchObject({
      callSite: 'src/routes.ts:42:7',
      frames: ['src/routes.ts:42:7'],
      count: 3,
    })
  })

  it('keeps concurrent scopes with interleaved awaits apart', async () => {
    const reports: ScopeReport[] = []
    const monitor = make({ nPlusOneThreshold: 5 })
    const run = (name: string, sql: string, times: number) =>
      monitor.scope(
        async () => {
          for (let i = 0; i < times; i++) {
            monitor.record({ source: 'pg', sql: `${sql} ${i}`, durationMs: 1 })
            await tick()
          }
          return monitor.currentScope()?.queries
        },
        { name, onReport: (r) => reports.push(r) },
      )
    // Together A and B issue "SELECT a" 8 times, but 4 per scope stays below the threshold.
    const [a, b, c] = await Promise.all([
      run('A', 'SELECT a FROM t WHERE id =', 4),
      run('B', 'SELECT a FROM t WHERE id =', 4),
      run('C', 'SELECT c FROM t WHERE id =', 6),
    ])
    expect([a, b, c]).toEqual([4, 4, 6])
    const byName = Object.fromEntries(reports.map((r) => [r.name, r]))
    expect(byName.A).toMatchObject({ queries: 4, nPlusOne: [] })
    expect(byName.B).toMatchObject({ queries: 4, nPlusOne: [] })
    expect(byName.C!.queries).toBe(6)
    expect(byName.C!.nPlusOne).toHaveLength(1)
    expect(byName.C!.nPlusOne[0]).toMatchObject({ scope: 'C', count: 6, fingerprint: 'SELECT c FROM t WHERE id = ?' })
    expect(monitor.nPlusOne().map((r) => r.scope)).toEqual(['C'])
  })

  it('reports the same fingerprint again in a later scope', () => {
    const monitor = make({ nPlusOneThreshold: 2 })
    for (const name of ['first', 'second'])
      monitor.scope(() => [1, 2].forEach((id) => loadPosts(monitor, id)), { name })
    expect(monitor.nPlusOne().map((r) => r.scope)).toEqual(['first', 'second'])
  })

  it('does not count events outside a scope or after it ended', async () => {
    const monitor = make({ nPlusOneThreshold: 2 })
    for (let i = 0; i < 5; i++) loadPosts(monitor, i)
    let late: Promise<void> | undefined
    await monitor.scope(async () => {
      loadPosts(monitor, 1)
      // Work the scope started but did not await: it runs after the scope ended.
      late = tick().then(() => loadPosts(monitor, 2))
    })
    await late
    expect(monitor.nPlusOne()).toEqual([])
    expect(monitor.currentScope()).toBeUndefined()
  })

  it('scope() returns sync results, rethrows errors and reports failed scopes', async () => {
    const reports: ScopeReport[] = []
    const monitor = make({ nPlusOneThreshold: 2 })
    expect(monitor.scope(() => 42)).toBe(42)
    expect(() =>
      monitor.scope(
        () => {
          throw new Error('sync')
        },
        { onReport: (r) => reports.push(r) },
      ),
    ).toThrow('sync')
    await expect(
      monitor.scope(
        async () => {
          loadPosts(monitor, 1)
          loadPosts(monitor, 2)
          throw new Error('async')
        },
        { name: 'job', onReport: (r) => reports.push(r) },
      ),
    ).rejects.toThrow('async')
    expect(reports.map((r) => [r.name, r.failed, r.nPlusOne.length])).toEqual([
      ['scope', true, 0],
      ['job', true, 1],
    ])
  })

  it('a per-scope threshold overrides nPlusOneThreshold; nested scopes count separately', () => {
    const monitor = make({ nPlusOneThreshold: 50 })
    monitor.scope(
      () => {
        loadPosts(monitor, 1)
        monitor.scope(
          () => {
            loadPosts(monitor, 2)
            expect(monitor.currentScope()).toMatchObject({ name: 'inner', queries: 1 })
          },
          { name: 'inner', threshold: 2 },
        )
        loadPosts(monitor, 3)
        expect(monitor.currentScope()).toMatchObject({ name: 'outer', queries: 2 })
      },
      { name: 'outer', threshold: 3 },
    )
    expect(monitor.nPlusOne()).toEqual([])
  })

  it('caps kept reports at maxNPlusOneReports, dropping the oldest', () => {
    const monitor = make({ nPlusOneThreshold: 2, maxNPlusOneReports: 3 })
    for (let s = 0; s < 5; s++) monitor.scope(() => [1, 2].forEach((id) => loadPosts(monitor, id)), { name: `s${s}` })
    expect(monitor.nPlusOne().map((r) => r.scope)).toEqual(['s2', 's3', 's4'])
    expect(monitor.toPrometheus()).toContain('perf_n_plus_one_total 5')
  })

  it('a throwing onNPlusOne listener does not fail the recorded query', () => {
    const monitor = make({
      nPlusOneThreshold: 2,
      onNPlusOne: () => {
        throw new Error('listener')
      },
    })
    expect(() => monitor.scope(() => [1, 2, 3].forEach((id) => loadPosts(monitor, id)))).not.toThrow()
    expect(monitor.nPlusOne()[0]?.count).toBe(3)
  })

  it('validates scope options with INVALID_OPTION', () => {
    const monitor = make()
    for (const options of [{ threshold: 1 }, { name: 5 as never }, { onReport: 'x' as never }]) {
      let caught: unknown
      try {
        monitor.scope(() => 1, options)
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_OPTION')).toBe(true)
    }
  })
})

describe('Monitor.advise()', () => {
  it('puts the advisor of the event source into the report as its suggestion, asked once per finding', async () => {
    const monitor = make({ nPlusOneThreshold: 3 })
    const asked: unknown[] = []
    monitor.advise('other', () => 'never asked')
    monitor.advise('prisma', (finding) => {
      asked.push(finding)
      return `use a loader for ${finding.model ?? '?'} on ${finding.tables?.join(',') ?? '?'}`
    })
    await monitor.scope(async () => {
      for (let id = 1; id <= 5; id++) {
        await tick()
        monitor.record({
          source: 'prisma',
          sql: `SELECT * FROM "Post" WHERE "authorId" = ${id}`,
          model: 'Post',
          tables: ['Post'],
          durationMs: 1,
        })
      }
    })
    const [report] = monitor.nPlusOne()
    expect(report?.suggestion).toBe('use a loader for Post on Post')
    expect(asked).toEqual([
      {
        source: 'prisma',
        fingerprint: 'SELECT * FROM "Post" WHERE "authorId" = ?',
        fingerprintId: report?.fingerprintId,
        model: 'Post',
        tables: ['Post'],
        sample: 'SELECT * FROM "Post" WHERE "authorId" = ?',
      },
    ])
  })

  it('skips an advisor that throws or has nothing to say; the returned function removes one', async () => {
    const monitor = make({ nPlusOneThreshold: 2 })
    monitor.advise('prisma', () => {
      throw new Error('advisor bug')
    })
    monitor.advise('prisma', () => undefined)
    const remove = monitor.advise('prisma', () => 'first answer')
    monitor.advise('prisma', () => 'second answer')
    await monitor.scope(() => {
      loadPosts(monitor, 1)
      loadPosts(monitor, 2)
    })
    remove()
    await monitor.scope(() => {
      loadPosts(monitor, 1)
      loadPosts(monitor, 2)
    })
    expect(monitor.nPlusOne().map((r) => r.suggestion)).toEqual(['first answer', 'second answer'])
  })

  it('leaves suggestion out without an advisor, and rejects malformed arguments', async () => {
    const monitor = make({ nPlusOneThreshold: 2 })
    await monitor.scope(() => {
      loadPosts(monitor, 1)
      loadPosts(monitor, 2)
    })
    expect(monitor.nPlusOne()[0]).not.toHaveProperty('suggestion')
    expect(() => monitor.advise(1 as unknown as string, () => 'x')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(() => monitor.advise('prisma', 'x' as unknown as () => string)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })
})
