import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TimeoutError, isPerfError } from '../errors.js'
import { rejection } from '../__tests__/errors.js'
import { withTimeout } from './with-timeout.js'

describe('withTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it("withTimeout() resolves with fn's value and clears its timer", async () => {
    await expect(withTimeout(async () => 'done', 1_000)).resolves.toBe('done')
    expect(vi.getTimerCount()).toBe(0)
  })

  it("withTimeout() passes fn's rejection (and synchronous throws) through and clears its timer", async () => {
    await expect(withTimeout(() => Promise.reject(new Error('db down')), 1_000)).rejects.toThrow('db down')
    await expect(
      withTimeout(() => {
        throw new Error('sync')
      }, 1_000),
    ).rejects.toThrow('sync')
    expect(vi.getTimerCount()).toBe(0)
  })

  it("withTimeout() rejects with TimeoutError TIMEOUT naming the ms and aborts fn's signal at the deadline", async () => {
    let seen: AbortSignal | undefined
    const pending = withTimeout((signal) => {
      seen = signal
      return new Promise(() => undefined)
    }, '250ms')
    const caught = rejection(pending)
    vi.advanceTimersByTime(249)
    expect(seen?.aborted).toBe(false)
    vi.advanceTimersByTime(1)
    const err = await caught
    expect(err).toBeInstanceOf(TimeoutError)
    expect(isPerfError(err, 'TIMEOUT')).toBe(true)
    expect(err.message).toContain('250ms')
    expect(err.context.timeoutMs).toBe(250)
    expect(seen?.aborted).toBe(true)
    expect(seen?.reason).toBe(err)
  })

  it('withTimeout() ignores a value that arrives after the deadline', async () => {
    let finish!: (v: string) => void
    const caught = rejection(withTimeout(() => new Promise<string>((resolve) => (finish = resolve)), 10))
    vi.advanceTimersByTime(10)
    finish('late')
    expect((await caught).code).toBe('TIMEOUT')
  })

  it("withTimeout() rejects with the caller's abort reason and aborts fn's signal", async () => {
    const controller = new AbortController()
    let seen: AbortSignal | undefined
    const caught = rejection(
      withTimeout(
        (signal) => {
          seen = signal
          return new Promise(() => undefined)
        },
        1_000,
        { signal: controller.signal },
      ),
    )
    controller.abort()
    const err = await caught
    expect(isPerfError(err, 'ABORTED')).toBe(true)
    expect(seen?.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('withTimeout() does not call fn when the signal has already fired', async () => {
    const fn = vi.fn(async () => 1)
    const err = await rejection(withTimeout(fn, 1_000, { signal: AbortSignal.abort(new Error('stop')) }))
    expect(err.message).toBe('stop')
    expect(fn).not.toHaveBeenCalled()
  })

  it('withTimeout() rejects bad arguments with INVALID_ARGUMENT or INVALID_OPTION', () => {
    expect(() => withTimeout(async () => 1, -5)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => withTimeout(async () => 1, 'soon')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => withTimeout('x' as never, 10)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => withTimeout(async () => 1, 10, { signal: {} as AbortSignal })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
  })

  it("withTimeout() rejects with the error timeoutError builds, and aborts fn's signal with it", async () => {
    let seen: AbortSignal | undefined
    const custom = new TimeoutError('LOADER_TIMEOUT', 'loader too slow')
    const caught = rejection(
      withTimeout(
        (signal) => {
          seen = signal
          return new Promise(() => undefined)
        },
        50,
        { timeoutError: () => custom },
      ),
    )
    await vi.advanceTimersByTimeAsync(50)
    expect(await caught).toBe(custom)
    expect(seen?.reason).toBe(custom)
  })
})
