import type { Attributes } from '@opentelemetry/api'
import { redact, sqlTables, type QueryEvent } from '@perf/core'
import type { ResolvedConfig } from './options.js'
import { ATTR } from './semconv.js'

/** What the bridge derives once per distinct statement: names and attributes shared by its events. */
export interface StatementInfo {
  /** Span name: `db.query.summary`, else the operation, else `db.system.name`. */
  spanName: string
  /** Attributes every span of this statement carries (the redacted text included). */
  spanAttributes: Attributes
  /** Attributes of `db.client.operation.duration` (low cardinality: no text). */
  metricAttributes: Attributes
}

/** Distinct statements remembered; the map is emptied when full (statements repeat, texts are bounded by the app). */
const MAX_STATEMENTS = 2000
/** Texts longer than this are derived on every event rather than kept as keys. */
const MAX_KEY_LENGTH = 8192
const LEADING_NOISE = /^(?:\s+|\(|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/
const WORD = /^[A-Za-z]+/
const CTE_MAIN_VERB = /\)\s*(select|insert|update|delete|merge)\b/i

/**
 * Turns query events into span names and attributes, remembering the work per statement text
 * (or per model and operation when the adapter gave no SQL), so a repeated statement costs one
 * map lookup.
 */
export class StatementInfos {
  readonly #byKey = new Map<string, StatementInfo>()
  readonly #base: Attributes

  constructor(private readonly config: ResolvedConfig) {
    const base: Attributes = { [ATTR.dbSystemName]: config.dbSystem, [ATTR.dbSystem]: config.dbSystem }
    if (config.dbNamespace !== undefined) base[ATTR.dbNamespace] = config.dbNamespace
    if (config.serverAddress !== undefined) base[ATTR.serverAddress] = config.serverAddress
    if (config.serverPort !== undefined) base[ATTR.serverPort] = config.serverPort
    this.#base = base
  }

  /** The statement info of `event`, derived on first sight of its statement. */
  of(event: QueryEvent): StatementInfo {
    const sql = typeof event.sql === 'string' && event.sql !== '' ? event.sql : undefined
    const key = sql ?? `\u0000${event.model ?? ''}\u0000${event.operation ?? ''}`
    const known = this.#byKey.get(key)
    if (known !== undefined) return known
    const info = this.#derive(event, sql)
    if (key.length <= MAX_KEY_LENGTH) {
      if (this.#byKey.size >= MAX_STATEMENTS) this.#byKey.clear()
      this.#byKey.set(key, info)
    }
    return info
  }

  #derive(event: QueryEvent, sql: string | undefined): StatementInfo {
    const verb = sql === undefined ? undefined : sqlVerb(sql)
    const operation = nonEmpty(event.operation) ?? verb
    const tables = tablesOf(event, sql)
    const collection = tables.length === 1 ? tables[0] : tables.length === 0 ? nonEmpty(event.model) : undefined
    const summaryHead = verb ?? operation
    const summaryTargets = tables.length > 0 ? tables.slice(0, 3).join(' ') : nonEmpty(event.model)
    const summary =
      summaryHead === undefined ? undefined : summaryTargets ? `${summaryHead} ${summaryTargets}` : summaryHead
    const metricAttributes: Attributes = { ...this.#base }
    if (operation !== undefined) metricAttributes[ATTR.dbOperationName] = operation
    if (collection !== undefined) metricAttributes[ATTR.dbCollectionName] = collection
    const spanAttributes: Attributes = { ...metricAttributes }
    if (summary !== undefined) spanAttributes[ATTR.dbQuerySummary] = summary
    if (sql !== undefined && this.config.captureQueryText) {
      spanAttributes[ATTR.dbQueryText] = truncate(safeRedact(sql), this.config.maxQueryTextLength)
    }
    if (event.model !== undefined) spanAttributes[ATTR.perfModel] = event.model
    return { spanName: summary ?? operation ?? this.config.dbSystem, spanAttributes, metricAttributes }
  }
}

/** The statement's command keyword, upper-cased (`SELECT`); for `WITH ...` the main statement's. */
export function sqlVerb(sql: string): string | undefined {
  const rest = sql.slice(LEADING_NOISE.exec(sql)?.[0].length ?? 0)
  const word = WORD.exec(rest)?.[0].toUpperCase()
  if (word !== 'WITH') return word
  return CTE_MAIN_VERB.exec(rest)?.[1]?.toUpperCase() ?? word
}

function tablesOf(event: QueryEvent, sql: string | undefined): readonly string[] {
  if (Array.isArray(event.tables) && event.tables.length > 0) return event.tables
  if (sql === undefined) return []
  const touches = sqlTables(sql)
  const names = new Set<string>()
  for (const write of touches.writes) names.add(write.table.name)
  for (const read of touches.reads) names.add(read.name)
  return [...names]
}

/** `redact` never sees a non-string here; should it throw all the same, no text leaves rather than an unredacted one. */
function safeRedact(sql: string): string {
  try {
    return redact(sql)
  } catch {
    return '?'
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
