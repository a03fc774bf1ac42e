import { createMonitor } from '@perf/core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { combineHealth, pgDiagnostics, pgHealthSource } from '../src/index.js'
import { freshDatabase, privatePostgres } from './setup/database.js'

const url = await privatePostgres()

describe.skipIf(!url)('pgDiagnostics().health()', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase(url!)
    await db.pool.query('CREATE EXTENSION pg_stat_statements')
  })
  afterAll(async () => {
    await db?.drop()
  })

  it('pgHealthSource() scores a quiet database 100 (before any table exists: no cache hit ratio yet)', async () => {
    const monitor = createMonitor({ eventLoopDelay: false })
    monitor.addHealthSource(pgHealthSource(db.pool, { name: 'db', intervalMs: '1m' }))
    const health = await monitor.refreshHealth()
    expect(health).toMatchObject({ score: 100, status: 'ok', reasons: [] })
    expect(health.metrics.sources).toMatchObject([{ name: 'db', score: 100, reasons: [] }])
    monitor.close()
  })

  it('health() scores a quiet database 100 and one with a blocked session lower, with reasons', async () => {
    const diag = pgDiagnostics(db.pool)
    const quiet = await diag.health()
    expect(quiet.findings.filter((f) => f.severity !== 'info')).toEqual([])
    expect(quiet.score).toBe(100)
    expect(quiet.status).toBe('ok')

    await db.pool.query('CREATE TABLE h (id int PRIMARY KEY, v int)')
    await db.pool.query('INSERT INTO h VALUES (1, 0)')
    const holder = new pg.Client({ connectionString: db.url, application_name: 'perf-holder' })
    const waiter = new pg.Client({ connectionString: db.url, application_name: 'perf-waiter' })
    await Promise.all([holder.connect(), waiter.connect()])
    try {
      await holder.query('BEGIN')
      await holder.query('UPDATE h SET v = 1 WHERE id = 1')
      const waiting = waiter.query('UPDATE h SET v = 2 WHERE id = 1')
      for (let i = 0; i < 600 && (await diag.blockingTree()).blockedCount === 0; i++)
        await new Promise((r) => setTimeout(r, 50))
      await new Promise((r) => setTimeout(r, 300))
      const report = await diag.health({ idleInTransactionMs: 100, blockedMs: 100 })
      const kinds = report.findings.map((f) => `${f.severity}:${f.kind}`)
      expect(kinds).toEqual(expect.arrayContaining(['critical:blocked-sessions', 'warning:idle-in-transaction']))
      expect(report.score).toBeLessThanOrEqual(60)
      expect(report.reasons.join('\n')).toMatch(/1 session\(s\) blocked.*root pid \d+ \(idle in transaction/)
      expect(report.snapshot.blockingTree?.blockedCount).toBe(1)

      const monitor = createMonitor({ eventLoopDelay: false })
      const combined = combineHealth(monitor.health(), report)
      expect(combined.score).toBe(Math.max(0, monitor.health().score - (100 - report.score)))
      expect(combined.reasons.some((r) => r.startsWith('database: 1 session(s) blocked'))).toBe(true)

      // The same findings through the monitor's own health(), as a health source.
      monitor.addHealthSource(pgHealthSource(db.pool, { thresholds: { idleInTransactionMs: 100, blockedMs: 100 } }))
      const health = await monitor.refreshHealth()
      expect(health.score).toBeLessThanOrEqual(60)
      expect(health.status).not.toBe('ok')
      expect(health.reasons).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^postgres: 1 session\(s\) blocked/),
          expect.stringMatching(/^postgres: pid \d+ \(perf-holder\) idle in transaction/),
        ]),
      )
      expect(health.metrics.sources).toMatchObject([{ name: 'postgres', score: health.score }])
      monitor.close()
      await holder.query('ROLLBACK')
      await waiting
    } finally {
      await Promise.all([holder.end(), waiter.end()])
    }
  })

  it('pgHealthSource() against an unreachable server fails the check (10 points, with the reason), never health()', async () => {
    const monitor = createMonitor({ eventLoopDelay: false })
    const dead = new pg.Pool({
      connectionString: 'postgresql://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 2000,
    })
    try {
      monitor.addHealthSource(pgHealthSource(dead))
      const health = await monitor.refreshHealth()
      expect(health.score).toBe(90)
      expect(health.reasons).toEqual([
        expect.stringMatching(
          /^health source "postgres" failed: Error: \[perf:pg\] database health check failed: .*ECONNREFUSED/,
        ),
      ])
    } finally {
      monitor.close()
      await dead.end()
    }
  })
})
