import { PerfError, TimeoutError } from '../errors.js'
import { abortError } from '../util/abort.js'
import { toMs, type Duration } from '../util/duration.js'

/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions {
  /** Cancels the operation early; its reason is passed on to `fn`'s signal and rejects the result. */
  signal?: AbortSignal
  /** Builds the error to reject with at the deadline. @default a TimeoutError with code TIMEOUT */
  timeoutError?: () => Error
}

/**
 * Runs `fn` with an AbortSignal that fires at the deadline, and rejects with a TimeoutError
 * (code TIMEOUT) if `fn` has not settled by then. The timer is cleared as soon as `fn` settles,
 * and unref'd so a pending deadline never keeps the process alive by itself.
 *
 * @param fn the operation; it should stop its work when `signal` fires
 * @param ms the deadline, in ms or a duration string
 * @throws PerfError INVALID_ARGUMENT when `ms` is not a valid duration or `fn` is not a function
 * @throws TimeoutError TIMEOUT when the deadline passes first
 * @example
 * const rows = await withTimeout((signal) => fetchRows({ signal }), '2s')
 */
export function withTimeout<T>(
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  ms: Duration,
  options: WithTimeoutOptions = {},
): Promise<Awaited<T>> {
  if (typeof fn !== 'function') {
    throw new PerfError('INVALID_ARGUMENT', '[perf:resilience] withTimeout() needs a function as its first argument', {
      context: { argument: 'fn' },
    })
  }
  const timeoutMs = toMs(ms, 'ms', 'INVALID_ARGUMENT')
  const outer = options.signal
  if (outer !== undefined && !(outer instanceof AbortSignal)) {
    throw new PerfError('INVALID_OPTION', '[perf:resilience] option "signal" must be an AbortSignal', {
      context: { option: 'signal' },
    })
  }
  return new Promise<Awaited<T>>((resolve, reject) => {
    if (outer?.aborted) return reject(abortError(outer, 'withTimeout() operation'))
    const controller = new AbortController()
    let settled = false
    const finish = (): boolean => {
      if (settled) return false
      settled = true
      clearTimeout(timer)
      outer?.removeEventListener('abort', onAbort)
      return true
    }
    const onAbort = (): void => {
      if (!finish()) return
      const err = abortError(outer as AbortSignal, 'withTimeout() operation')
      controller.abort(err)
      reject(err)
    }
    const timer = setTimeout(() => {
      if (!finish()) return
      const err =
        options.timeoutError?.() ??
        new TimeoutError('TIMEOUT', `[perf:resilience] operation timed out after ${timeoutMs}ms`, {
          context: { timeoutMs },
        })
      controller.abort(err)
      reject(err)
    }, timeoutMs)
    timer.unref?.()
    outer?.addEventListener('abort', onAbort, { once: true })
    // Wrapping the call turns a synchronous throw into a rejection on the same path.
    new Promise<T>((res) => res(fn(controller.signal))).then(
      (value) => {
        if (finish()) resolve(value as Awaited<T>)
      },
      (err: unknown) => {
        if (finish()) reject(err)
      },
    )
  })
}
