import { PerfError } from '../errors.js'

/** Throws the signal's reason (or an ABORTED PerfError) when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what)
}

/** The error to reject with when `signal` fires: its reason if that is an Error, else an ABORTED PerfError. */
export function abortError(signal: AbortSignal, what: string): Error {
  const reason: unknown = signal.reason
  if (reason instanceof Error && reason.name !== 'AbortError') return reason
  return new PerfError('ABORTED', `[perf] ${what} was aborted`, { cause: reason })
}

/**
 * Resolves after `ms` milliseconds; rejects early (at once if already fired) when `signal` fires.
 * The timer is unref'd unless `keepAlive`: a wait someone awaits (a retry's backoff) must keep a
 * script alive, a background one must not.
 */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  options: { what?: string; keepAlive?: boolean } = {},
): Promise<void> {
  const what = options.what ?? 'sleep'
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal, what))
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortError(signal as AbortSignal, what))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    if (options.keepAlive !== true) timer.unref?.()
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
