import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
import { fingerprint, fingerprintId } from './fingerprint.js'
import { createMonitor, type Monitor } from './monitor.js'
import type { MonitorOptions } from './monitor-options.js'
import type { QueryEvent } from './types.js'

let monitors: Monitor[] = []
function make(options: MonitorOptions = {}): { monitor: Monitor; clock: { t: number; now(): number } } {
  const clock = { t: 1_000_000, now: () => clock.t }
  const monitor = createMonitor({ eventLoopDelay: false, clock, ...options })
  monitors.push(monitor)
  return { monitor, clock }
}

afterEach(() => {
  for (const m of monitors) m.close()
  monitors = []
})

const q = (sql: string, durationMs: number, extra: Partial<QueryEvent> = {}): QueryEvent => ({
  source: 'pg',
  sql,
  durationMs,
  ...extra,
})

describe('createMonitor()', () => {
  it('record() aggregates calls, errors, time, p95, rows and lastSeen per fingerprint', () => {
    const { monitor, clock } = make()
    for (let i = 1; i <= 100; i++) {
      clock.t += 10
      monitor.record(
        q(`SELECT * FROM users WHERE id = ${i}`, i, {
          rows: 1,
          model: 'User',
          operation: 'findUnique',
          error: i % 10 === 0 ? new Error('boom') : undefined,
        }),
      )
    }
    monitor.record(q('SELECT 1', 5))
    const [top, second] = monitor.fingerprints()
    expect(second?.fingerprint).toBe('SELECT ?')
    expect(top).toMatchObject({
      id: fingerprintId('SELECT * FROM users WHERE id = 1'),
      fingerprint: 'SELECT * FROM users WHERE id = ?',
      sample: 'SELECT * FROM users WHERE id = ?',
      source: 'pg',
      model: 'User',
      operation: 'findUnique',
      calls: 100,
      errors: 10,
      totalMs: 5050,
      meanMs: 50.5,
      maxMs: 100,
      rows: 100,
      lastSeen: 1_001_000,
    })
    expect(Math.abs(top!.p95Ms - 95) / 95).toBeLessThanOrEqual(0.05)
    expect(monitor.totals()).toMatchObject({ calls: 101, errors: 10, totalMs: 5055, rows: 100 })
  })

  it('record() keys events without SQL by source, model and operation, and honours a precomputed fingerprint', () => {
    const { monitor } = make()
    monitor.record({ source: 'prisma', model: 'Post', operation: 'findMany', durationMs: 1 })
    monitor.record({ source: 'prisma', model: 'Post', operation: 'findMany', durationMs: 2 })
    monitor.record({ source: 'prisma', fingerprint: 'custom-shape', sql: 'SELECT 1', durationMs: 3 })
    const byText = Object.fromEntries(monitor.fingerprints().map((f) => [f.fingerprint, f.calls]))
    expect(byText).toEqual({ 'prisma:Post.findMany': 2, 'custom-shape': 1 })
  })

  it('record() folds fingerprints past maxFingerprints into one "other" entry', () => {
    const { monitor } = make({ maxFingerprints: 3 })
    for (let i = 0; i < 50; i++) monitor.record(q(`SELECT c${i} FROM t`, 1))
    const all = monitor.fingerprints()
    expect(all).toHaveLength(4)
    const other = all.find((f) => f.id === 'other')
    expect(other).toMatchObject({ fingerprint: '(other)', calls: 47 })
    expect(monitor.snapshot().fingerprintCount).toBe(4)
  })

  it('record() caps a huge fingerprint at maxSqlLength but keeps different ones apart', () => {
    const { monitor } = make({ maxSqlLength: 64 })
    const long = (col: string) => `SELECT ${'a, '.repeat(200)}${col} FROM t`
    monitor.record(q(long('x'), 1))
    monitor.record(q(long('y'), 1))
    const all = monitor.fingerprints()
    expect(all).toHaveLength(2)
    for (const f of all) {
      expect(f.fingerprint.length).toBeLessThan(100)
      expect(f.sample!.length).toBeLessThanOrEqual(64)
    }
  })

  it('record() rejects a missing or negative duration with INVALID_ARGUMENT and is a no-op after close()', () => {
    const { monitor } = make()
    for (const bad of [undefined, -1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      let caught: unknown
      try {
        monitor.record({ source: 'pg', durationMs: bad as number })
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
    monitor.close()
    monitor.close()
    monitor.record(q('SELECT 1', 1))
    expect(monitor.totals().calls).toBe(0)
  })

  it('record() counts cache outcomes; the hit ratio counts hit, stale and grace over reads', () => {
    const { monitor } = make()
    const outcomes = ['hit', 'hit', 'stale', 'grace', 'miss', 'miss', 'miss', 'miss', 'bypass'] as const
    for (const cache of outcomes) monitor.record(q('SELECT 1', 1, { cache }))
    monitor.record(q('SELECT 1', 1, { cache: 'toString' as never }))
    expect(monitor.totals().cache).toEqual({ hit: 2, stale: 1, grace: 1, miss: 4, bypass: 1, hitRatio: 0.5 })
  })

  it('keeps the last slowQueryCapacity slow queries, redacted, with error names but no messages', () => {
    const seen: string[] = []
    const { monitor } = make({ slowQueryMs: '100ms', slowQueryCapacity: 3, onSlowQuery: (e) => seen.push(e.sql ?? '') })
    monitor.record(q("SELECT * FROM users WHERE email = 'fast@example.com'", 99))
    for (let i = 0; i < 5; i++) {
      const error =
        i === 4 ? Object.assign(new Error('duplicate key (email)=(ann@example.com)'), { code: '23505' }) : undefined
      monitor.record(
        q(`SELECT * FROM users WHERE email = 'user${i}@example.com'`, 100 + i, { error, callSite: 'app.ts:1:1' }),
      )
    }
    const slow = monitor.slowQueries()
    expect(slow.map((s) => s.durationMs)).toEqual([102, 103, 104])
    expect(slow[0]).toMatchObject({
      sql: 'SELECT * FROM users WHERE email = ?',
      source: 'pg',
      callSite: 'app.ts:1:1',
      fingerprintId: fingerprintId("SELECT * FROM users WHERE email = 'x'"),
    })
    expect(slow[2]!.error).toBe('Error 23505')
    expect(JSON.stringify(slow)).not.toMatch(/@example\.com/)
    expect(seen).toHaveLength(5)
    expect(monitor.totals().slowQueries).toBe(5)
  })

  it('publishes every event on diagnostics channel perf:query', () => {
    const { monitor } = make()
    const received: unknown[] = []
    const listener = (message: unknown) => received.push(message)
    diagnosticsChannel.subscribe('perf:query', listener)
    try {
      const event = q('SELECT 1', 2)
      monitor.record(event)
      expect(received).toEqual([event])
    } finally {
      diagnosticsChannel.unsubscribe('perf:query', listener)
    }
  })

  it('snapshot() is JSON-serialisable and lists the top fingerprints by total time', () => {
    const { monitor } = make({ slowQueryMs: 50 })
    for (let i = 0; i < 30; i++) monitor.record(q(`SELECT c${i} FROM t WHERE id = 1`, i * 2))
    const snapshot = monitor.snapshot({ top: 5 })
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot)
    expect(snapshot.fingerprints.map((f) => f.fingerprint)).toEqual(
      [29, 28, 27, 26, 25].map((i) => fingerprint(`SELECT c${i} FROM t WHERE id = ?`)),
    )
    expect(snapshot).toMatchObject({ at: 1_000_000, since: 1_000_000, fingerprintCount: 30 })
    expect(snapshot.totals.calls).toBe(30)
    expect(snapshot.slowQueries).toHaveLength(5)
    expect(snapshot.health.status).toBe('ok')
    expect(snapshot.totals.cache.hitRatio).toBeNull()
  })

  it('reset() forgets figures; close() keeps them readable', () => {
    const { monitor, clock } = make({ slowQueryMs: 1 })
    monitor.record(q('SELECT 1', 5, { cache: 'hit' }))
    clock.t += 500
    monitor.reset()
    expect(monitor.totals()).toMatchObject({
      calls: 0,
      errors: 0,
      totalMs: 0,
      slowQueries: 0,
      cache: { hit: 0, hitRatio: null },
    })
    expect(monitor.fingerprints()).toEqual([])
    expect(monitor.slowQueries()).toEqual([])
    expect(monitor.snapshot().since).toBe(1_000_500)
    monitor.record(q('SELECT 1', 5))
    monitor.close()
    expect(monitor.totals().calls).toBe(1)
  })

  it.each<[string, MonitorOptions]>([
    ['maxFingerprints', { maxFingerprints: 0 }],
    ['slowQueryMs', { slowQueryMs: -1 }],
    ['slowQueryMs', { slowQueryMs: 'soon' }],
    ['slowQueryCapacity', { slowQueryCapacity: 1.5 }],
    ['nPlusOneThreshold', { nPlusOneThreshold: 1 }],
    ['maxNPlusOneReports', { maxNPlusOneReports: -1 }],
    ['onNPlusOne', { onNPlusOne: 'yes' as never }],
    ['fingerprintCacheSize', { fingerprintCacheSize: Number.NaN }],
    ['maxSqlLength', { maxSqlLength: 2 }],
    ['windowMs', { windowMs: 0 }],
    ['healthThresholds.p95Ms', { healthThresholds: { p95Ms: 0 } }],
    ['healthThresholds.errorRate', { healthThresholds: { errorRate: 2 } }],
    ['eventLoopDelay', { eventLoopDelay: 'on' as never }],
    ['ignoreStackFrames', { ignoreStackFrames: ['x'] as never }],
    ['clock', { clock: {} as never }],
  ])('rejects a bad %s with INVALID_OPTION', (option, options) => {
    let caught: unknown
    try {
      createMonitor({ eventLoopDelay: false, ...options })
    } catch (err) {
      caught = err
    }
    expect(isPerfError(caught, 'INVALID_OPTION')).toBe(true)
    expect((caught as { context: { option: string } }).context.option).toBe(option)
  })
})
