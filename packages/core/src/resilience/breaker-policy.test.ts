import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CircuitBreaker } from './circuit-breaker.js'

const ok = (): Promise<string> => Promise.resolve('ok')
const boom = (): Promise<never> => Promise.reject(new Error('boom'))

async function run(breaker: CircuitBreaker, successes: number, failures: number): Promise<void> {
  for (let i = 0; i < successes; i++) await breaker.execute(ok)
  for (let i = 0; i < failures; i++) await breaker.execute(boom).catch(() => undefined)
}

describe('CircuitBreaker ratio policy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const ratio = (minimumCalls: number) =>
    new CircuitBreaker({
      policy: { kind: 'ratio', threshold: 0.5, minimumCalls, windowMs: 1_000, buckets: 10 },
      halfOpenAfterMs: 100,
    })

  it('execute() stays closed below minimumCalls even when every call fails', async () => {
    const breaker = ratio(5)
    await run(breaker, 0, 4)
    expect(breaker.state).toBe('closed')
    await run(breaker, 0, 1)
    expect(breaker.state).toBe('open')
  })

  it('execute() opens when failures reach the threshold share of calls in the window', async () => {
    const breaker = ratio(4)
    await run(breaker, 3, 2)
    expect(breaker.state).toBe('closed')
    expect(breaker.toJSON().counts).toEqual({ failures: 2, calls: 5, threshold: 0.5 })
    await run(breaker, 0, 1)
    expect(breaker.state).toBe('open')
  })

  it('execute() forgets outcomes older than windowMs, one bucket at a time', async () => {
    const breaker = ratio(4)
    await run(breaker, 0, 3)
    vi.advanceTimersByTime(500)
    await run(breaker, 4, 0)
    expect(breaker.toJSON().counts).toMatchObject({ failures: 3, calls: 7 })
    // At t=1000 the bucket holding the failures (t in [0,100)) has left the window.
    vi.advanceTimersByTime(500)
    expect(breaker.toJSON().counts).toMatchObject({ failures: 0, calls: 4 })
    await run(breaker, 0, 3)
    expect(breaker.state).toBe('closed')
    await run(breaker, 0, 1)
    expect(breaker.state).toBe('open')
  })

  it('execute() clears the whole window after a long idle period', async () => {
    const breaker = ratio(2)
    await run(breaker, 0, 1)
    vi.advanceTimersByTime(60_000)
    expect(breaker.toJSON().counts).toMatchObject({ failures: 0, calls: 0 })
    await run(breaker, 1, 1)
    expect(breaker.state).toBe('open')
  })

  it('execute() starts from an empty window after the circuit closes again', async () => {
    const breaker = ratio(2)
    await run(breaker, 0, 2)
    expect(breaker.state).toBe('open')
    vi.advanceTimersByTime(100)
    await run(breaker, 1, 0)
    expect(breaker.state).toBe('closed')
    expect(breaker.toJSON().counts).toMatchObject({ failures: 0, calls: 0 })
  })
})
