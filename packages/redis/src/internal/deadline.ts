import { TimeoutError } from '@perf/core'

/** TIER_TIMEOUT for a call named `what` that did not answer within `ms`. */
function deadlineError(what: string, ms: number): TimeoutError {
  return new TimeoutError('TIER_TIMEOUT', `[perf:redis] ${what} did not answer within ${ms} ms (commandTimeoutMs)`, {
    context: { timeoutMs: ms },
  })
}

/**
 * Settles `pending` through callbacks under a deadline, without extra promise layers (for calls
 * made once per cache read or limiter check): `onValue` with the result, or `onError` once with
 * the mapped error or with TIER_TIMEOUT when `ms` passes first (0 = no deadline). The command may
 * still complete inside ioredis; its result is then ignored.
 */
export function settleWithin<T>(
  pending: Promise<T>,
  ms: number,
  what: string,
  mapError: (error: unknown) => unknown,
  onValue: (value: T) => void,
  onError: (error: unknown) => void,
): void {
  let settled = false
  const timer =
    ms > 0
      ? setTimeout(() => {
          if (settled) return
          settled = true
          onError(deadlineError(what, ms))
        }, ms)
      : undefined
  timer?.unref()
  pending.then(
    (value) => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      onValue(value)
    },
    (error: unknown) => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      onError(mapError(error))
    },
  )
}

const unchanged = (error: unknown): unknown => error

/** Rejects with TIER_TIMEOUT when `promise` has not settled within `ms` (0 = no deadline). */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) return promise
  return new Promise<T>((resolve, reject) => settleWithin(promise, ms, what, unchanged, resolve, reject))
}
