import { PerfError } from '@perf/core'

/** Validates resources and returns them sorted and de-duplicated (the canonical order). */
export function normalizeResources(resources: string | readonly string[]): string[] {
  const list = typeof resources === 'string' ? [resources] : resources
  if (!Array.isArray(list) || list.length === 0 || !list.every((r) => typeof r === 'string' && r.length > 0)) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      '[perf:redis] redlockLocker resources must be a non-empty string or a non-empty array of them',
      {
        context: { resources },
      },
    )
  }
  return [...new Set(list as readonly string[])].sort()
}

/** The owner part of a stored lock value (`owner|nonce`). */
export function parseHolder(value: string): string {
  const bar = value.lastIndexOf('|')
  return bar === -1 ? value : value.slice(0, bar)
}

/** The error an aborted acquire rejects with: the signal's reason when it is an Error, else ABORTED. */
export function abortReason(signal: AbortSignal, resources: readonly string[]): Error {
  const reason: unknown = signal.reason
  if (reason instanceof Error && reason.name !== 'AbortError') return reason
  return new PerfError(
    'ABORTED',
    `[perf:redis] acquire of ${resources.map((r) => JSON.stringify(r)).join(', ')} was aborted`,
    { cause: reason },
  )
}

/** Resources for messages: `"a", "b"`. */
export function label(resources: readonly string[]): string {
  return resources.map((r) => JSON.stringify(r)).join(', ')
}
