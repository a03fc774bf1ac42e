import { afterEach, describe, expect, it, vi } from 'vitest'
import { isPerfError } from '../errors.js'
import { createMonitor, type Monitor } from './monitor.js'
import type { HealthSourceResult } from './health-sources.js'

let monitors: Monitor[] = []
function make(): Monitor {
  const monitor = createMonitor({ eventLoopDelay: false, clock: { now: () => 1_000 } })
  monitors.push(monitor)
  return monitor
}

afterEach(() => {
  for (const m of monitors) m.close()
  monitors = []
  vi.useRealTimers()
})

describe('Monitor.addHealthSource()', () => {
  it('refreshHealth() takes the source shortfall off the score and appends its reasons', async () => {
    const monitor = make()
    const before = monitor.health()
    expect(before.metrics.sources).toBeUndefined()
    monitor.addHealthSource({ name: 'postgres', check: () => ({ score: 60, reasons: ['1 session(s) blocked'] }) })
    const health = await monitor.refreshHealth()
    expect(health.score).toBe(60)
    expect(health.status).toBe('degraded')
    expect(health.reasons).toEqual(['postgres: 1 session(s) blocked'])
    expect(health.metrics.sources).toEqual([
      { name: 'postgres', score: 60, reasons: ['1 session(s) blocked'], checkedAt: 1_000 },
    ])
  })

  it('health() merges with the application score: two sources and slow queries add up, floored at 0', async () => {
    const monitor = make()
    for (let i = 0; i < 20; i++) monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 500 })
    const own = monitor.health()
    expect(own.score).toBeLessThan(100)
    monitor.addHealthSource({ name: 'a', check: () => ({ score: 90, reasons: ['x'] }) })
    monitor.addHealthSource({ name: 'b', check: async () => ({ score: 100 }) })
    const health = await monitor.refreshHealth()
    expect(health.score).toBe(own.score - 10)
    expect(health.reasons).toEqual([...own.reasons, 'a: x'])
    monitor.addHealthSource({ name: 'c', check: () => ({ score: 0, reasons: ['down'] }) })
    expect((await monitor.refreshHealth()).score).toBe(0)
    expect(monitor.health().status).toBe('critical')
  })

  it('a failing, malformed or slow check costs 10 points and says why; it never throws from health()', async () => {
    const monitor = make()
    monitor.addHealthSource({
      name: 'db',
      check: () => {
        throw new Error('connection refused')
      },
    })
    monitor.addHealthSource({ name: 'odd', check: () => ({ score: 140 }) as HealthSourceResult })
    let aborted: unknown
    monitor.addHealthSource({
      name: 'slow',
      intervalMs: 50,
      check: (signal) =>
        new Promise<HealthSourceResult>((_, reject) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason
            reject(signal.reason as Error)
          })
        }),
    })
    const health = await monitor.refreshHealth()
    expect(health.score).toBe(70)
    expect(health.reasons).toEqual([
      'health source "db" failed: Error: connection refused',
      expect.stringMatching(/^health source "odd" failed: TypeError: returned \{"score":140\}/),
      expect.stringMatching(/^health source "slow" failed: PerfError: .*did not answer within 50 ms/),
    ])
    expect(isPerfError(aborted, 'TIMEOUT')).toBe(true)
    expect(health.metrics.sources?.map((s) => s.score)).toEqual([null, null, null])
  })

  it('runs the check at once and then every intervalMs; removal and close() stop it', async () => {
    vi.useFakeTimers()
    const monitor = make()
    let calls = 0
    let score = 100
    const remove = monitor.addHealthSource({
      name: 'q',
      intervalMs: '1s',
      check: () => {
        calls++
        return { score, reasons: score < 100 ? ['backlog'] : [] }
      },
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toBe(1)
    score = 80
    await vi.advanceTimersByTimeAsync(999)
    expect(calls).toBe(1)
    expect(monitor.health().score).toBe(100)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toBe(2)
    expect(monitor.health()).toMatchObject({ score: 80, reasons: ['q: backlog'] })
    await vi.advanceTimersByTimeAsync(3000)
    expect(calls).toBe(5)
    remove()
    remove()
    await vi.advanceTimersByTimeAsync(5000)
    expect(calls).toBe(5)
    expect(monitor.health().score).toBe(100)
    monitor.addHealthSource({ name: 'q', intervalMs: 1000, check: () => (calls++, { score: 100 }) })
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toBe(6)
    monitor.close()
    await vi.advanceTimersByTimeAsync(5000)
    expect(calls).toBe(6)
  })

  it('refreshHealth() joins a check already running instead of starting a second', async () => {
    const monitor = make()
    let calls = 0
    let release!: () => void
    monitor.addHealthSource({
      name: 'db',
      check: () => {
        calls++
        return new Promise<HealthSourceResult>((resolve) => {
          release = () => resolve({ score: 50, reasons: ['slow'] })
        })
      },
    })
    const first = monitor.refreshHealth()
    const second = monitor.refreshHealth()
    expect(calls).toBe(1)
    release()
    const [a, b] = await Promise.all([first, second])
    expect(a.score).toBe(50)
    expect(b.score).toBe(50)
    expect(calls).toBe(1)
  })

  it('refuses malformed sources, duplicate names and bad intervals with INVALID_ARGUMENT', () => {
    const monitor = make()
    const codeOf = (fn: () => unknown): unknown => {
      try {
        fn()
      } catch (error) {
        return isPerfError(error) ? error.code : error
      }
      return 'no error'
    }
    expect(codeOf(() => monitor.addHealthSource({ name: '', check: () => ({ score: 1 }) }))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => monitor.addHealthSource({ name: 'x' } as never))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => monitor.addHealthSource({ name: 'x', intervalMs: 0, check: () => ({ score: 1 }) }))).toBe(
      'INVALID_ARGUMENT',
    )
    monitor.addHealthSource({ name: 'x', check: () => ({ score: 1 }) })
    expect(codeOf(() => monitor.addHealthSource({ name: 'x', check: () => ({ score: 1 }) }))).toBe('INVALID_ARGUMENT')
  })
})
