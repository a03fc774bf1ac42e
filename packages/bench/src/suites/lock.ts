import { Mutex, withTimeout } from 'async-mutex'
import { requireCore, type LockerLike } from '../core.js'
import type { Suite } from '../harness/suite.js'

const WORKERS = 100
const CYCLES = 10
const TTL_MS = 10_000

type Acquire = () => Promise<() => unknown>

/**
 * One unit of contended work: WORKERS tasks each take the lock CYCLES times, hold it across a
 * microtask (so the others really queue) and check that nobody else holds it.
 */
async function contended(acquire: Acquire): Promise<void> {
  let holders = 0
  const worker = async () => {
    for (let i = 0; i < CYCLES; i++) {
      const release = await acquire()
      if (holders++ !== 0) throw new Error('[bench] two holders at once')
      await undefined
      holders--
      await release()
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, worker))
}

function localAcquire(locker: LockerLike): Acquire {
  return async () => {
    const lock = await locker.acquire('resource', TTL_MS)
    return () => lock.release()
  }
}

/** Issue 3: LocalLocker acquire/release vs async-mutex, uncontended and 100-way contended. */
const suite: Suite = {
  name: 'lock',
  title: 'LocalLocker vs async-mutex (issue 3)',
  libraries: ['@perf/core', 'async-mutex'],
  async run(ctx) {
    const core = await requireCore(ctx, ['LocalLocker'])
    if (!core) return
    const locker = new core.LocalLocker()
    const lockerNoDeadlock = new core.LocalLocker({ detectDeadlocks: false })
    const mutex = new Mutex()
    const timedMutex = withTimeout(new Mutex(), TTL_MS)
    await ctx.compare(
      'acquire + release, uncontended (one resource, one caller at a time)',
      [
        {
          name: 'async-mutex',
          async run(n) {
            for (let i = 0; i < n; i++) (await mutex.acquire())()
          },
          once: async () => (await mutex.acquire())(),
        },
        {
          name: 'async-mutex withTimeout(10 s)',
          async run(n) {
            for (let i = 0; i < n; i++) (await timedMutex.acquire())()
          },
          once: async () => (await timedMutex.acquire())(),
        },
        {
          name: 'LocalLocker',
          async run(n) {
            for (let i = 0; i < n; i++) await (await locker.acquire('resource', TTL_MS)).release()
          },
          once: async () => (await locker.acquire('resource', TTL_MS)).release(),
        },
      ],
      {
        baseline: 'async-mutex',
        note: `LocalLocker takes a TTL (${TTL_MS / 1000} s here) and hands out a fencing token with each lock; async-mutex has neither (withTimeout bounds only the wait).`,
      },
    )
    await ctx.compare(
      `acquire + release, ${WORKERS}-way contended`,
      [
        {
          name: 'async-mutex',
          opsPerCall: WORKERS * CYCLES,
          async run(n) {
            for (let i = 0; i < n; i++) await contended(() => mutex.acquire())
          },
        },
        {
          name: 'async-mutex withTimeout(10 s)',
          opsPerCall: WORKERS * CYCLES,
          async run(n) {
            for (let i = 0; i < n; i++) await contended(() => timedMutex.acquire())
          },
        },
        {
          name: 'LocalLocker',
          opsPerCall: WORKERS * CYCLES,
          async run(n) {
            for (let i = 0; i < n; i++) await contended(localAcquire(locker))
          },
        },
        {
          name: 'LocalLocker (detectDeadlocks: false)',
          opsPerCall: WORKERS * CYCLES,
          async run(n) {
            for (let i = 0; i < n; i++) await contended(localAcquire(lockerNoDeadlock))
          },
        },
      ],
      {
        baseline: 'async-mutex',
        note: `ops/s counts acquisitions: ${WORKERS} tasks each acquire, hold across a microtask, check they are alone, and release, ${CYCLES} times. LocalLocker waiters queue FIFO with a wait timeout (10 s default) and deadlock detection on a wait-for graph unless turned off.`,
      },
    )
    await locker.close()
    await lockerNoDeadlock.close()
  },
}

export default suite
