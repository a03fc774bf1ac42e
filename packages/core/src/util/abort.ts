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
 * Resolves after `ms` milliseconds (timer unref'd); rejects early if `signal` fires.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal, 'sleep'))
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortError(signal as AbortSignal, 'sleep'))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    timer.unref?.()
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
