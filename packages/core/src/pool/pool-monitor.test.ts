import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isPerfError, type PerfError } from '../errors.js'
import type { PoolAlert } from './pool-alerts.js'
import { PoolMonitor } from './pool-monitor.js'
import type { PoolProbe, PoolStats } from './types.js'

function fakeProbe(initial: Partial<PoolStats> = {}): PoolProbe & { set(s: Partial<PoolStats>): void } {
  let stats: PoolStats = { total: 0, idle: 0, active: 0, waiting: 0, max: 10, min: 0, ...initial }
  return {
    name: 'fake',
    stats: () => stats,
    set(s) {
      stats = { ...stats, ...s }
    },
  }
}

describe('PoolMonitor', () => {
  const monitors: PoolMonitor[] = []
  const make = (probe: PoolProbe, options: ConstructorParameters<typeof PoolMonitor>[1] = {}): PoolMonitor => {
    const monitor = new PoolMonitor(probe, options)
    monitors.push(monitor)
    return monitor
  }
  beforeEach(() => {
    vi.useFakeTimers({ now: 5_000 })
  })
  afterEach(() => {
    for (const m of monitors.splice(0)) m.close()
    vi.useRealTimers()
  })

  it("samples the probe every intervalMs with an unref'd timer, and stops on close()", () => {
    const probe = fakeProbe({ total: 4, idle: 1, active: 3 })
    const stats = vi.spyOn(probe, 'stats')
    const monitor = make(probe, { intervalMs: '250ms' })
    expect(monitor.running).toBe(true)
    vi.advanceTimersByTime(1_000)
    expect(stats).toHaveBeenCalledTimes(4)
    expect(monitor.history().map((s) => s.at)).toEqual([5_250, 5_500, 5_750, 6_000])
    monitor.close()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(1_000)
    expect(stats).toHaveBeenCalledTimes(4)
  })

  it('sample() computes utilization and tracks peak active and waiting', () => {
    const probe = fakeProbe({ total: 10, idle: 2, active: 8, waiting: 0, max: 10 })
    const monitor = make(probe, { autoStart: false, alerts: false })
    expect(monitor.sample()).toEqual({
      at: 5_000,
      total: 10,
      idle: 2,
      active: 8,
      waiting: 0,
      max: 10,
      min: 0,
      utilization: 0.8,
    })
    probe.set({ active: 10, idle: 0, waiting: 4 })
    monitor.sample()
    probe.set({ active: 2, idle: 8, waiting: 0 })
    monitor.sample()
    const snap = monitor.snapshot()
    expect(snap).toMatchObject({ pool: 'fake', peakActive: 10, peakWaiting: 4, samples: 3, alerts: [] })
    expect(snap.current?.utilization).toBe(0.2)
  })

  it('sample() reports utilization 0 when the probe does not know max', () => {
    const monitor = make(fakeProbe({ active: 3, max: 0 }), { autoStart: false })
    expect(monitor.sample().utilization).toBe(0)
  })

  it('history() keeps only the last historySize samples', () => {
    const probe = fakeProbe()
    const monitor = make(probe, { autoStart: false, historySize: 3 })
    for (let i = 1; i <= 5; i++) {
      probe.set({ active: i })
      monitor.sample()
    }
    expect(monitor.history().map((s) => s.active)).toEqual([3, 4, 5])
    expect(monitor.snapshot().samples).toBe(5)
  })

  it('onAlert fires once when a threshold is crossed and once when it recovers, not on every sample', () => {
    const alerts: PoolAlert[] = []
    const probe = fakeProbe({ active: 5 })
    const monitor = make(probe, { autoStart: false, onAlert: (a) => alerts.push(a) })
    monitor.sample()
    probe.set({ active: 9, waiting: 2 })
    monitor.sample()
    monitor.sample()
    monitor.sample()
    expect(alerts.map((a) => [a.kind, a.status, a.value, a.threshold])).toEqual([
      ['utilization', 'firing', 0.9, 0.9],
      ['waiting', 'firing', 2, 1],
    ])
    expect(monitor.snapshot().alerts).toEqual(['utilization', 'waiting'])
    probe.set({ active: 1, waiting: 0 })
    monitor.sample()
    monitor.sample()
    expect(alerts.slice(2).map((a) => [a.kind, a.status])).toEqual([
      ['utilization', 'resolved'],
      ['waiting', 'resolved'],
    ])
    expect(monitor.snapshot().alerts).toEqual([])
  })

  it('recordAcquireWait() feeds the histogram; the p95 alert uses the waits since the previous sample', () => {
    const alerts: PoolAlert[] = []
    const monitor = make(fakeProbe(), {
      autoStart: false,
      alerts: { acquireWaitP95Ms: 50, utilization: false, waiting: false },
      onAlert: (a) => alerts.push(a),
    })
    for (let i = 0; i < 100; i++) monitor.recordAcquireWait(i < 90 ? 1 : 200)
    monitor.sample()
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ kind: 'acquireWaitP95Ms', status: 'firing', threshold: 50 })
    expect(alerts[0]!.value).toBeCloseTo(200, -1)
    for (let i = 0; i < 100; i++) monitor.recordAcquireWait(2)
    monitor.sample()
    expect(alerts[1]).toMatchObject({ kind: 'acquireWaitP95Ms', status: 'resolved' })
    const wait = monitor.snapshot().acquireWait
    expect(wait.count).toBe(200)
    expect(wait.max).toBe(200)
    expect(() => monitor.recordAcquireWait(-1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('keeps sampling when the probe throws, reporting through onError', () => {
    const probe = fakeProbe()
    const errors: unknown[] = []
    let calls = 0
    vi.spyOn(probe, 'stats').mockImplementation(() => {
      calls += 1
      if (calls === 1) throw new Error('pool gone')
      return { total: 1, idle: 1, active: 0, waiting: 0, max: 1, min: 0 }
    })
    const monitor = make(probe, { intervalMs: 100, onError: (e) => errors.push(e) })
    vi.advanceTimersByTime(300)
    expect(errors).toHaveLength(1)
    expect(monitor.history()).toHaveLength(2)
  })

  it('publishes samples and alerts on the perf:pool channel', () => {
    const messages: Array<Record<string, unknown>> = []
    const listener = (m: unknown): void => {
      messages.push(m as Record<string, unknown>)
    }
    diagnosticsChannel.subscribe('perf:pool', listener)
    try {
      make(fakeProbe({ active: 10 }), { autoStart: false }).sample()
    } finally {
      diagnosticsChannel.unsubscribe('perf:pool', listener)
    }
    expect(messages.map((m) => m.type)).toEqual(['pool.sample', 'pool.alert'])
    expect(messages[0]).toMatchObject({ pool: 'fake', active: 10, utilization: 1 })
  })

  it('reset() forgets history, peaks, waits and alerts', () => {
    const monitor = make(fakeProbe({ active: 10, waiting: 3 }), { autoStart: false })
    monitor.recordAcquireWait(5)
    monitor.sample()
    monitor.reset()
    expect(monitor.snapshot()).toMatchObject({
      current: undefined,
      peakActive: 0,
      peakWaiting: 0,
      samples: 0,
      alerts: [],
    })
    expect(monitor.snapshot().acquireWait.count).toBe(0)
    expect(monitor.history()).toEqual([])
  })

  it('constructor rejects bad options with INVALID_OPTION naming the option', () => {
    const probe = fakeProbe()
    const cases: Array<[string, unknown, unknown]> = [
      ['probe', {}, {}],
      ['intervalMs', probe, { intervalMs: 5 }],
      ['intervalMs', probe, { intervalMs: 'often' }],
      ['historySize', probe, { historySize: 0 }],
      ['alerts', probe, { alerts: 3 }],
      ['alerts.utilization', probe, { alerts: { utilization: 0 } }],
      ['alerts.utilization', probe, { alerts: { utilization: 1.2 } }],
      ['alerts.waiting', probe, { alerts: { waiting: 0.5 } }],
      ['alerts.acquireWaitP95Ms', probe, { alerts: { acquireWaitP95Ms: -1 } }],
      ['onAlert', probe, { onAlert: 'log' }],
      ['onError', probe, { onError: 1 }],
      ['clock.now', probe, { clock: {} }],
    ]
    for (const [option, p, options] of cases) {
      let caught: unknown
      try {
        make(p as PoolProbe, { autoStart: false, ...(options as object) })
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_OPTION'), option).toBe(true)
      expect((caught as PerfError).context.option).toBe(option)
    }
    expect(vi.getTimerCount()).toBe(0)
  })
})
