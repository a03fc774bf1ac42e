import { ALL_TAG, anyRowTag, modelTag } from './cache-key.js'
import type { ModelGraph } from './model-graph.js'
import { rawSqlEffect } from './raw-sql.js'

/** The SQL text of a raw operation's arguments (`Prisma.sql` object, TypedSQL, or `[text, ...values]`). */
export function rawSqlText(args: unknown): string | undefined {
  if (Array.isArray(args)) return typeof args[0] === 'string' ? args[0] : rawSqlText(args[0])
  if (args === null || typeof args !== 'object') return undefined
  const { sql, strings } = args as { sql?: unknown; strings?: unknown }
  if (typeof sql === 'string') return sql
  if (Array.isArray(strings)) return strings.join(' ')
  return undefined
}

/**
 * The tags a raw statement must invalidate: the models of the tables it writes (plus what
 * cascades from them), nothing for reads, and everything ({@link ALL_TAG}) when the statement or
 * one of its tables cannot be attributed. TRUNCATE fires no referential actions: without CASCADE
 * only the named tables change; with CASCADE every table with a foreign-key path to them is
 * emptied, whatever its onDelete.
 */
export function rawInvalidation(
  args: unknown,
  graph: ModelGraph,
  rawTables: ReadonlyMap<string, readonly string[]>,
): string[] {
  const sql = rawSqlText(args)
  if (sql === undefined) return [ALL_TAG]
  const effect = rawSqlEffect(sql)
  if (effect.kind === 'read') return []
  if (effect.kind === 'unknown') return [ALL_TAG]
  const models = new Set<string>()
  const add = (
    tables: readonly string[] | undefined,
    dependents: ((model: string) => readonly string[]) | undefined,
  ): boolean => {
    for (const table of tables ?? []) {
      const mapped = rawTables.get(table.toLowerCase()) ?? graph.modelsForTable(table)
      if (mapped === undefined) return false
      for (const model of mapped) {
        models.add(model)
        for (const dependent of dependents?.(model) ?? []) models.add(dependent)
      }
    }
    return true
  }
  // Raw DELETE/UPDATE of keys fire referential actions just like model writes.
  const attributed =
    add(effect.tables, (model) => graph.deleteDependents(model)) &&
    add(effect.truncated, undefined) &&
    add(effect.truncatedCascade, (model) => graph.truncateDependents(model))
  if (!attributed) return [ALL_TAG]
  return [...models].flatMap((model) => [modelTag(model), anyRowTag(model)])
}
