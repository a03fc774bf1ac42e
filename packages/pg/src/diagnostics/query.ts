import type { PgQueryable } from '../queryable.js'

/** Runs one read-only statement and returns its rows. */
export async function rowsOf<T>(db: PgQueryable, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = await db.query(sql, params)
  return result.rows as T[]
}

/** `now() - ts` in milliseconds as a float8 expression (NULL stays NULL). */
export function msSince(column: string): string {
  return `(extract(epoch FROM clock_timestamp() - ${column}) * 1000)::float8`
}

/** Keeps the first `max` characters of a statement. */
export function clip(text: string | null, max: number): string | null {
  return text === null || text.length <= max ? text : `${text.slice(0, max)}…`
}
