import { afterEach, describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
import type { PoolProbe, PoolStats } from '../pool/types.js'
import { createMonitor, type Monitor } from './monitor.js'
import type { MonitorOptions } from './monitor-options.js'

let monitors: Monitor[] = []
function make(options: MonitorOptions = {}): { monitor: Monitor; clock: { t: number; now(): number } } {
  const clock = { t: 0, now: () => clock.t }
  const monitor = createMonitor({ eventLoopDelay: false, clock, ...options })
  monitors.push(monitor)
  return { monitor, clock }
}

afterEach(() => {
  for (const m of monitors) m.close()
  monitors = []
})

const probe = (name: string, stats: Partial<PoolStats>): PoolProbe => ({
  name,
  stats: () => ({ total: 10, idle: 5, active: 5, waiting: 0, max: 10, min: 0, ...stats }),
})

describe('Monitor.health()', () => {
  it('scores 100 and ok with no problems (and with no data)', () => {
    const { monitor } = make()
    expect(monitor.health()).toMatchObject({ score: 100, status: 'ok', reasons: [] })
    for (let i = 0; i < 50; i++) monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 20, cache: 'hit' })
    monitor.addPoolProbe(probe('pg', {}))
    const health = monitor.health()
    expect(health).toMatchObject({ score: 100, status: 'ok', reasons: [] })
    expect(health.metrics).toMatchObject({
      calls: 50,
      errorRate: 0,
      cacheReads: 50,
      cacheHitRatio: 1,
      eventLoopDelayP99Ms: null,
    })
    expect(health.metrics.pools).toEqual([
      { name: 'pg', total: 10, idle: 5, active: 5, waiting: 0, max: 10, min: 0, utilization: 0.5 },
    ])
  })

  it('names the p95 latency and its threshold', () => {
    const { monitor } = make()
    for (let i = 0; i < 100; i++) monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 840 })
    const health = monitor.health()
    expect(health.reasons).toEqual(['p95 latency 840 ms > 250 ms'])
    expect(health.score).toBe(60)
    expect(health.status).toBe('degraded')
  })

  it('lowers the score for error rate and a poor cache hit ratio, going critical when both are bad', () => {
    const { monitor } = make({ healthThresholds: { errorRate: 0.05, cacheHitRatio: 0.8 } })
    for (let i = 0; i < 100; i++) {
      monitor.record({
        source: 'pg',
        sql: 'SELECT 1',
        durationMs: 5,
        error: i < 40 ? new Error('x') : undefined,
        cache: i < 30 ? 'hit' : i < 40 ? 'bypass' : 'miss',
      })
    }
    const health = monitor.health()
    expect(health.reasons).toEqual([
      'error rate 40% > 5% (40 of 100 queries)',
      'cache hit ratio 33.3% < 80% (90 reads)',
    ])
    expect(health.metrics.cacheHitRatio).toBeCloseTo(30 / 90, 10)
    expect(health.score).toBeLessThan(50)
    expect(health.status).toBe('critical')
  })

  it('judges the cache hit ratio only when the cache was read', () => {
    const { monitor } = make()
    monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 5, cache: 'bypass' })
    expect(monitor.health()).toMatchObject({ score: 100, metrics: { cacheReads: 0, cacheHitRatio: null } })
  })

  it('reports saturated pools, waiting requests and failing probes', () => {
    const { monitor } = make()
    monitor.addPoolProbe(probe('pg', { active: 10, idle: 0, waiting: 3 }))
    const remove = monitor.addPoolProbe({
      name: 'broken',
      stats: () => {
        throw new TypeError('nope')
      },
    })
    const health = monitor.health()
    expect(health.reasons).toEqual([
      'pool "pg" utilization 100% >= 90% (10 of 10 connections)',
      'pool "pg" has 3 waiting requests',
      'pool "broken" probe failed: TypeError',
    ])
    // 15 (saturated) + 13 (10 + 3 waiting) + 10 (failed probe)
    expect(health.score).toBe(62)
    expect(health.status).toBe('degraded')
    remove()
    expect(monitor.health().reasons).toHaveLength(2)
  })

  it('addPoolProbe() rejects malformed probes and more than 64', () => {
    const { monitor } = make()
    expect(() => monitor.addPoolProbe({ name: 'x' } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    for (let i = 0; i < 64; i++) monitor.addPoolProbe(probe(`p${i}`, {}))
    let caught: unknown
    try {
      monitor.addPoolProbe(probe('one-too-many', {}))
    } catch (err) {
      caught = err
    }
    expect(isPerfError(caught, 'INVALID_ARGUMENT')).toBe(true)
  })

  it('forgets latency older than two windows', () => {
    const { monitor, clock } = make({ windowMs: '1m' })
    for (let i = 0; i < 10; i++) monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 1000 })
    clock.t += 60_000
    expect(monitor.health().reasons).toEqual(['p95 latency 1000 ms > 250 ms'])
    monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 1 })
    clock.t += 60_000
    // Two windows on, the slow minute has rotated out.
    expect(monitor.health()).toMatchObject({ score: 100, reasons: [], metrics: { calls: 1 } })
    clock.t += 120_000
    expect(monitor.health().metrics.calls).toBe(0)
    expect(monitor.totals().calls).toBe(11)
  })

  it('measures event-loop delay once started and names it', async () => {
    const monitor = createMonitor({ healthThresholds: { eventLoopDelayMs: 20 } })
    monitors.push(monitor)
    expect(monitor.health().metrics.eventLoopDelayP99Ms).toBeNull()
    // Block the loop twice for ~80 ms so the 20 ms-resolution sampler sees the stalls.
    for (let round = 0; round < 2; round++) {
      await new Promise((resolve) => setTimeout(resolve, 30))
      const until = Date.now() + 80
      while (Date.now() < until) {
        // busy
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 30))
    const health = monitor.health()
    expect(health.metrics.eventLoopDelayP99Ms).toBeGreaterThan(40)
    expect(health.reasons.some((r) => /^event-loop delay p99 \d+(\.\d)? ms > 20 ms$/.test(r))).toBe(true)
    monitor.close()
    expect(monitor.health().metrics.eventLoopDelayP99Ms).toBeNull()
  })
})
