import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isPerfError, LockError } from '../errors.js'
import { LocalLocker } from './local-locker.js'
import type { LocalLockerOptions } from './local-locker-options.js'
import type { Lock, LockEvent } from './types.js'

/** Settles a promise into a value or the error, so fake-timer tests never leave a rejection unhandled. */
const settle = <T>(promise: Promise<T>): Promise<T | unknown> =>
  promise.then(
    (v) => v,
    (e: unknown) => e,
  )
const flush = async (): Promise<void> => void (await vi.advanceTimersByTimeAsync(0))
const IDLE = {
  heldResources: 0,
  holdingOwners: 0,
  queuedResources: 0,
  waiters: 0,
  waitingOwners: 0,
  locks: 0,
  acquiring: 0,
}

describe('LocalLocker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('constructor rejects each bad option with INVALID_OPTION naming it', () => {
    const bad: Array<[string, LocalLockerOptions]> = [
      ['maxWaiters', { maxWaiters: 0 }],
      ['maxTotalWaiters', { maxTotalWaiters: 1.5 }],
      ['detectDeadlocks', { detectDeadlocks: 'yes' as unknown as boolean }],
      ['extendAt', { extendAt: 1 }],
      ['waitMs', { waitMs: -5 }],
      ['waitMs', { waitMs: '3 fortnights' }],
      ['clock', { clock: {} as never }],
      ['name', { name: '' }],
    ]
    for (const [option, options] of bad) {
      let caught: unknown
      try {
        new LocalLocker(options)
      } catch (error) {
        caught = error
      }
      expect(isPerfError(caught, 'INVALID_OPTION'), option).toBe(true)
      expect((caught as Error).message).toContain(option)
    }
  })

  it('acquire() rejects bad resources, ttl and owner with typed errors', async () => {
    const locker = new LocalLocker()
    expect(isPerfError(await settle(locker.acquire([], 100)), 'INVALID_ARGUMENT')).toBe(true)
    expect(isPerfError(await settle(locker.acquire(['a', ''], 100)), 'INVALID_ARGUMENT')).toBe(true)
    expect(isPerfError(await settle(locker.acquire('a', 0)), 'INVALID_TTL')).toBe(true)
    expect(isPerfError(await settle(locker.acquire('a', Number.NaN)), 'INVALID_TTL')).toBe(true)
    expect(isPerfError(await settle(locker.acquire('a', 2 ** 31)), 'INVALID_TTL')).toBe(true)
    expect(isPerfError(await settle(locker.acquire('a', 100, { owner: '' })), 'INVALID_ARGUMENT')).toBe(true)
    expect(isPerfError(await settle(locker.acquire('a', 100, { waitMs: -1 })), 'INVALID_ARGUMENT')).toBe(true)
    expect(locker.stats()).toEqual(IDLE)
  })

  it('acquire() hands a released resource to waiters in FIFO order', async () => {
    const locker = new LocalLocker()
    const holder = await locker.acquire('r', 10_000)
    const order: number[] = []
    const waiters = [0, 1, 2, 3, 4].map((i) =>
      locker.acquire('r', 10_000).then(async (lock) => {
        order.push(i)
        await lock.release()
      }),
    )
    expect(locker.stats().waiters).toBe(5)
    await holder.release()
    await Promise.all(waiters)
    expect(order).toEqual([0, 1, 2, 3, 4])
    expect(locker.stats()).toEqual(IDLE)
  })

  it('acquire() rejects with LOCK_TIMEOUT after waitMs, naming the resource, the holder and the wait', async () => {
    const locker = new LocalLocker()
    await locker.acquire('orders:42', 60_000, { owner: 'worker-1' })
    let result: unknown = 'pending'
    void settle(locker.acquire('orders:42', 1_000, { waitMs: 250, owner: 'worker-2' })).then((r) => (result = r))
    await vi.advanceTimersByTimeAsync(249)
    expect(result).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    expect(result).toBeInstanceOf(LockError)
    expect(isPerfError(result, 'LOCK_TIMEOUT')).toBe(true)
    const { message } = result as Error
    expect(message).toContain('"orders:42"')
    expect(message).toContain('owner "worker-1"')
    expect(message).toContain('waitMs=250')
    expect(locker.stats().waiters).toBe(0)
  })

  it('acquire() uses the waitMs option as the default wait, and waitMs 0 tries once', async () => {
    const locker = new LocalLocker({ waitMs: '2s' })
    await locker.acquire('r', 60_000)
    const started = Date.now()
    const waited = settle(locker.acquire('r', 1_000))
    await vi.advanceTimersByTimeAsync(2_000)
    expect(isPerfError(await waited, 'LOCK_TIMEOUT')).toBe(true)
    expect(Date.now() - started).toBe(2_000)
    const once = await settle(locker.acquire('r', 1_000, { waitMs: 0 }))
    expect(isPerfError(once, 'LOCK_TIMEOUT')).toBe(true)
    expect((once as Error).message).toContain('waitMs=0')
  })

  it('a lock past its ttl is released automatically and the next waiter gets it', async () => {
    const locker = new LocalLocker()
    const first = await locker.acquire('r', 1_000)
    expect(first.expiresAt).toBe(Date.now() + 1_000)
    let second: Lock | undefined
    void locker.acquire('r', 1_000).then((lock) => (second = lock))
    await vi.advanceTimersByTimeAsync(999)
    expect(first.isHeld).toBe(true)
    expect(second).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(first.isHeld).toBe(false)
    expect(second?.isHeld).toBe(true)
    expect(isPerfError(await settle(first.extend(1_000)), 'LOCK_LOST')).toBe(true)
    const release = await settle(first.release())
    expect(isPerfError(release, 'LOCK_NOT_HELD')).toBe(true)
    expect((release as Error).message).toContain('expired')
    // The stale release did not free the new holder's lock.
    expect(second?.isHeld).toBe(true)
    expect(isPerfError(await settle(locker.acquire('r', 1_000, { waitMs: 0 })), 'LOCK_TIMEOUT')).toBe(true)
  })

  it('the clock decides expiry: a lock past expiresAt on the clock is taken over before its timer fires', async () => {
    const clock = { offset: 0, now: () => Date.now() + clock.offset }
    const locker = new LocalLocker({ clock })
    const first = await locker.acquire('r', 1_000)
    clock.offset = 1_000
    expect(first.isHeld).toBe(false)
    const second = await locker.acquire('r', 1_000, { waitMs: 0 })
    expect(second.fence).toBeGreaterThan(first.fence)
    expect(isPerfError(await settle(first.release()), 'LOCK_NOT_HELD')).toBe(true)
  })

  it('extend() sets expiry to now + ttlMs, and rejects with LOCK_NOT_HELD after release', async () => {
    const locker = new LocalLocker()
    const lock = await locker.acquire('r', 1_000)
    await vi.advanceTimersByTimeAsync(800)
    await lock.extend(2_000)
    expect(lock.expiresAt).toBe(Date.now() + 2_000)
    await vi.advanceTimersByTimeAsync(1_500)
    expect(lock.isHeld).toBe(true)
    expect(isPerfError(await settle(lock.extend(0)), 'INVALID_TTL')).toBe(true)
    await lock.release()
    expect(isPerfError(await settle(lock.extend(1_000)), 'LOCK_NOT_HELD')).toBe(true)
    expect(isPerfError(await settle(lock.release()), 'LOCK_NOT_HELD')).toBe(true)
  })

  it('acquire() issues fences greater than every earlier one, across resources', async () => {
    const locker = new LocalLocker()
    const fences: number[] = []
    for (const resource of ['a', 'b', 'a', ['a', 'c'], 'b']) {
      const lock = await locker.acquire(resource, 1_000)
      fences.push(lock.fence)
      await lock.release()
    }
    const first = fences[0] as number
    expect(fences).toEqual([first, first + 1, first + 2, first + 3, first + 4])
  })

  it('a locker created later (a restarted process) issues fences above every fence of the earlier one', async () => {
    let now = 1_700_000_000_000
    const clock = { now: () => now }
    const before = new LocalLocker({ clock })
    let last = 0
    for (let i = 0; i < 500; i++) {
      const lock = await before.acquire('account:1', 1_000)
      last = lock.fence
      await lock.release()
    }
    now += 1 // one millisecond later, the process restarts
    const after = new LocalLocker({ clock })
    const lock = await after.acquire('account:1', 1_000)
    expect(lock.fence).toBeGreaterThan(last)
    expect(Number.isSafeInteger(lock.fence)).toBe(true)
    await lock.release()
  })

  it('acquire() rejects with LOCK_CONTENDED once maxWaiters wait for a resource', async () => {
    const locker = new LocalLocker({ maxWaiters: 2 })
    await locker.acquire('r', 60_000)
    const queued = [settle(locker.acquire('r', 1_000)), settle(locker.acquire('r', 1_000))]
    const rejected = await settle(locker.acquire('r', 1_000))
    expect(isPerfError(rejected, 'LOCK_CONTENDED')).toBe(true)
    expect((rejected as Error).message).toContain('maxWaiters=2')
    expect(locker.stats().waiters).toBe(2)
    // Another resource is not affected by the per-resource cap.
    await locker.acquire('other', 1_000, { waitMs: 0 })
    await locker.close()
    await Promise.all(queued)
  })

  it('acquire() rejects with LOCK_CONTENDED once maxTotalWaiters wait across resources', async () => {
    const locker = new LocalLocker({ maxTotalWaiters: 2 })
    await locker.acquire(['a', 'b', 'c'], 60_000)
    const queued = [settle(locker.acquire('a', 1_000)), settle(locker.acquire('b', 1_000))]
    const rejected = await settle(locker.acquire('c', 1_000))
    expect(isPerfError(rejected, 'LOCK_CONTENDED')).toBe(true)
    expect((rejected as Error).message).toContain('maxTotalWaiters=2')
    await locker.close()
    await Promise.all(queued)
  })

  it('acquire() of several resources holds the taken ones while waiting and gives them back on failure', async () => {
    const locker = new LocalLocker()
    await locker.acquire('b', 60_000)
    const multi = settle(locker.acquire(['b', 'a'], 1_000, { waitMs: 500 }))
    // "a" comes first in canonical order and is held while waiting for "b".
    expect(locker.stats()).toMatchObject({ heldResources: 2, waiters: 1 })
    const forA = locker.acquire('a', 1_000, { waitMs: 5_000 })
    await vi.advanceTimersByTimeAsync(500)
    expect(isPerfError(await multi, 'LOCK_TIMEOUT')).toBe(true)
    const lockA = await forA
    expect(lockA.resources).toEqual(['a'])
  })

  it('an aborted wait leaves the queue at once and the resource goes to the next waiter', async () => {
    const locker = new LocalLocker()
    const holder = await locker.acquire('r', 60_000)
    const controller = new AbortController()
    const aborted = settle(locker.acquire('r', 1_000, { signal: controller.signal }))
    const next = locker.acquire('r', 1_000)
    controller.abort()
    expect(isPerfError(await aborted, 'ABORTED')).toBe(true)
    expect(locker.stats().waiters).toBe(1)
    await holder.release()
    expect((await next).isHeld).toBe(true)
  })

  it('internal state is empty after timeouts, aborts, expiries and releases', async () => {
    const locker = new LocalLocker()
    const held = await locker.acquire(['a', 'b'], 1_000)
    const controller = new AbortController()
    const pending = [
      settle(locker.acquire('a', 1_000, { waitMs: 100 })),
      settle(locker.acquire(['b', 'c'], 1_000, { signal: controller.signal })),
      settle(locker.acquire(['c', 'd'], 5_000).then((lock) => lock.release())),
      settle(locker.acquire('b', 200)),
    ]
    controller.abort()
    await vi.advanceTimersByTimeAsync(3_000)
    await Promise.all(pending)
    expect(held.isHeld).toBe(false)
    expect(locker.stats()).toEqual(IDLE)
  })

  it('close() rejects waiters with ABORTED, marks held locks lost and refuses new acquires', async () => {
    const locker = new LocalLocker()
    const lock = await locker.acquire('r', 60_000)
    const lost = vi.fn()
    lock.onLost?.(lost)
    const waiting = settle(locker.acquire('r', 1_000))
    await locker.close()
    expect(isPerfError(await waiting, 'ABORTED')).toBe(true)
    expect(lock.isHeld).toBe(false)
    await flush()
    expect(lost).toHaveBeenCalledTimes(1)
    expect(isPerfError(lost.mock.calls[0]?.[0], 'LOCK_LOST')).toBe(true)
    expect(isPerfError(await settle(lock.release()), 'LOCK_NOT_HELD')).toBe(true)
    expect(isPerfError(await settle(locker.acquire('x', 1_000)), 'ABORTED')).toBe(true)
    expect(locker.stats()).toEqual(IDLE)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('publishes acquire, extend, release, timeout and lost events on perf:lock', async () => {
    const events: LockEvent[] = []
    const listener = (message: unknown): void => void events.push(message as LockEvent)
    diagnosticsChannel.subscribe('perf:lock', listener)
    try {
      const locker = new LocalLocker({ name: 'unit' })
      const lock = await locker.acquire('r', 1_000, { owner: 'o1' })
      await lock.extend(1_000)
      const timedOut = settle(locker.acquire('r', 1_000, { waitMs: 10, owner: 'o2' }))
      await vi.advanceTimersByTimeAsync(10)
      expect(isPerfError(await timedOut, 'LOCK_TIMEOUT')).toBe(true)
      await lock.release()
      await locker.acquire('r', 100, { owner: 'o3' })
      await vi.advanceTimersByTimeAsync(100)
      expect(events.map((e) => e.type)).toEqual(['acquire', 'extend', 'timeout', 'release', 'acquire', 'lost'])
      expect(events[0]).toMatchObject({
        type: 'acquire',
        locker: 'unit',
        resources: ['r'],
        owner: 'o1',
        fence: lock.fence,
        ttlMs: 1_000,
      })
      expect(events[2]).toMatchObject({ type: 'timeout', owner: 'o2', resource: 'r', holder: 'o1', durationMs: 10 })
      expect(events[5]).toMatchObject({ type: 'lost', owner: 'o3', reason: 'expired', durationMs: 100 })
    } finally {
      diagnosticsChannel.unsubscribe('perf:lock', listener)
    }
  })
})
