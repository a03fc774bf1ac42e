import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isPerfError, type PerfError } from '../errors.js'
import { backoff, type Backoff } from './backoff.js'
import { retry, type RetryEvent } from './retry.js'

/** A function failing `failures` times, recording the fake time of each call. */
function flaky(failures: number, value = 'ok'): { fn: () => Promise<string>; calls: number[] } {
  const calls: number[] = []
  return {
    calls,
    fn: async () => {
      calls.push(Date.now())
      if (calls.length <= failures) throw new Error(`failure ${calls.length}`)
      return value
    },
  }
}

/** The gaps between successive call times. */
const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - (times[i] as number))

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
  await vi.runAllTimersAsync()
  return outcome
}

describe('retry', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  const curves: Array<[string, Backoff, number[]]> = [
    ['exponential', backoff.exponential({ initialMs: 100, jitter: 'none' }), [100, 200, 400, 800]],
    ['exponential capped', backoff.exponential({ initialMs: 100, maxMs: 300, jitter: 'none' }), [100, 200, 300, 300]],
    ['linear', backoff.linear({ initialMs: 100, stepMs: 50, jitter: 'none' }), [100, 150, 200, 250]],
    ['fixed', backoff.fixed({ initialMs: 70 }), [70, 70, 70, 70]],
    ['fibonacci', backoff.fibonacci({ initialMs: 100, jitter: 'none' }), [100, 100, 200, 300]],
  ]
  for (const [name, curve, expected] of curves) {
    it(`retry() waits exactly the ${name} delays between attempts`, async () => {
      const { fn, calls } = flaky(4)
      const events: RetryEvent[] = []
      const outcome = await settle(retry(fn, { maxAttempts: 5, backoff: curve, onRetry: (e) => events.push(e) }))
      expect(outcome.value).toBe('ok')
      expect(calls).toHaveLength(5)
      expect(gaps(calls)).toEqual(expected)
      expect(events.map((e) => e.delayMs)).toEqual(expected)
      expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4])
      expect((events[3]?.error as Error).message).toBe('failure 4')
    })
  }

  it('retry() with full jitter waits within [0, delay] as drawn from the injected random source', async () => {
    const draws = [0.25, 1, 0]
    const { fn, calls } = flaky(3)
    const curve = backoff.exponential({ initialMs: 100, random: () => draws.shift() ?? 0 })
    await settle(retry(fn, { maxAttempts: 4, backoff: curve }))
    expect(gaps(calls)).toEqual([25, 200, 0])
  })

  it('retry() rejects with RETRY_EXHAUSTED after maxAttempts, with the last error as cause and attempts/elapsed in context', async () => {
    const { fn, calls } = flaky(10)
    const { error } = await settle(retry(fn, { maxAttempts: 3, backoff: backoff.fixed({ initialMs: 100 }) }))
    expect(isPerfError(error, 'RETRY_EXHAUSTED')).toBe(true)
    expect(((error as PerfError).cause as Error).message).toBe('failure 3')
    expect((error as PerfError).context).toMatchObject({ attempts: 3, elapsedMs: 200, limit: 'maxAttempts' })
    expect(calls).toEqual([0, 100, 200])
  })

  it('retry() stops before a wait that would pass maxElapsedMs', async () => {
    const { fn, calls } = flaky(100)
    const { error } = await settle(
      retry(fn, {
        maxAttempts: Infinity,
        maxElapsedMs: 1_000,
        backoff: backoff.exponential({ initialMs: 100, jitter: 'none' }),
      }),
    )
    // waits 100, 200, 400 (elapsed 700); the next wait of 800 would end at 1500 > 1000
    expect(calls).toEqual([0, 100, 300, 700])
    expect((error as PerfError).context).toMatchObject({ attempts: 4, elapsedMs: 700, limit: 'maxElapsedMs' })
  })

  it('retry() counts slow attempts against maxElapsedMs', async () => {
    let calls = 0
    const slow = async (): Promise<never> => {
      calls++
      await new Promise((resolve) => setTimeout(resolve, 400))
      throw new Error('slow failure')
    }
    const { error } = await settle(
      retry(slow, { maxAttempts: 10, maxElapsedMs: '1s', backoff: backoff.fixed({ initialMs: 50 }) }),
    )
    // attempts end at 400, 850 and 1300; after the third no wait fits in the 1 s budget
    expect(calls).toBe(3)
    expect((error as PerfError).context).toMatchObject({ attempts: 3, elapsedMs: 1_300, limit: 'maxElapsedMs' })
  })

  it('retry() rethrows a non-retryable error at once, without RETRY_EXHAUSTED', async () => {
    const fatal = new Error('constraint violated')
    let calls = 0
    const { error } = await settle(
      retry(
        async () => {
          calls++
          throw calls === 1 ? new Error('transient') : fatal
        },
        {
          maxAttempts: 5,
          backoff: backoff.fixed({ initialMs: 10 }),
          retryable: (e) => (e as Error).message === 'transient',
        },
      ),
    )
    expect(error).toBe(fatal)
    expect(calls).toBe(2)
  })

  it('retry() passes the attempt number and the signal to fn', async () => {
    const controller = new AbortController()
    const seen: Array<[number, AbortSignal | undefined]> = []
    await settle(
      retry(
        ({ attempt, signal }) => {
          seen.push([attempt, signal])
          if (attempt < 2) throw new Error('again')
          return 'done'
        },
        { backoff: backoff.fixed({ initialMs: 1 }), signal: controller.signal },
      ),
    )
    expect(seen).toEqual([
      [1, controller.signal],
      [2, controller.signal],
    ])
  })

  it('retry() rejects with the abort reason when aborted during a wait, and makes no further attempt', async () => {
    const controller = new AbortController()
    const { fn, calls } = flaky(10)
    const outcome = retry(fn, {
      maxAttempts: 5,
      backoff: backoff.fixed({ initialMs: 1_000 }),
      signal: controller.signal,
    }).then(
      () => 'resolved',
      (error: unknown) => error,
    )
    await vi.advanceTimersByTimeAsync(500)
    const reason = new Error('shutting down')
    controller.abort(reason)
    expect(await outcome).toBe(reason)
    await vi.runAllTimersAsync()
    expect(calls).toEqual([0])
  })

  it('retry() with an already-aborted signal never calls fn', async () => {
    const controller = new AbortController()
    controller.abort()
    let called = false
    const { error } = await settle(retry(() => (called = true), { signal: controller.signal }))
    expect(isPerfError(error, 'ABORTED')).toBe(true)
    expect(called).toBe(false)
  })

  it('retry() rejects malformed policies with INVALID_OPTION naming the option', async () => {
    const cases: Array<[string, object]> = [
      ['maxAttempts', { maxAttempts: 0 }],
      ['maxAttempts', { maxAttempts: Infinity }],
      ['maxElapsedMs', { maxElapsedMs: -5 }],
      ['backoff', { backoff: {} }],
      ['retryable', { retryable: true }],
      ['onRetry', { onRetry: 'log' }],
      ['signal', { signal: {} }],
      ['clock', { clock: {} }],
    ]
    for (const [option, policy] of cases) {
      const { error } = await settle(retry(() => 1, policy))
      expect(isPerfError(error, 'INVALID_OPTION'), option).toBe(true)
      expect((error as PerfError).context.option).toBe(option)
    }
  })
})
