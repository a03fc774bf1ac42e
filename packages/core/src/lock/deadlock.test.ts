import diagnosticsChannel from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import { DeadlockError, isPerfError } from '../errors.js'
import { LocalLocker } from './local-locker.js'
import type { Lock, LockEvent } from './types.js'

const settle = <T>(promise: Promise<T>): Promise<T | unknown> =>
  promise.then(
    (v) => v,
    (e: unknown) => e,
  )

let locker: LocalLocker
afterEach(async () => {
  await locker.close()
})

describe('LocalLocker deadlock detection', () => {
  it('acquire() closing a 2-cycle rejects the youngest waiter with a DeadlockError naming the cycle', async () => {
    locker = new LocalLocker()
    const a1 = await locker.acquire('r1', 60_000, { owner: 'A' })
    const b2 = await locker.acquire('r2', 60_000, { owner: 'B' })
    const aWaits = locker.acquire('r2', 60_000, { owner: 'A' })
    const error = await settle(locker.acquire('r1', 60_000, { owner: 'B' }))
    expect(error).toBeInstanceOf(DeadlockError)
    expect(isPerfError(error, 'DEADLOCK')).toBe(true)
    expect((error as DeadlockError).cycle).toEqual(['B', 'r1', 'A', 'r2', 'B'])
    expect((error as Error).message).toContain('B -> r1 -> A -> r2 -> B')
    // The older waiter keeps waiting and gets the resource once B lets go.
    await b2.release()
    const a2 = await aWaits
    expect(a2.resources).toEqual(['r2'])
    await a1.release()
  })

  it('acquire() closing a 3-cycle names every owner and resource in order', async () => {
    locker = new LocalLocker()
    await locker.acquire('r1', 60_000, { owner: 'A' })
    await locker.acquire('r2', 60_000, { owner: 'B' })
    await locker.acquire('r3', 60_000, { owner: 'C' })
    const aWaits = settle(locker.acquire('r2', 60_000, { owner: 'A' }))
    const bWaits = settle(locker.acquire('r3', 60_000, { owner: 'B' }))
    const error = await settle(locker.acquire('r1', 60_000, { owner: 'C' }))
    expect((error as DeadlockError).cycle).toEqual(['C', 'r1', 'A', 'r2', 'B', 'r3', 'C'])
    expect(locker.stats().waiters).toBe(2)
    await locker.close()
    expect(isPerfError(await aWaits, 'ABORTED')).toBe(true)
    expect(isPerfError(await bWaits, 'ABORTED')).toBe(true)
  })

  it('acquire() rejects the youngest waiter on the cycle even when an older acquire closes it', async () => {
    locker = new LocalLocker()
    const x = await locker.acquire('b', 60_000, { owner: 'X' })
    // A (older) takes "a" and waits for "b"; it will close the cycle later, when it moves on to "c".
    const aAcquire = locker.acquire(['a', 'b', 'c'], 60_000, { owner: 'A' })
    const bHoldsC = await locker.acquire('c', 60_000, { owner: 'B' })
    const bWaitsA = settle(locker.acquire('a', 60_000, { owner: 'B' }))
    await x.release()
    const error = await bWaitsA
    expect(error).toBeInstanceOf(DeadlockError)
    expect((error as DeadlockError).cycle).toEqual(['B', 'a', 'A', 'c', 'B'])
    await bHoldsC.release()
    const aLock = await aAcquire
    expect(aLock.resources).toEqual(['a', 'b', 'c'])
  })

  it('acquire() breaks every cycle a new wait closes, not only the first one found', async () => {
    locker = new LocalLocker()
    const x = await locker.acquire('m', 60_000, { owner: 'X' })
    // S (the oldest acquire) takes a1 and a2, waits for m, and will move on to z.
    const sAcquire = settle(locker.acquire(['a1', 'a2', 'm', 'z'], 60_000, { owner: 'S' }))
    await locker.acquire('z', 60_000, { owner: 'T' })
    await locker.acquire('p', 60_000, { owner: 'U' })
    await locker.acquire('q', 60_000, { owner: 'V' })
    const tWaits = [
      settle(locker.acquire('p', 60_000, { owner: 'T' })),
      settle(locker.acquire('q', 60_000, { owner: 'T' })),
    ]
    const uWaits = settle(locker.acquire('a1', 60_000, { owner: 'U' }))
    const vWaits = settle(locker.acquire('a2', 60_000, { owner: 'V' }))
    // S now waits for z: two cycles, S -> T -> U -> S and S -> T -> V -> S; U and V are the youngest.
    await x.release()
    expect(((await uWaits) as DeadlockError).cycle).toEqual(['U', 'a1', 'S', 'z', 'T', 'p', 'U'])
    expect(((await vWaits) as DeadlockError).cycle).toEqual(['V', 'a2', 'S', 'z', 'T', 'q', 'V'])
    expect(locker.stats().waiters).toBe(3)
    await locker.close()
    await Promise.all([sAcquire, ...tWaits])
  })

  it('acquire() counts a wait behind a queued waiter as waiting for it (FIFO)', async () => {
    locker = new LocalLocker()
    await locker.acquire('r1', 60_000, { owner: 'H' })
    await locker.acquire('r2', 60_000, { owner: 'B' })
    await locker.acquire('r3', 60_000, { owner: 'A' })
    const bWaitsR1 = settle(locker.acquire('r1', 60_000, { owner: 'B' }))
    const aWaitsR1 = settle(locker.acquire('r1', 60_000, { owner: 'A' })) // behind B
    const error = await settle(locker.acquire('r3', 60_000, { owner: 'B' }))
    expect((error as DeadlockError).cycle).toEqual(['B', 'r3', 'A', 'r1', 'B'])
    await locker.close()
    await Promise.all([bWaitsR1, aWaitsR1])
  })

  it('acquire() finds a cycle through an owner that holds nothing but is queued ahead of another', async () => {
    locker = new LocalLocker()
    await locker.acquire('r1', 60_000, { owner: 'H' })
    await locker.acquire('r2', 60_000, { owner: 'B' })
    const aWaitsR1 = settle(locker.acquire('r1', 60_000, { owner: 'A' }))
    const bWaitsR1 = settle(locker.acquire('r1', 60_000, { owner: 'B' })) // behind A
    const error = await settle(locker.acquire('r2', 60_000, { owner: 'A' }))
    expect((error as DeadlockError).cycle).toEqual(['A', 'r2', 'B', 'r1', 'A'])
    await locker.close()
    await Promise.all([aWaitsR1, bWaitsR1])
  })

  it('acquire() of a resource its owner already holds is a self-cycle DeadlockError, also inside using()', async () => {
    locker = new LocalLocker()
    await locker.acquire('r', 60_000, { owner: 'A' })
    const error = await settle(locker.acquire('r', 60_000, { owner: 'A' }))
    expect((error as DeadlockError).cycle).toEqual(['A', 'r', 'A'])
    expect((error as Error).message).toContain('not re-entrant')

    const nested = await settle(
      locker.using('s', 60_000, async (_signal, outer) => {
        const inner = await settle(locker.acquire(['s', 't'], 60_000))
        return { owner: outer.owner, cycle: (inner as DeadlockError).cycle }
      }),
    )
    const { owner, cycle } = nested as { owner: string; cycle: string[] }
    expect(cycle).toEqual([owner, 's', owner])
    expect(locker.stats()).toMatchObject({ heldResources: 1, waiters: 0 })
  })

  it('acquire() with detectDeadlocks false waits instead (until waitMs)', async () => {
    locker = new LocalLocker({ detectDeadlocks: false })
    await locker.acquire('r1', 60_000, { owner: 'A' })
    await locker.acquire('r2', 60_000, { owner: 'B' })
    const aWaits = settle(locker.acquire('r2', 60_000, { owner: 'A', waitMs: 30 }))
    const bWaits = settle(locker.acquire('r1', 60_000, { owner: 'B', waitMs: 30 }))
    expect(isPerfError(await aWaits, 'LOCK_TIMEOUT')).toBe(true)
    expect(isPerfError(await bWaits, 'LOCK_TIMEOUT')).toBe(true)
  })

  it('publishes a deadlock event with the cycle on perf:lock', async () => {
    const events: LockEvent[] = []
    const listener = (message: unknown): void => void events.push(message as LockEvent)
    diagnosticsChannel.subscribe('perf:lock', listener)
    try {
      locker = new LocalLocker()
      await locker.acquire('r1', 60_000, { owner: 'A' })
      await locker.acquire('r2', 60_000, { owner: 'B' })
      void settle(locker.acquire('r2', 60_000, { owner: 'A' }))
      await settle(locker.acquire('r1', 60_000, { owner: 'B' }))
      expect(events.filter((e) => e.type === 'deadlock')).toEqual([
        { type: 'deadlock', locker: 'local', resources: ['r1'], owner: 'B', cycle: ['B', 'r1', 'A', 'r2', 'B'] },
      ])
    } finally {
      diagnosticsChannel.unsubscribe('perf:lock', listener)
    }
  })

  it('acquire() raises no DeadlockError among 200 contenders on random overlapping resource sets', async () => {
    locker = new LocalLocker()
    const resources = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']
    let seed = 42
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    const inside = new Map<string, number>()
    let overlaps = 0
    let done = 0
    const errors: unknown[] = []
    const contenders = Array.from({ length: 200 }, async () => {
      // Random order on purpose: the locker sorts, callers need not.
      const set = resources.filter(() => random() < 0.35)
      if (set.length === 0) set.push('r0')
      set.sort(() => random() - 0.5)
      let lock: Lock
      try {
        lock = await locker.acquire(set, 60_000, { waitMs: 30_000 })
      } catch (error) {
        errors.push(error)
        return
      }
      for (const r of lock.resources) {
        if ((inside.get(r) ?? 0) > 0) overlaps++
        inside.set(r, (inside.get(r) ?? 0) + 1)
      }
      // Yield a random number of macrotasks so holds interleave with new arrivals.
      for (let i = Math.floor(random() * 3); i >= 0; i--) await new Promise((resolve) => setImmediate(resolve))
      for (const r of lock.resources) inside.set(r, (inside.get(r) as number) - 1)
      await lock.release()
      done++
    })
    // Heavy contention really happened: most contenders queued behind others.
    expect(locker.stats().waiters).toBeGreaterThan(100)
    await Promise.all(contenders)
    expect(errors).toEqual([])
    expect(done).toBe(200)
    expect(overlaps).toBe(0)
    expect(locker.stats()).toEqual({
      heldResources: 0,
      holdingOwners: 0,
      queuedResources: 0,
      waiters: 0,
      waitingOwners: 0,
      locks: 0,
      acquiring: 0,
    })
  })
})
