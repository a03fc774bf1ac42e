import type { ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { ScopeInfo } from '@perf/core'

/** The figures a `Server-Timing` header carries: what `monitor.currentScope()` and a scope report hold. */
export type ServerTimingFigures = Pick<ScopeInfo, 'statements' | 'dbMs' | 'cache'>

/**
 * Formats a request scope's figures as a `Server-Timing` header value, which browser dev tools
 * show under the request's Timing tab: `db` (database time, statement count), `cache` (hits,
 * counting stale and grace answers, and misses; left out when the request used no cache) and
 * `total` (time in the scope until the header was written, when given).
 *
 * @param totalMs time spent in the request so far, in ms
 * @example
 * serverTimingHeader({ statements: 3, dbMs: 12.5, cache: { hit: 2, stale: 0, grace: 0, miss: 1, bypass: 0 } }, 40)
 * // 'db;dur=12.50;desc="3 statements", cache;desc="2 hits, 1 miss", total;dur=40.00'
 */
export function serverTimingHeader(figures: ServerTimingFigures, totalMs?: number): string {
  const { statements, dbMs, cache } = figures
  const parts = [`db;dur=${dbMs.toFixed(2)};desc="${statements} ${statements === 1 ? 'statement' : 'statements'}"`]
  const hits = cache.hit + cache.stale + cache.grace
  if (hits + cache.miss + cache.bypass > 0) {
    let desc = `${hits} ${hits === 1 ? 'hit' : 'hits'}, ${cache.miss} ${cache.miss === 1 ? 'miss' : 'misses'}`
    if (cache.bypass > 0) desc += `, ${cache.bypass} bypassed`
    parts.push(`cache;desc="${desc}"`)
  }
  if (totalMs !== undefined) parts.push(`total;dur=${totalMs.toFixed(2)}`)
  return parts.join(', ')
}

/**
 * Adds the figures of a running scope (`monitor.currentScope()`, read live) to `res`'s
 * `Server-Timing` header right before `res` writes its headers, streamed responses included; for
 * frameworks this package has no middleware for.
 *
 * @param startedAt `performance.now()` when the request started, for the `total` entry
 * @example
 * monitor.scope(() => { attachServerTiming(res, monitor.currentScope()!); return handle(req, res) })
 */
export function attachServerTiming(
  res: ServerResponse,
  scope: ServerTimingFigures,
  startedAt: number = performance.now(),
): void {
  beforeHeaders(res, () => serverTimingHeader(scope, performance.now() - startedAt))
}

/**
 * Calls `value()` right before `res` writes its headers, and adds what it returns to the
 * `Server-Timing` header (after any entries the app set itself). Covers `writeHead()` called by
 * the app or the framework, the implicit one of the first `write()`/`end()` (streamed responses
 * included) and `flushHeaders()`: Node routes each through `writeHead`.
 */
export function beforeHeaders(res: ServerResponse, value: () => string): void {
  const writeHead = res.writeHead
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    res.writeHead = writeHead
    if (!res.headersSent) addServerTiming(res, args, value())
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
  } as ServerResponse['writeHead']
}

/** Appends to the header set with setHeader(), or to the one passed to writeHead(), which would replace it. */
function addServerTiming(res: ServerResponse, args: unknown[], ours: string): void {
  const passed = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null && !Array.isArray(a)) as
    Record<string, unknown> | undefined
  const key = passed === undefined ? undefined : Object.keys(passed).find((k) => k.toLowerCase() === 'server-timing')
  if (passed !== undefined && key !== undefined) {
    passed[key] = join(passed[key], ours)
    return
  }
  res.setHeader('Server-Timing', join(res.getHeader('Server-Timing'), ours))
}

function join(existing: unknown, ours: string): string {
  if (existing === undefined || existing === null || existing === '') return ours
  return `${Array.isArray(existing) ? existing.join(', ') : String(existing)}, ${ours}`
}
