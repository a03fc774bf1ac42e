import { PerfError } from '@perf/core'
import type pg from 'pg'

/** Column name → its type as a cast target (`integer`, `text[]`, `jsonb`), without typmod. */
export type ColumnTypes = Map<string, string>

/**
 * Reads the types of `columns` of `table` (already quoted) from the catalog. Without typmod on
 * purpose: an explicit `::varchar(10)` cast truncates silently, while the assignment to the
 * column checks the length as a plain INSERT or UPDATE would.
 *
 * @throws PerfError INVALID_ARGUMENT when the table or a column does not exist
 */
export async function columnTypes(
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
): Promise<ColumnTypes> {
  let rows: Array<{ name: string; type: string }>
  try {
    ;({ rows } = await client.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, NULL) AS type FROM pg_attribute
       WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
      [table],
    ))
  } catch (error) {
    if ((error as { code?: string }).code === '42P01' || (error as { code?: string }).code === '3F000') {
      throw new PerfError('INVALID_ARGUMENT', `[perf:pg] table ${table} does not exist`, {
        cause: error,
        context: { table },
      })
    }
    throw error
  }
  const types: ColumnTypes = new Map(rows.map((r) => [r.name, r.type]))
  for (const c of columns) {
    if (!types.has(c)) {
      throw new PerfError('INVALID_ARGUMENT', `[perf:pg] table ${table} has no column "${c}"`, {
        context: { table, column: c },
      })
    }
  }
  return types
}

// Keyed by the caller's pool or client, so entries go with it. Module state on purpose: the same
// pool is passed to every call, and the catalog read is one round trip of a few per write.
const CACHE = new WeakMap<object, Map<string, ColumnTypes>>()
const MAX_CACHED_TABLES = 1000

/**
 * {@link columnTypes}, remembered per pool (or client) and table: later writes to the same table
 * skip the catalog read. A column missing from the remembered types reads the catalog again
 * (a column added since); {@link forgetColumnTypes} drops an entry after a refused write.
 */
export async function cachedColumnTypes(
  db: object,
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
): Promise<ColumnTypes> {
  let byTable = CACHE.get(db)
  const known = byTable?.get(table)
  if (known && columns.every((c) => known.has(c))) return known
  const types = await columnTypes(client, table, columns)
  if (byTable === undefined) CACHE.set(db, (byTable = new Map()))
  if (byTable.size >= MAX_CACHED_TABLES) byTable.clear()
  byTable.set(table, types)
  return types
}

/** Forgets the remembered types of `table` after the server refused a write: a column's type may have changed. */
export function forgetColumnTypes(db: object, table: string): void {
  CACHE.get(db)?.delete(table)
}

/** json and jsonb columns take JSON for every value, arrays included. */
export function isJsonType(type: string): boolean {
  return type === 'json' || type === 'jsonb'
}

// Type names are written into the statement as cast targets, so only plain ones are accepted:
// words, spaces, dots (schema.type), a typmod in parentheses, and trailing [].
const PLAIN_TYPE = /^[A-Za-z_][A-Za-z0-9_ .]*(\(\s*\d+(\s*,\s*\d+)?\s*\))?(\[\])*$/

/**
 * The caller's column types, when they name every column; undefined otherwise (read the catalog).
 *
 * @throws PerfError INVALID_OPTION for a type name that is not a plain identifier (see PLAIN_TYPE)
 */
export function givenTypes(
  types: Readonly<Record<string, string>> | undefined,
  columns: readonly string[],
): ColumnTypes | undefined {
  if (types === undefined) return undefined
  for (const [column, type] of Object.entries(types)) {
    if (typeof type !== 'string' || !PLAIN_TYPE.test(type.trim())) {
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:pg] option "types" gives column "${column}" the type ${JSON.stringify(type)}, which is not a plain type name`,
        {
          context: { option: 'types', column, value: type },
        },
      )
    }
  }
  if (!columns.every((c) => Object.hasOwn(types, c))) return undefined
  // A typmod is dropped for the same reason as in columnTypes: the cast must not truncate.
  return new Map(columns.map((c) => [c, types[c]!.trim().replace(/\(.*\)/, '')]))
}
