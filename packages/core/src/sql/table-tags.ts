import type { SqlTable } from './types.js'

/** The prefix of every table tag. */
export const TABLE_TAG_PREFIX = 'table:'

/** The tag that stands for "every table": a write the parser cannot read invalidates it, and every entry carries it. */
export const ALL_TABLES_TAG = 'table:*'

/**
 * The one tag every adapter gives a cached result that read `table`, and invalidates when
 * `table` is written: `table:<name>`, lower-cased, without the schema.
 *
 * The schema is left out on purpose. Which schema an unqualified name means is decided by the
 * connection (`search_path`, MySQL's current database), which neither a SQL parser nor a second
 * ORM in the same app can see; a tag with a guessed schema would let a raw `UPDATE users` through
 * one path miss what another path cached from `app.users`. Without it, two tables of the same name
 * in different schemas share a tag: a write to one costs the other some misses, never a stale read.
 * Case is folded for the same reason (`"Users"` and `users` share a tag; MySQL on macOS and Windows
 * treats them as one table).
 */
export function tableTag(table: SqlTable | string): string {
  const name = typeof table === 'string' ? lastPart(table) : table.name
  return TABLE_TAG_PREFIX + name.toLowerCase()
}

/** {@link tableTag} of each table, deduplicated. */
export function tableTags(tables: Iterable<SqlTable | string>): string[] {
  const out = new Set<string>()
  for (const t of tables) out.add(tableTag(t))
  return [...out]
}

/** `app.users` → `users`; a name given as a string may carry its schema (unquoted). */
function lastPart(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? name : name.slice(dot + 1)
}
