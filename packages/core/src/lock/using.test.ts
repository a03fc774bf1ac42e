import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isPerfError, LockError } from '../errors.js'
import { LocalLocker } from './local-locker.js'
import { runWithLock } from './run-with-lock.js'
import type { Lock, LockEvent } from './types.js'

const settle = <T>(promise: Promise<T>): Promise<T | unknown> =>
  promise.then(
    (v) => v,
    (e: unknown) => e,
  )

/** Resolves when `signal` aborts. */
const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) =>
    signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
  )

/** A hand-made Lock whose extend/release behaviour each test scripts. */
function scriptedLock(overrides: Partial<Pick<Lock, 'extend' | 'release'>> = {}): Lock & { extensions: number } {
  let expiresAt = Date.now() + 1_000
  let held = true
  const lock = {
    resources: ['r'],
    owner: 'o',
    fence: 1,
    extensions: 0,
    get expiresAt() {
      return expiresAt
    },
    get isHeld() {
      return held && Date.now() < expiresAt
    },
    extend: async (ttlMs: number) => {
      lock.extensions++
      await overrides.extend?.(ttlMs)
      expiresAt = Date.now() + ttlMs
    },
    release: async () => {
      if (overrides.release) return overrides.release()
      held = false
    },
  }
  return lock
}

describe('LocalLocker.using', () => {
  let unhandled: unknown[]
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
    unhandled = []
    process.on('unhandledRejection', onUnhandled)
  })
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled)
    vi.useRealTimers()
    expect(unhandled).toEqual([])
  })

  it("using() returns fn's value and leaves nothing behind", async () => {
    const locker = new LocalLocker()
    const value = await locker.using(['b', 'a'], 1_000, async (signal, lock) => {
      expect(lock.resources).toEqual(['a', 'b'])
      expect(signal.aborted).toBe(false)
      return 'done'
    })
    expect(value).toBe('done')
    expect(locker.stats()).toMatchObject({ heldResources: 0, locks: 0 })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('using() extends the lock when extendAt of the ttl is left, for as long as fn runs', async () => {
    const locker = new LocalLocker()
    const expiries: number[] = []
    const run = locker.using('r', 1_000, async (_signal, lock) => {
      expiries.push(lock.expiresAt)
      for (let i = 0; i < 5; i++) {
        await vi.advanceTimersByTimeAsync(500)
        expiries.push(lock.expiresAt)
      }
      expect(isPerfError(await settle(locker.acquire('r', 100, { waitMs: 0, owner: 'other' })), 'LOCK_TIMEOUT')).toBe(
        true,
      )
      return lock.isHeld
    })
    expect(await run).toBe(true)
    const start = 1_000_000
    // Extended at 500 ms (half the ttl left) to now + 1000, and again every 500 ms.
    expect(expiries).toEqual([start + 1_000, start + 1_500, start + 2_000, start + 2_500, start + 3_000, start + 3_500])
  })

  it('using() honours a custom extendAt', async () => {
    const locker = new LocalLocker()
    await locker.using(
      'r',
      1_000,
      async (_signal, lock) => {
        await vi.advanceTimersByTimeAsync(799)
        expect(lock.expiresAt).toBe(1_000_000 + 1_000)
        await vi.advanceTimersByTimeAsync(1)
        expect(lock.expiresAt).toBe(1_000_000 + 800 + 1_000)
      },
      { extendAt: 0.2 },
    )
    expect(
      isPerfError(await settle(locker.using('r', 1_000, async () => 1, { extendAt: 1.5 })), 'INVALID_OPTION'),
    ).toBe(true)
  })

  it("using() rejects with fn's error and releases the lock", async () => {
    const locker = new LocalLocker()
    const boom = new Error('boom')
    expect(await settle(locker.using('r', 1_000, async () => Promise.reject(boom)))).toBe(boom)
    expect(locker.stats()).toMatchObject({ heldResources: 0, locks: 0 })
  })

  it("using() aborts fn's signal with LOCK_LOST when the lock is lost, then rejects with LOCK_LOST", async () => {
    const clock = { offset: 0, now: () => Date.now() + clock.offset }
    const locker = new LocalLocker({ clock })
    let reason: unknown
    const run = settle(
      locker.using('r', 1_000, async (signal) => {
        clock.offset = 5_000 // a long pause: the lock expired while we were not looking
        await vi.advanceTimersByTimeAsync(500) // the extension attempt finds it lost
        await aborted(signal)
        reason = signal.reason
        return 'finished anyway'
      }),
    )
    const error = await run
    expect(reason).toBeInstanceOf(LockError)
    expect(isPerfError(reason, 'LOCK_LOST')).toBe(true)
    expect(isPerfError(error, 'LOCK_LOST')).toBe(true)
    expect(locker.stats()).toMatchObject({ heldResources: 0, locks: 0 })
  })

  it("using() aborts fn's signal at once when the locker closes, before any extension is due", async () => {
    const locker = new LocalLocker()
    let abortedAt = 0
    const run = settle(
      locker.using('r', 10_000, async (signal) => {
        await aborted(signal)
        abortedAt = Date.now()
      }),
    )
    await vi.advanceTimersByTimeAsync(10)
    await locker.close()
    expect(isPerfError(await run, 'LOCK_LOST')).toBe(true)
    expect(abortedAt).toBe(1_000_000 + 10)
  })

  it("using() passes opts.signal through to fn's signal and still releases after fn settles", async () => {
    const locker = new LocalLocker()
    const controller = new AbortController()
    const run = locker.using(
      'r',
      1_000,
      async (signal) => {
        controller.abort()
        await aborted(signal)
        return isPerfError(signal.reason, 'ABORTED')
      },
      { signal: controller.signal },
    )
    expect(await run).toBe(true)
    expect(locker.stats()).toMatchObject({ heldResources: 0, locks: 0 })
  })

  it('using() makes acquires inside fn belong to the same owner, unless they name another', async () => {
    const locker = new LocalLocker()
    const owners = await locker.using('outer', 1_000, async (_signal, outer) => {
      const inner = await locker.acquire('inner', 1_000)
      const nested = await locker.using('nested', 1_000, async (_s, lock) => lock.owner)
      const named = await locker.acquire('named', 1_000, { owner: 'someone-else' })
      await Promise.all([inner.release(), named.release()])
      return [outer.owner, inner.owner, nested, named.owner]
    })
    expect(owners[1]).toBe(owners[0])
    expect(owners[2]).toBe(owners[0])
    expect(owners[3]).toBe('someone-else')
    expect(await locker.using('x', 1_000, async (_s, lock) => lock.owner, { owner: 'me' })).toBe('me')
  })
})

describe('runWithLock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runWithLock() retries an extension that failed for a backend reason while the lock is still valid', async () => {
    let failures = 1
    const lock = scriptedLock({
      extend: async () => {
        if (failures-- > 0) throw new LockError('LOCK_BACKEND_ERROR', 'redis hiccup')
      },
    })
    const value = await runWithLock(lock, 1_000, async (signal) => {
      await vi.advanceTimersByTimeAsync(800)
      return signal.aborted
    })
    expect(value).toBe(false)
    expect(lock.extensions).toBe(2)
  })

  it('runWithLock() declares the lock lost when extensions keep failing until expiry', async () => {
    const backend = new LockError('LOCK_BACKEND_ERROR', 'redis down')
    const lock = scriptedLock({ extend: async () => Promise.reject(backend) })
    let reason: unknown
    const error = await settle(
      runWithLock(lock, 1_000, async (signal) => {
        await vi.advanceTimersByTimeAsync(1_000)
        reason = signal.reason
      }),
    )
    expect(isPerfError(reason, 'LOCK_LOST')).toBe(true)
    expect((reason as Error).cause).toBe(backend)
    expect(error).toBe(reason)
  })

  it('runWithLock() returns the value when release fails afterwards, and reports it on perf:lock', async () => {
    const events: LockEvent[] = []
    const listener = (message: unknown): void => void events.push(message as LockEvent)
    diagnosticsChannel.subscribe('perf:lock', listener)
    try {
      const failure = new LockError('LOCK_BACKEND_ERROR', 'redis down')
      const lock = scriptedLock({ release: async () => Promise.reject(failure) })
      expect(await runWithLock(lock, 1_000, async () => 7, { locker: 'test' })).toBe(7)
      expect(events).toEqual([
        { type: 'release-failed', locker: 'test', resources: ['r'], owner: 'o', fence: 1, error: failure },
      ])
    } finally {
      diagnosticsChannel.unsubscribe('perf:lock', listener)
    }
  })

  it('runWithLock() releases the lock it was given when extendAt is invalid', async () => {
    const lock = scriptedLock()
    const fn = vi.fn(async () => 1)
    expect(isPerfError(await settle(runWithLock(lock, 1_000, fn, { extendAt: 0 })), 'INVALID_OPTION')).toBe(true)
    expect(fn).not.toHaveBeenCalled()
    expect(lock.isHeld).toBe(false)
  })

  it('runWithLock() waits for an in-flight extension before releasing', async () => {
    const order: string[] = []
    let finishExtend: () => void = () => undefined
    const lock = scriptedLock({
      extend: () =>
        new Promise<void>((resolve) => {
          order.push('extend:start')
          finishExtend = () => {
            order.push('extend:end')
            resolve()
          }
        }),
      release: async () => void order.push('release'),
    })
    let finishFn: () => void = () => undefined
    const run = runWithLock(lock, 1_000, () => new Promise<void>((resolve) => (finishFn = resolve)))
    await vi.advanceTimersByTimeAsync(500)
    finishFn()
    await vi.advanceTimersByTimeAsync(0)
    // fn has settled, but the extension started at 500 ms is still running: no release yet.
    expect(order).toEqual(['extend:start'])
    finishExtend()
    await run
    expect(order).toEqual(['extend:start', 'extend:end', 'release'])
  })
})
