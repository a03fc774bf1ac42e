import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isPerfError, type PerfError } from '../errors.js'
import { LeakDetector, type LeakDetectorOptions, type LeakReport } from './leak-detector.js'

function checkoutForOrders(detector: LeakDetector, conn: object): void {
  detector.acquired(conn, { label: 'GET /orders', lastQuery: "SELECT * FROM orders WHERE email = 'ann@example.com'" })
}

describe('LeakDetector', () => {
  const detectors: LeakDetector[] = []
  const make = (options: LeakDetectorOptions): LeakDetector => {
    const d = new LeakDetector(options)
    detectors.push(d)
    return d
  }
  beforeEach(() => {
    vi.useFakeTimers({ now: 10_000 })
  })
  afterEach(() => {
    for (const d of detectors.splice(0)) d.close()
    vi.useRealTimers()
  })

  it('reports a connection held past thresholdMs once, with its acquiring stack, label, held time and redacted query', () => {
    const leaks: LeakReport[] = []
    const detector = make({ thresholdMs: 1_000, sweepIntervalMs: 100, onLeak: (r) => leaks.push(r) })
    const conn = { id: 1 }
    checkoutForOrders(detector, conn)
    vi.advanceTimersByTime(900)
    expect(leaks).toHaveLength(0)
    vi.advanceTimersByTime(100)
    expect(leaks).toHaveLength(1)
    vi.advanceTimersByTime(5_000)
    expect(leaks).toHaveLength(1)
    const [leak] = leaks
    expect(leak).toMatchObject({
      kind: 'leak',
      pool: 'pool',
      connection: conn,
      label: 'GET /orders',
      heldMs: 1_000,
      thresholdMs: 1_000,
      acquiredAt: 10_000,
    })
    expect(leak!.lastQuery).toBe('SELECT * FROM orders WHERE email = ?')
    expect(leak!.stack).toMatch(/^at checkoutForOrders .*leak-detector\.test\.ts/)
    expect(leak!.stack).not.toMatch(/node:internal|leak-detector\.ts/)
  })

  it('released() before the threshold reports nothing and stops the sweep timer', () => {
    const onLeak = vi.fn()
    const detector = make({ thresholdMs: 1_000, onLeak })
    const conn = {}
    detector.acquired(conn)
    expect(vi.getTimerCount()).toBe(1)
    detector.released(conn)
    vi.advanceTimersByTime(5_000)
    expect(onLeak).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
    expect(detector.tracked).toBe(0)
  })

  it('released() after a leak report reports a late release with the total held time', () => {
    const late: LeakReport[] = []
    const detector = make({ thresholdMs: 500, sweepIntervalMs: 100, onLateRelease: (r) => late.push(r) })
    const conn = {}
    checkoutForOrders(detector, conn)
    detector.setLastQuery(conn, 'UPDATE orders SET total = 42 WHERE id = 7')
    vi.advanceTimersByTime(2_300)
    detector.released(conn)
    detector.released(conn)
    expect(late).toHaveLength(1)
    expect(late[0]).toMatchObject({
      kind: 'late-release',
      heldMs: 2_300,
      label: 'GET /orders',
      lastQuery: 'UPDATE orders SET total = ? WHERE id = ?',
    })
    expect(late[0]!.stack).toContain('checkoutForOrders')
    expect(detector.leaks()).toEqual([])
  })

  it('leaks() lists the connections leaking now, oldest first, with their current held time', () => {
    const detector = make({ thresholdMs: 1_000, sweepIntervalMs: 10_000, captureStack: false, redactQueries: false })
    const a = { n: 'a' }
    const b = { n: 'b' }
    const c = { n: 'c' }
    detector.acquired(a, { lastQuery: "SELECT 'raw'" })
    vi.advanceTimersByTime(500)
    detector.acquired(b)
    vi.advanceTimersByTime(500)
    detector.acquired(c)
    vi.advanceTimersByTime(600)
    const leaks = detector.leaks()
    expect(leaks.map((l) => [l.connection, l.heldMs])).toEqual([
      [a, 1_600],
      [b, 1_100],
    ])
    expect(leaks[0]!.lastQuery).toBe("SELECT 'raw'")
    expect(leaks[0]!.stack).toBeUndefined()
  })

  it('acquired() of a connection already tracked restarts its clock', () => {
    const onLeak = vi.fn()
    const detector = make({ thresholdMs: 1_000, sweepIntervalMs: 100, onLeak })
    const conn = {}
    detector.acquired(conn)
    vi.advanceTimersByTime(800)
    detector.acquired(conn)
    vi.advanceTimersByTime(800)
    expect(onLeak).not.toHaveBeenCalled()
    expect(detector.tracked).toBe(1)
  })

  it('tracks at most maxTracked connections, forgetting reported leaks first', () => {
    const detector = make({ thresholdMs: 100, sweepIntervalMs: 50, maxTracked: 2, captureStack: false })
    const [a, b, c, d] = [{}, {}, {}, {}]
    detector.acquired(a)
    detector.acquired(b)
    detector.acquired(c)
    expect(detector.tracked).toBe(2)
    expect(detector.dropped).toBe(1)
    vi.advanceTimersByTime(100)
    detector.acquired(d)
    expect(detector.tracked).toBe(2)
    expect(detector.dropped).toBe(2)
    expect(detector.leaks().map((l) => l.connection)).toEqual([b])
  })

  it('a throwing onLeak does not stop later reports', () => {
    const seen: object[] = []
    const detector = make({
      thresholdMs: 100,
      sweepIntervalMs: 100,
      onLeak: (r) => {
        seen.push(r.connection)
        throw new Error('handler bug')
      },
    })
    const a = {}
    const b = {}
    detector.acquired(a)
    detector.acquired(b)
    vi.advanceTimersByTime(100)
    expect(seen).toEqual([a, b])
  })

  it('publishes leaks on perf:pool without the connection object', () => {
    const messages: Array<Record<string, unknown>> = []
    const listener = (m: unknown): void => {
      messages.push(m as Record<string, unknown>)
    }
    diagnosticsChannel.subscribe('perf:pool', listener)
    try {
      const detector = make({ thresholdMs: 100, sweepIntervalMs: 100, pool: 'pg' })
      const conn = {}
      detector.acquired(conn, { label: 'job' })
      vi.advanceTimersByTime(100)
      detector.released(conn)
    } finally {
      diagnosticsChannel.unsubscribe('perf:pool', listener)
    }
    expect(messages.map((m) => m.type)).toEqual(['pool.leak', 'pool.lateRelease'])
    expect(messages[0]).toMatchObject({ pool: 'pg', label: 'job', heldMs: 100 })
    expect('connection' in messages[0]!).toBe(false)
  })

  it('close() clears the timer and every tracked connection', () => {
    const onLeak = vi.fn()
    const detector = make({ thresholdMs: 100, onLeak })
    detector.acquired({})
    detector.close()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(1_000)
    expect(onLeak).not.toHaveBeenCalled()
    expect(detector.tracked).toBe(0)
  })

  it('constructor rejects bad options with INVALID_OPTION naming the option', () => {
    const cases: Array<[string, unknown]> = [
      ['thresholdMs', {}],
      ['thresholdMs', { thresholdMs: 0 }],
      ['thresholdMs', { thresholdMs: 'a while' }],
      ['sweepIntervalMs', { thresholdMs: 10, sweepIntervalMs: -1 }],
      ['onLeak', { thresholdMs: 10, onLeak: true }],
      ['onLateRelease', { thresholdMs: 10, onLateRelease: 1 }],
      ['captureStack', { thresholdMs: 10, captureStack: 'yes' }],
      ['redactQueries', { thresholdMs: 10, redactQueries: 0 }],
      ['maxTracked', { thresholdMs: 10, maxTracked: 0 }],
      ['pool', { thresholdMs: 10, pool: 5 }],
      ['clock.now', { thresholdMs: 10, clock: { now: 1 } }],
    ]
    for (const [option, options] of cases) {
      let caught: unknown
      try {
        make(options as LeakDetectorOptions)
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_OPTION'), option).toBe(true)
      expect((caught as PerfError).context.option).toBe(option)
    }
  })
})
