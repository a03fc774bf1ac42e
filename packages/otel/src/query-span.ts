import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api'
import type { QueryEvent } from '@perf/core'
import { ATTR } from './semconv.js'
import type { StatementInfo } from './statement-info.js'

const SQLSTATE = /^[0-9A-Z]{5}$/

/** `error.type` and, for a SQLSTATE, `db.response.status_code`: a code or a class name, never a message. */
export function errorAttributes(error: unknown): Attributes {
  const code = codeOf(error) ?? codeOf((error as { driverError?: unknown } | null)?.driverError)
  if (code !== undefined) {
    return SQLSTATE.test(code)
      ? { [ATTR.errorType]: code, [ATTR.dbResponseStatusCode]: code }
      : { [ATTR.errorType]: code }
  }
  const name = error instanceof Error ? error.constructor.name || error.name : undefined
  return { [ATTR.errorType]: name !== undefined && name !== '' ? name : '_OTHER' }
}

/** Whether the outcome means the database was not asked (the span is then INTERNAL and no duration is recorded). */
export function servedFromCache(event: QueryEvent): boolean {
  return event.cache === 'hit' || event.cache === 'stale' || event.cache === 'grace'
}

/**
 * Records `event` as a finished span under the active context (the request's span, when the
 * app has one). The event arrives after the query ended, so the span gets its real start and end.
 */
export function recordQuerySpan(
  tracer: Tracer,
  event: QueryEvent,
  info: StatementInfo,
  requireParent: boolean,
  errors: Attributes | undefined,
): void {
  const parent = context.active()
  if (requireParent && trace.getSpan(parent) === undefined) return
  const durationMs = event.durationMs
  const start = typeof event.startedAt === 'number' ? event.startedAt : Date.now() - durationMs
  const span = tracer.startSpan(
    info.spanName,
    {
      kind: servedFromCache(event) ? SpanKind.INTERNAL : SpanKind.CLIENT,
      startTime: start,
      attributes: info.spanAttributes,
    },
    parent,
  )
  if (span.isRecording()) {
    span.setAttribute(ATTR.perfSource, event.source)
    if (typeof event.rows === 'number') span.setAttribute(ATTR.dbResponseReturnedRows, event.rows)
    if (event.cache !== undefined) span.setAttribute(ATTR.perfCacheOutcome, event.cache)
    if (event.inTransaction !== undefined) span.setAttribute(ATTR.perfInTransaction, event.inTransaction)
    if (event.callSite !== undefined) span.setAttribute(ATTR.perfCallSite, event.callSite)
    if (errors !== undefined) {
      span.setAttributes(errors)
      // The type, never the message: driver messages quote values ("Key (email)=(ann@...)").
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(errors[ATTR.errorType]) })
    }
  }
  span.end(start + durationMs)
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' && code !== '' ? code : undefined
}
