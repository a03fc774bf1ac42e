import { ALL_TABLES_TAG, sqlTables, tableTag, type SqlWriteKind } from '@perf/core'
import { ALL_TAG, anyRowTag, modelTag } from '../model/cache-key.js'
import type { ModelGraph } from '../model/model-graph.js'

/** The SQL text of a raw operation's arguments (`Prisma.sql` object, TypedSQL, or `[text, ...values]`). */
export function rawSqlText(args: unknown): string | undefined {
  if (Array.isArray(args)) return typeof args[0] === 'string' ? args[0] : rawSqlText(args[0])
  if (args === null || typeof args !== 'object') return undefined
  const { sql, strings } = args as { sql?: unknown; strings?: unknown }
  if (typeof sql === 'string') return sql
  if (Array.isArray(strings)) return strings.join(' ')
  return undefined
}

/** Everything: this client's entries and, through the shared tag, every SQL-level adapter's. */
const EVERYTHING = [ALL_TAG, ALL_TABLES_TAG]

/**
 * The tags a raw statement must invalidate, from core's `sqlTables`: the table tag of every table
 * it writes, plus the tags of the models stored there and of what cascades from them; nothing for
 * reads; everything when the statement cannot be read. Raw DELETE / UPDATE fire referential
 * actions like model writes; TRUNCATE fires none: without CASCADE only the named tables change,
 * with CASCADE every table with a foreign-key path to them is emptied, whatever its onDelete. A
 * written table that is neither a model's nor in `rawTables` drops everything this client cached
 * (it may back a view or feed a trigger the schema does not show).
 */
export function rawInvalidation(
  args: unknown,
  graph: ModelGraph,
  rawTables: ReadonlyMap<string, readonly string[]>,
): string[] {
  const sql = rawSqlText(args)
  if (sql === undefined) return EVERYTHING
  const touches = sqlTables(sql, { dialect: 'postgres' })
  if (touches.kind === 'read') return []
  if (touches.kind === 'unknown') return EVERYTHING
  const models = new Set<string>()
  const tags = new Set<string>()
  for (const { table, kind } of touches.writes) {
    tags.add(tableTag(table))
    const mapped = rawTables.get(table.name.toLowerCase()) ?? graph.modelsForTable(table.name)
    if (mapped === undefined) {
      tags.add(ALL_TAG)
      continue
    }
    for (const model of mapped) {
      models.add(model)
      for (const dependent of dependents(graph, model, kind)) models.add(dependent)
    }
  }
  for (const model of models) tags.add(modelTag(model)).add(anyRowTag(model))
  for (const tag of graph.tableTagsOf(models)) tags.add(tag)
  return [...tags]
}

function dependents(graph: ModelGraph, model: string, kind: SqlWriteKind): readonly string[] {
  if (kind === 'truncate') return []
  if (kind === 'truncate-cascade') return graph.truncateDependents(model)
  return graph.deleteDependents(model)
}
