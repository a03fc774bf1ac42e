/** A stack captured at acquisition; V8 formats `stack` only when it is first read. */
export interface StackHolder {
  stack?: string
}

const MAX_FRAMES = 30
/** Node internals, and @perf's own sources or builds, are noise in "who acquired this". */
const INTERNAL_FRAME =
  /\(node:|^node:|\binternal[\\/]|[\\/]@perf[\\/]|[\\/]packages[\\/]core[\\/](?:src|dist)[\\/]pool[\\/](?!.*\.test\.)/

/**
 * Captures the current stack above `cutoff` without formatting it, which is the costly part;
 * the frame limit is raised briefly because ORM and driver frames can fill the default ten.
 */
export function captureStack(cutoff: Function): StackHolder {
  const holder: StackHolder = {}
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = MAX_FRAMES
  try {
    Error.captureStackTrace(holder, cutoff)
  } finally {
    Error.stackTraceLimit = limit
  }
  return holder
}

/** The captured frames as `at ...` lines, without internal frames. */
export function formatStack(holder: StackHolder): string {
  const lines: string[] = []
  for (const line of (holder.stack ?? '').split('\n')) {
    const frame = line.trim()
    if (!frame.startsWith('at ') || INTERNAL_FRAME.test(frame)) continue
    lines.push(frame)
  }
  return lines.join('\n')
}
