import { RingBuffer } from './ring-buffer.js'
import { redact } from './redact.js'
import type { QueryEvent, SlowQuery } from './types.js'

/** Cuts `text` to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** Name and code of an error, never its message: driver messages quote the offending values. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' || typeof code === 'number' ? `${err.name} ${code}` : err.name
  }
  return typeof err === 'object' && err !== null ? 'object' : typeof err
}

/** The slow-query ring buffer: redacted entries, oldest overwritten first. */
export class SlowLog {
  readonly #ring: RingBuffer<SlowQuery>
  /** Slow queries seen since creation or reset (the ring keeps only the last `capacity`). */
  total = 0

  constructor(
    capacity: number,
    readonly thresholdMs: number,
    readonly maxSqlLength: number,
    readonly onSlowQuery: ((entry: SlowQuery) => void) | undefined,
  ) {
    this.#ring = new RingBuffer(capacity)
  }

  /** Logs `event` (already known to be slow); `fingerprintId` identifies its statement. */
  add(event: QueryEvent, fingerprintId: string, now: number): void {
    this.total++
    const entry: SlowQuery = {
      startedAt: event.startedAt ?? now - event.durationMs,
      durationMs: event.durationMs,
      fingerprintId,
      source: typeof event.source === 'string' ? event.source : 'unknown',
    }
    if (typeof event.sql === 'string') entry.sql = truncate(redact(event.sql), this.maxSqlLength)
    if (event.model !== undefined) entry.model = event.model
    if (event.operation !== undefined) entry.operation = event.operation
    if (event.rows !== undefined) entry.rows = event.rows
    if (event.error !== undefined && event.error !== null) entry.error = describeError(event.error)
    if (event.callSite !== undefined) entry.callSite = event.callSite
    this.#ring.push(entry)
    if (this.onSlowQuery !== undefined) {
      try {
        this.onSlowQuery({ ...entry })
      } catch {
        // A failing listener must not fail the query being recorded.
      }
    }
  }

  /** The kept entries (copies), oldest first. */
  entries(): SlowQuery[] {
    return this.#ring.toArray().map((e) => ({ ...e }))
  }

  /** Drops every entry and zeroes the total. */
  clear(): void {
    this.#ring.clear()
    this.total = 0
  }
}
