import { randomUUID } from 'node:crypto'
import diagnosticsChannel from 'node:diagnostics_channel'
import { CHANNELS, isPerfError } from '@perf/core'
import type { LockEvent } from '@perf/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { redlockLocker } from '../src/index.js'
import { RedisServer, hasRedisServerBinary } from './redis-server.js'
import { REDIS_PORT, describeIf, hasRedis } from './services.js'

const ok = await hasRedis()

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code?: string; cause?: unknown; context?: Record<string, unknown>; message: string }> {
  try {
    await promise
  } catch (err) {
    return err as never
  }
  throw new Error('expected a rejection')
}

describeIf(ok, 'Redis not available')('redlockLocker', () => {
  const a = new Redis({ port: REDIS_PORT })
  const b = new Redis({ port: REDIS_PORT })
  afterAll(() => {
    a.disconnect()
    b.disconnect()
  })

  it('acquire() times out with LOCK_TIMEOUT whose cause is LOCK_CONTENDED naming the holder and its TTL', async () => {
    const resource = `order:${randomUUID()}`
    const first = redlockLocker(a)
    const second = redlockLocker(b)
    const lock = await first.acquire(resource, 10_000, { owner: 'worker-1' })
    const error = await rejection(second.acquire(resource, 1_000, { waitMs: 0, owner: 'worker-2' }))
    expect(error.code).toBe('LOCK_TIMEOUT')
    expect(error.message).toContain('worker-1')
    const cause = error.cause as typeof error
    expect(cause.code).toBe('LOCK_CONTENDED')
    expect(cause.context?.holder).toBe('worker-1')
    expect(cause.context?.holderTtlMs).toBeGreaterThan(9_000)
    await lock.release()
    await first.close()
    await second.close()
  })

  it.each([
    ['no keyPrefix', ''],
    ['clients with an ioredis keyPrefix', `kp:${randomUUID()}:`],
  ])(
    'acquire() wakes the next queued waiter when the first one gave up (no wait for the TTL): %s',
    async (_label, keyPrefix) => {
      const resource = `queue:${randomUUID()}`
      const [ca, cb] = keyPrefix === '' ? [a, b] : [a.duplicate({ keyPrefix }), b.duplicate({ keyPrefix })]
      const holder = redlockLocker(ca)
      const quitter = redlockLocker(cb)
      const c = cb.duplicate()
      const patient = redlockLocker(c)
      const lock = await holder.acquire(resource, 30_000)
      const controller = new AbortController()
      const gaveUp = rejection(quitter.acquire(resource, 1_000, { waitMs: 20_000, signal: controller.signal }))
      await new Promise((r) => setTimeout(r, 50)) // the quitter is first in the queue
      const next = patient.acquire(resource, 1_000, { waitMs: 20_000 })
      await new Promise((r) => setTimeout(r, 50))
      controller.abort()
      expect((await gaveUp).code).toBe('ABORTED')
      const started = Date.now()
      await lock.release()
      const taken = await next
      expect(Date.now() - started).toBeLessThan(500) // woken, not the 1 s recheck nor the 30 s TTL
      await taken.release()
      await Promise.all([holder.close(), quitter.close(), patient.close()])
      c.disconnect()
      if (keyPrefix !== '') {
        ca.disconnect()
        cb.disconnect()
      }
    },
  )

  it('acquire() still gets the lock within recheckMs when the waiter chosen to be woken has crashed', async () => {
    const resource = `crash:${randomUUID()}`
    const holder = redlockLocker(a)
    const waiter = redlockLocker(b, { recheckMs: 300 })
    const lock = await holder.acquire(resource, 30_000)
    const next = waiter.acquire(resource, 1_000, { waitMs: 20_000 })
    await new Promise((r) => setTimeout(r, 50))
    // A process that queued and then died: first in line, and nobody will ever answer its wake-up.
    await a.lpush(`perf:lock:{${resource}}:q`, 'dead-locker|1')
    const started = Date.now()
    await lock.release()
    const taken = await next
    const waited = Date.now() - started
    expect(waited).toBeGreaterThanOrEqual(150)
    expect(waited).toBeLessThan(1_000)
    await taken.release()
    await Promise.all([holder.close(), waiter.close()])
  })

  it('acquire() takes over when a holder dies without releasing, once its TTL has run out', async () => {
    const resource = `job:${randomUUID()}`
    const crashed = redlockLocker(a)
    const waiter = redlockLocker(b)
    const dead = await crashed.acquire(resource, 300)
    await crashed.close() // never releases: a crash
    const started = Date.now()
    const lock = await waiter.acquire(resource, 1_000, { waitMs: 5_000 })
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(Date.now()).toBeGreaterThanOrEqual(dead.expiresAt - 5)
    expect(lock.fence).toBeGreaterThan(dead.fence)
    await lock.release()
    await waiter.close()
  })

  it('acquire() rejects with LOCK_VALIDITY_EXPIRED when latency and drift used up the TTL', async () => {
    let offset = 0
    // Every clock read moves 60 ms on: the attempt "takes" longer than the 50 ms TTL minus drift.
    const locker = redlockLocker(a, { clock: { now: () => Date.now() + (offset += 60) } })
    const resource = `slow:${randomUUID()}`
    const error = await rejection(locker.acquire(resource, 50, { waitMs: 0 }))
    expect(error.code).toBe('LOCK_VALIDITY_EXPIRED')
    // Nothing stays behind: the partial acquisition was rolled back.
    expect(await a.exists(`perf:lock:{${resource}}`)).toBe(0)
    await locker.close()
  })

  it('acquire(), release() and timeouts publish LockEvents on the perf:lock channel', async () => {
    const events: LockEvent[] = []
    const listener = (event: unknown): void => void events.push(event as LockEvent)
    diagnosticsChannel.subscribe(CHANNELS.lock, listener)
    try {
      const locker = redlockLocker(a)
      const resource = `ev:${randomUUID()}`
      const lock = await locker.acquire(resource, 5_000, { owner: 'me' })
      await rejection(locker.acquire(resource, 1_000, { waitMs: 0, owner: 'you' }))
      await lock.release()
      await locker.close()
      const mine = events.filter((e) => e.resources.includes(resource))
      expect(mine.map((e) => `${e.type}:${e.owner}`)).toEqual(['acquire:me', 'timeout:you', 'release:me'])
      expect(mine.every((e) => e.locker === 'redlock')).toBe(true)
      expect(mine[1]).toEqual(expect.objectContaining({ resource, holder: 'me' }))
    } finally {
      diagnosticsChannel.unsubscribe(CHANNELS.lock, listener)
    }
  })

  it('close() makes waiting acquires reject with ABORTED', async () => {
    const resource = `close:${randomUUID()}`
    const holder = redlockLocker(a)
    const waiter = redlockLocker(b)
    const lock = await holder.acquire(resource, 10_000)
    const waiting = rejection(waiter.acquire(resource, 1_000, { waitMs: 10_000 }))
    await new Promise((r) => setTimeout(r, 50))
    await waiter.close()
    expect((await waiting).code).toBe('ABORTED')
    await lock.release()
    await holder.close()
  })

  it('acquire() validates its arguments and redlockLocker() its clients and options', async () => {
    const locker = redlockLocker(a)
    expect(isPerfError(await rejection(locker.acquire([], 1_000)), 'INVALID_ARGUMENT')).toBe(true)
    expect(isPerfError(await rejection(locker.acquire('r', 0)), 'INVALID_ARGUMENT')).toBe(true)
    expect(() => redlockLocker([])).toThrowError(expect.objectContaining({ code: 'CLIENT_INVALID' }) as Error)
    expect(() => redlockLocker([a, {} as Redis])).toThrowError(
      expect.objectContaining({ code: 'CLIENT_INVALID' }) as Error,
    )
    expect(() => redlockLocker(a, { quorum: 2 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    )
    expect(() => redlockLocker(a, { driftFactor: 2 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    )
    await locker.close()
  })

  it('using() never produces an unhandled rejection when its lock is taken away', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const locker = redlockLocker(a)
      const resource = `lost:${randomUUID()}`
      const error = await rejection(
        locker.using(resource, 200, async (signal) => {
          await a.del(`perf:lock:{${resource}}`)
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))
          return 'done'
        }),
      )
      expect(error.code).toBe('LOCK_LOST')
      await new Promise((r) => setTimeout(r, 300))
      expect(unhandled).toEqual([])
      await locker.close()
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describeIf(ok && hasRedisServerBinary(), 'Redis or the redis-server binary not available')(
  'redlockLocker, counted on a private server',
  () => {
    // MONITOR counts the attempts; on the shared server other processes' traffic broke ioredis's
    // monitor connection ("Command queue state error"), so this test has a server of its own.
    let server: RedisServer
    let pa: Redis
    let pb: Redis
    beforeAll(async () => {
      server = await RedisServer.start()
      pa = new Redis({ port: server.port })
      pb = new Redis({ port: server.port })
    }, 30_000)
    afterAll(async () => {
      pa?.disconnect()
      pb?.disconnect()
      await server?.stop()
    })

    it('acquire() wakes on the release notification instead of waiting out the TTL or polling', async () => {
      const resource = `job:${randomUUID()}`
      const holder = redlockLocker(pa)
      const waiter = redlockLocker(pb)
      const lock = await holder.acquire(resource, 30_000)
      const attempts: string[] = []
      const monitor = await pa.monitor()
      // ioredis emits "Command queue state error" for commands other clients sent in the same packet as
      // MONITOR's OK, before the connection counts as monitoring: those precede what is counted here.
      monitor.on('error', () => undefined)
      monitor.on('monitor', (_t: string, args: string[], source: string) => {
        if (
          !source.includes('lua') &&
          String(args[0]).toLowerCase().startsWith('eval') &&
          args.includes(`perf:lock:{${resource}}`)
        )
          attempts.push(source)
      })
      const started = Date.now()
      const waiting = waiter.acquire(resource, 5_000, { waitMs: 20_000 })
      setTimeout(() => void lock.release(), 200)
      const next = await waiting
      const waited = Date.now() - started
      monitor.disconnect()
      // Held for 30 s, released after 200 ms: only the notification can explain an acquire this early.
      expect(waited).toBeGreaterThanOrEqual(190)
      expect(waited).toBeLessThan(1_500)
      // acquire + release by the holder, then the waiter: first attempt, retry after subscribing, retry after release.
      expect(attempts.length).toBeLessThanOrEqual(5)
      expect(next.fence).toBeGreaterThan(lock.fence)
      await next.release()
      await holder.close()
      await waiter.close()
    })
  },
)
