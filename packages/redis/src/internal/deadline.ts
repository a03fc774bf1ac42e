import { TimeoutError } from '@perf/core'

/**
 * Rejects with TIER_TIMEOUT when `promise` has not settled within `ms` (0 = no deadline).
 * The command may still complete inside ioredis; its result is then ignored.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) return promise
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new TimeoutError('TIER_TIMEOUT', `[perf:redis] ${what} did not answer within ${ms} ms (commandTimeoutMs)`, { context: { timeoutMs: ms } }))
    }, ms)
    timer.unref?.()
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}
