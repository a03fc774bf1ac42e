import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BrokenCircuitError, isPerfError, type PerfError } from '../errors.js'
import { rejection } from '../__tests__/errors.js'
import { deferred } from '../cache/__tests__/helpers.js'
import { CircuitBreaker, type CircuitStateChange } from './circuit-breaker.js'

const ok = (): Promise<string> => Promise.resolve('ok')
const boom = (): Promise<never> => Promise.reject(new Error('boom'))

async function fail(breaker: CircuitBreaker, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.execute(boom).catch(() => undefined)
}

describe('CircuitBreaker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('enter()/settle() count like execute(): failures open, a probe after the delay closes, stale tickets are ignored', async () => {
    const breaker = new CircuitBreaker({ policy: { kind: 'consecutive', threshold: 2 }, halfOpenAfterMs: 1_000 })
    const stale = breaker.enter()
    breaker.settle(breaker.enter(), true, new Error('a'))
    breaker.settle(breaker.enter(), true, new Error('b'))
    expect(breaker.state).toBe('open')
    expect(() => breaker.enter()).toThrow(BrokenCircuitError)
    breaker.settle(stale, true, new Error('late')) // admitted before the circuit opened: not counted again
    expect(breaker.state).toBe('open')
    vi.advanceTimersByTime(1_000)
    const probe = breaker.enter()
    expect(() => breaker.enter()).toThrow(expect.objectContaining({ code: 'CIRCUIT_OPEN' })) // one probe slot, taken
    breaker.settle(probe, false)
    expect(breaker.state).toBe('closed')
    breaker.settle(breaker.enter(), true, new Error('c'))
    breaker.settle(breaker.enter(), false) // a success resets the consecutive count
    breaker.settle(breaker.enter(), true, new Error('d'))
    expect(breaker.state).toBe('closed')
  })

  it('execute() passes values and errors through while closed', async () => {
    const breaker = new CircuitBreaker()
    await expect(breaker.execute(ok)).resolves.toBe('ok')
    await expect(breaker.execute(() => 42)).resolves.toBe(42)
    await expect(breaker.execute(boom)).rejects.toThrow('boom')
    await expect(
      breaker.execute(() => {
        throw new Error('sync')
      }),
    ).rejects.toThrow('sync')
    expect(breaker.state).toBe('closed')
  })

  it('execute() opens after `threshold` consecutive failures, and a success resets the count', async () => {
    const breaker = new CircuitBreaker({ policy: { kind: 'consecutive', threshold: 3 } })
    await fail(breaker, 2)
    await breaker.execute(ok)
    await fail(breaker, 2)
    expect(breaker.state).toBe('closed')
    await fail(breaker, 1)
    expect(breaker.state).toBe('open')
  })

  it('execute() rejects with BrokenCircuitError carrying retryAfterMs while open, without calling fn', async () => {
    const breaker = new CircuitBreaker({
      name: 'db',
      policy: { kind: 'consecutive', threshold: 1 },
      halfOpenAfterMs: '5s',
    })
    await fail(breaker, 1)
    vi.advanceTimersByTime(1_200)
    const fn = vi.fn(ok)
    const err = await rejection(breaker.execute(fn))
    expect(err).toBeInstanceOf(BrokenCircuitError)
    expect(isPerfError(err, 'CIRCUIT_OPEN')).toBe(true)
    expect(err.context).toMatchObject({ name: 'db', state: 'open', retryAfterMs: 3_800 })
    expect(err.message).toContain('"db"')
    expect(fn).not.toHaveBeenCalled()
  })

  it('execute() moves to half-open after halfOpenAfterMs and closes when the probe succeeds', async () => {
    const breaker = new CircuitBreaker({ policy: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 1_000 })
    await fail(breaker, 1)
    vi.advanceTimersByTime(999)
    expect(breaker.state).toBe('open')
    vi.advanceTimersByTime(1)
    expect(breaker.state).toBe('half-open')
    await expect(breaker.execute(ok)).resolves.toBe('ok')
    expect(breaker.state).toBe('closed')
  })

  it('execute() re-opens when the half-open probe fails, restarting the delay', async () => {
    const breaker = new CircuitBreaker({ policy: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 1_000 })
    await fail(breaker, 1)
    vi.advanceTimersByTime(1_000)
    await fail(breaker, 1)
    expect(breaker.state).toBe('open')
    const err = await rejection(breaker.execute(ok))
    expect(err.context.retryAfterMs).toBe(1_000)
  })

  it('execute() lets only halfOpenMaxProbes concurrent probes through while half-open', async () => {
    const breaker = new CircuitBreaker({
      policy: { kind: 'consecutive', threshold: 1 },
      halfOpenAfterMs: 100,
      halfOpenMaxProbes: 2,
    })
    await fail(breaker, 1)
    vi.advanceTimersByTime(100)
    const first = deferred<string>()
    const second = deferred<string>()
    const p1 = breaker.execute(() => first.promise)
    const p2 = breaker.execute(() => second.promise)
    const third = await rejection(breaker.execute(ok))
    expect(third).toBeInstanceOf(BrokenCircuitError)
    expect(third.context).toMatchObject({ state: 'half-open', retryAfterMs: 0 })
    first.resolve('a')
    await expect(p1).resolves.toBe('a')
    expect(breaker.state).toBe('closed')
    // The second probe started in the old half-open state: its failure must not re-open the circuit.
    second.reject(new Error('late'))
    await expect(p2).rejects.toThrow('late')
    expect(breaker.state).toBe('closed')
  })

  it('execute() keeps the circuit open when a probe from the re-opened half-open state succeeds late', async () => {
    const breaker = new CircuitBreaker({
      policy: { kind: 'consecutive', threshold: 1 },
      halfOpenAfterMs: 100,
      halfOpenMaxProbes: 2,
    })
    await fail(breaker, 1)
    vi.advanceTimersByTime(100)
    const first = deferred<string>()
    const second = deferred<string>()
    const p1 = breaker.execute(() => first.promise)
    const p2 = breaker.execute(() => second.promise)
    first.reject(new Error('still down'))
    await expect(p1).rejects.toThrow('still down')
    expect(breaker.state).toBe('open')
    second.resolve('lucky')
    await expect(p2).resolves.toBe('lucky')
    expect(breaker.state).toBe('open')
  })

  it('execute() frees the probe slot of an aborted probe without deciding the state', async () => {
    const breaker = new CircuitBreaker({ policy: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 100 })
    await fail(breaker, 1)
    vi.advanceTimersByTime(100)
    const controller = new AbortController()
    const probe = breaker.execute(
      (signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
      controller.signal,
    )
    controller.abort(new Error('caller gave up'))
    await expect(probe).rejects.toThrow('caller gave up')
    expect(breaker.state).toBe('half-open')
    await expect(breaker.execute(ok)).resolves.toBe('ok')
    expect(breaker.state).toBe('closed')
  })

  it('execute() rejects at once with an already-aborted signal and does not count it', async () => {
    const breaker = new CircuitBreaker({ policy: { kind: 'consecutive', threshold: 1 } })
    const fn = vi.fn(ok)
    const err = await rejection(breaker.execute(fn, AbortSignal.abort()))
    expect(isPerfError(err, 'ABORTED')).toBe(true)
    expect(fn).not.toHaveBeenCalled()
    expect(breaker.state).toBe('closed')
  })

  it('execute() counts errors rejected by isFailure as successes', async () => {
    const breaker = new CircuitBreaker({
      policy: { kind: 'consecutive', threshold: 2 },
      isFailure: (err) => (err as Error).message !== 'not found',
    })
    await fail(breaker, 1)
    await breaker.execute(() => Promise.reject(new Error('not found'))).catch(() => undefined)
    await fail(breaker, 1)
    expect(breaker.state).toBe('closed')
    await fail(breaker, 1)
    expect(breaker.state).toBe('open')
  })

  it('execute() ignores the outcome of a call that started before the circuit opened', async () => {
    const breaker = new CircuitBreaker({ policy: { kind: 'consecutive', threshold: 1 }, halfOpenAfterMs: 100 })
    const slow = deferred<string>()
    const pending = breaker.execute(() => slow.promise)
    await fail(breaker, 1)
    slow.resolve('late')
    await expect(pending).resolves.toBe('late')
    expect(breaker.state).toBe('open')
  })

  it('on("stateChange") and onStateChange report every transition with its reason, once', async () => {
    const seen: CircuitStateChange[] = []
    const breaker = new CircuitBreaker({
      name: 'api',
      policy: { kind: 'consecutive', threshold: 1 },
      halfOpenAfterMs: 10,
      onStateChange: (c) => seen.push(c),
    })
    const viaOn: string[] = []
    const off = breaker.on('stateChange', (c) => viaOn.push(`${c.from}->${c.to}`))
    breaker.on('stateChange', () => {
      throw new Error('listener bug')
    })
    await fail(breaker, 1)
    await breaker.execute(ok).catch(() => undefined)
    vi.advanceTimersByTime(10)
    await breaker.execute(ok)
    off()
    await fail(breaker, 1)
    expect(seen.map((c) => [c.from, c.to, c.reason])).toEqual([
      ['closed', 'open', 'failures'],
      ['open', 'half-open', 'half-open-after'],
      ['half-open', 'closed', 'probe-succeeded'],
      ['closed', 'open', 'failures'],
    ])
    expect(seen[0]).toMatchObject({ name: 'api', at: 1_000_000 })
    expect(viaOn).toEqual(['closed->open', 'open->half-open', 'half-open->closed'])
  })

  it('publishes state changes and rejections on the perf:resilience channel', async () => {
    const messages: Array<Record<string, unknown>> = []
    const listener = (m: unknown): void => {
      messages.push(m as Record<string, unknown>)
    }
    diagnosticsChannel.subscribe('perf:resilience', listener)
    try {
      const breaker = new CircuitBreaker({ name: 'chan', policy: { kind: 'consecutive', threshold: 1 } })
      await fail(breaker, 1)
      await breaker.execute(ok).catch(() => undefined)
    } finally {
      diagnosticsChannel.unsubscribe('perf:resilience', listener)
    }
    expect(messages.map((m) => m.type)).toEqual(['circuit.stateChange', 'circuit.rejected'])
    expect(messages[0]).toMatchObject({ name: 'chan', from: 'closed', to: 'open' })
  })

  it('isolate() holds the circuit open until every handle is disposed; reset() closes it', async () => {
    const breaker = new CircuitBreaker({ halfOpenAfterMs: 10 })
    const a = breaker.isolate()
    const b = breaker.isolate()
    expect(breaker.state).toBe('open')
    vi.advanceTimersByTime(1_000)
    const err = await rejection(breaker.execute(ok))
    expect(err.context).toMatchObject({ isolated: true })
    expect(err.context.retryAfterMs).toBeUndefined()
    a.dispose()
    a.dispose()
    expect(breaker.isIsolated).toBe(true)
    b.dispose()
    expect(breaker.state).toBe('closed')
    breaker.isolate()
    breaker.reset()
    expect(breaker.isIsolated).toBe(false)
    await expect(breaker.execute(ok)).resolves.toBe('ok')
  })

  it('toJSON() reports state, isolation, retryAfterMs and counts', async () => {
    const breaker = new CircuitBreaker({
      name: 'j',
      policy: { kind: 'consecutive', threshold: 2 },
      halfOpenAfterMs: 500,
    })
    await fail(breaker, 1)
    expect(breaker.toJSON()).toEqual({
      name: 'j',
      state: 'closed',
      isolated: false,
      retryAfterMs: 0,
      counts: { consecutiveFailures: 1, threshold: 2 },
    })
    await fail(breaker, 1)
    vi.advanceTimersByTime(200)
    expect(breaker.toJSON()).toMatchObject({ state: 'open', retryAfterMs: 300 })
  })

  it('constructor rejects bad options with INVALID_OPTION naming the option', () => {
    const cases: Array<[string, object]> = [
      ['policy.threshold', { policy: { kind: 'consecutive', threshold: 0 } }],
      ['policy.kind', { policy: { kind: 'nope' } }],
      ['policy.threshold', { policy: { kind: 'ratio', threshold: 1.5, minimumCalls: 1, windowMs: 1000 } }],
      ['policy.threshold', { policy: { kind: 'ratio', threshold: 0, minimumCalls: 1, windowMs: 1000 } }],
      ['policy.minimumCalls', { policy: { kind: 'ratio', threshold: 0.5, minimumCalls: 0, windowMs: 1000 } }],
      ['policy.windowMs', { policy: { kind: 'ratio', threshold: 0.5, minimumCalls: 1, windowMs: 'soon' } }],
      ['policy.buckets', { policy: { kind: 'ratio', threshold: 0.5, minimumCalls: 1, windowMs: 1000, buckets: 0 } }],
      ['halfOpenAfterMs', { halfOpenAfterMs: -1 }],
      ['halfOpenMaxProbes', { halfOpenMaxProbes: 0 }],
      ['isFailure', { isFailure: 'yes' }],
      ['onStateChange', { onStateChange: 1 }],
      ['clock.now', { clock: {} }],
      ['name', { name: '' }],
    ]
    for (const [option, options] of cases) {
      let caught: unknown
      try {
        new CircuitBreaker(options as never)
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_OPTION'), option).toBe(true)
      expect((caught as PerfError).context.option).toBe(option)
    }
  })
})
