import { PerfError } from '@perf/core'

/** A table, as `'name'`, `'schema.name'` or `{ schema, name }` (use the object for names holding a dot). */
export type TableName = string | { schema?: string; name: string }

// NAMEDATALEN - 1: PostgreSQL silently truncates longer identifiers, which would address another object.
const MAX_IDENTIFIER_BYTES = 63

/**
 * Quotes one identifier for SQL: wrapped in double quotes, inner quotes doubled, so any name is
 * safe (keywords, capitals, spaces, quotes).
 *
 * @throws PerfError INVALID_ARGUMENT for an empty name, a NUL character or more than 63 bytes
 */
export function quoteIdent(name: string, what = 'identifier'): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:pg] ${what} must be a non-empty string, got ${String(name)}`, {
      context: { argument: what, value: name },
    })
  }
  if (name.includes('\0') || Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:pg] ${what} ${JSON.stringify(name.slice(0, 80))} is not a valid identifier (NUL, or longer than ${MAX_IDENTIFIER_BYTES} bytes)`,
      { context: { argument: what, value: name } },
    )
  }
  return `"${name.replaceAll('"', '""')}"`
}

/** The quoted, schema-qualified form of a table name (`"public"."users"` or `"users"`). */
export function quoteTable(table: TableName): string {
  if (typeof table === 'object' && table !== null) {
    const name = quoteIdent(table.name, 'table')
    return table.schema === undefined ? name : `${quoteIdent(table.schema, 'schema')}.${name}`
  }
  if (typeof table !== 'string') {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:pg] table must be a string or { schema, name }, got ${typeof table}`,
      {
        context: { argument: 'table' },
      },
    )
  }
  const dot = table.indexOf('.')
  if (dot === -1) return quoteIdent(table, 'table')
  return `${quoteIdent(table.slice(0, dot), 'schema')}.${quoteIdent(table.slice(dot + 1), 'table')}`
}

/** Checks a non-empty list of distinct column names and returns them quoted. */
export function quoteColumns(columns: readonly string[], what = 'columns'): string[] {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:pg] ${what} must be a non-empty array of column names`, {
      context: { argument: what },
    })
  }
  const seen = new Set<string>()
  return columns.map((c) => {
    const quoted = quoteIdent(c, 'column')
    if (seen.has(c)) {
      throw new PerfError('INVALID_ARGUMENT', `[perf:pg] column "${c}" appears twice in ${what}`, {
        context: { argument: what, column: c },
      })
    }
    seen.add(c)
    return quoted
  })
}
