import type { SuiteContext } from './context.js'
import { codeOf, delay, rejectionOf, releaseQuietly } from './context.js'

/** An AbortSignal cancels a pending wait and the waiter leaves the queue. */
export function abortTests(ctx: SuiteContext): void {
  const { runner, ttl, testIf, unique, capabilities } = ctx
  const { expect } = runner
  const reason = 'capabilities.abortWait is false'

  runner.describe('abort', () => {
    testIf(
      capabilities.abortWait,
      reason,
      'acquire() rejects with ABORTED when its signal aborts during the wait',
      async (locker) => {
        const resource = unique('abort')
        const holder = await locker.acquire(resource, ttl * 50)
        try {
          const controller = new AbortController()
          const waiting = rejectionOf(
            locker.acquire(resource, ttl * 50, { waitMs: ttl * 50, signal: controller.signal }),
          )
          await delay(ttl / 4)
          const started = Date.now()
          controller.abort()
          expect(codeOf(await waiting)).toBe('ABORTED')
          // Cancelled promptly, not at the end of waitMs.
          expect(Date.now() - started).toBeLessThan(ttl * 10)
          await holder.release()
          // The aborted waiter left the queue: the resource is free, not handed to it.
          const next = await locker.acquire(resource, ttl * 10, { waitMs: 0 })
          await next.release()
        } finally {
          await releaseQuietly(holder)
        }
      },
    )

    testIf(
      capabilities.abortWait,
      reason,
      "acquire() rejects with the signal's reason when it is an Error",
      async (locker) => {
        const resource = unique('abort-reason')
        const holder = await locker.acquire(resource, ttl * 50)
        try {
          const controller = new AbortController()
          const waiting = rejectionOf(locker.acquire(resource, ttl, { waitMs: ttl * 50, signal: controller.signal }))
          const why = new Error('shutting down')
          controller.abort(why)
          expect(await waiting).toBe(why)
        } finally {
          await releaseQuietly(holder)
        }
      },
    )

    testIf(
      capabilities.abortWait,
      reason,
      'acquire() with an already-aborted signal rejects without taking the lock',
      async (locker) => {
        const resource = unique('pre-aborted')
        const error = await rejectionOf(locker.acquire(resource, ttl * 50, { signal: AbortSignal.abort() }))
        expect(codeOf(error)).toBe('ABORTED')
        const next = await locker.acquire(resource, ttl * 10, { waitMs: 0 })
        await next.release()
      },
    )
  })
}
