/** Frames that are never "the call site": dependencies, Node internals and frames without a file. */
export const DEFAULT_IGNORED_FRAMES: readonly RegExp[] = [
  /[\\/]node_modules[\\/]/,
  /\(node:|^node:|\binternal[\\/]/,
  /\(<anonymous>\)$|^<anonymous>$|\(index \d+\)$/,
]

/** @perf's own packages, installed or as sources in this monorepo. */
const OWN_FRAME = /[\\/]@perf[\\/]|[\\/]packages[\\/](?:core|redis|prisma|typeorm|sequelize|pg)[\\/](?:src|dist)[\\/]/
/** ...except their tests, which are application code calling @perf. */
const TEST_FILE = /\.(?:test|spec)\.[cm]?[jt]s:\d/

function isIgnored(frame: string, ignored: readonly RegExp[]): boolean {
  if (OWN_FRAME.test(frame) && !TEST_FILE.test(frame)) return true
  for (const pattern of ignored) if (pattern.test(frame)) return true
  return false
}

/** A captured call site: the first application frame's location and a few frames for context. */
export interface CallSite {
  /** `file:line:column` of the first application frame, if any. */
  callSite?: string
  /** Up to `maxFrames` application frames (as V8 prints them, without `at `), innermost first. */
  frames: string[]
}

/**
 * Captures the current stack (above `cutoff`) and keeps the application frames: not @perf's own,
 * not matching `ignored` (pass {@link DEFAULT_IGNORED_FRAMES} plus your own). Costs a stack
 * capture (~10 µs), so callers do it once per finding, not per event.
 */
export function captureCallSite(ignored: readonly RegExp[], cutoff: Function, maxFrames = 5): CallSite {
  const holder: { stack?: string } = {}
  const limit = Error.stackTraceLimit
  // ORM and driver frames can fill the default 10 frames before the first application frame.
  Error.stackTraceLimit = 60
  try {
    Error.captureStackTrace(holder, cutoff)
  } finally {
    Error.stackTraceLimit = limit
  }
  const frames: string[] = []
  for (const line of (holder.stack ?? '').split('\n')) {
    const trimmed = line.trim()
    if (!trimmed.startsWith('at ')) continue
    const frame = trimmed.slice(3)
    if (isIgnored(frame, ignored)) continue
    frames.push(frame)
    if (frames.length === maxFrames) break
  }
  const first = frames[0]
  return first === undefined ? { frames } : { callSite: locationOf(first), frames }
}

/** `fn (file:1:2)` -> `file:1:2`; `async fn (file:1:2)` likewise; a bare `file:1:2` stays. */
function locationOf(frame: string): string {
  const open = frame.lastIndexOf(' (')
  return open !== -1 && frame.endsWith(')') ? frame.slice(open + 2, -1) : frame
}
