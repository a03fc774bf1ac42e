import { LruMap } from '../util/lru-map.js'
import { scanTables } from './table-scanner.js'
import type { SqlTouches, SqlTablesOptions } from './types.js'

/** Statement texts remembered per dialect: ORMs repeat a small set of texts. */
const MEMO_ENTRIES = 1000
/** Longer texts (bulk inserts with inlined values) are rarely repeated: not remembered. */
const MEMO_MAX_CHARS = 8192
// Module-level on purpose: the memo holds frozen, immutable results of a pure function, bounded.
const memo = {
  postgres: new LruMap<string, SqlTouches>(MEMO_ENTRIES),
  mysql: new LruMap<string, SqlTouches>(MEMO_ENTRIES),
}

const UNKNOWN: SqlTouches = freeze({ kind: 'unknown', reads: [], writes: [] })

/**
 * Finds the tables a SQL statement (or a `;`-separated script) reads and writes, so an adapter
 * can tag cached results by table and invalidate exactly what a write touches. Linear in the
 * length of the text, dependency-free, and never throws: anything it cannot account for is
 * `unknown` (invalidate everything), never a silent `read`.
 *
 * Rules:
 * - Reads: tables after FROM and every kind of JOIN (comma joins, LATERAL, nested joins),
 *   in subqueries anywhere, CTE bodies, UPDATE ... FROM, DELETE ... USING, MERGE ... USING,
 *   INSERT ... SELECT, `TABLE t`, `COPY t TO`, `CREATE TABLE | VIEW x AS <query>`. CTE names,
 *   functions in FROM (`unnest(...)`, `generate_series(...)`) and `(VALUES ...)` are not tables.
 * - Writes, kind `rows`: INSERT (IGNORE, ON CONFLICT, ON DUPLICATE KEY UPDATE), REPLACE, UPDATE,
 *   DELETE, MERGE INTO, COPY ... FROM, LOAD DATA | XML, data-modifying CTEs. MySQL's multi-table
 *   `UPDATE a JOIN b ... SET a.x = ...` writes the tables (or aliases) SET qualifies and reads
 *   the rest, and `DELETE a FROM a JOIN b` writes the targets before FROM and reads the rest;
 *   when that is unclear (`SET x = 1`, an unknown target) every listed table is written.
 *   `truncate` / `truncate-cascade`: TRUNCATE.
 *   `ddl`: ALTER and DROP of TABLE / VIEW / MATERIALIZED VIEW / FOREIGN TABLE (a new name from
 *   RENAME TO or SET SCHEMA too), MySQL's RENAME TABLE (both names), REFRESH MATERIALIZED VIEW.
 * - Read with no writes: SELECT (FOR UPDATE too), SHOW, SET, transaction control, GRANT,
 *   CREATE (other than the query of CREATE ... AS), EXPLAIN without ANALYZE, PREPARE (nothing
 *   runs until EXECUTE, which is `unknown`). EXPLAIN ANALYZE is classified by its statement.
 * - Unknown: CALL, DO, EXECUTE, HANDLER, DROP SCHEMA | DATABASE | OWNED, any statement starting
 *   with another word, a data-changing verb whose target is missing, MySQL `/*! ... *\/`
 *   comments (MySQL runs their content). A script is `unknown` if any statement is.
 * - Not seen: side effects of functions (`SELECT nextval('s')`, `SELECT my_func()` are reads),
 *   triggers, rules and foreign-key actions, and tables read inside functions or behind views
 *   (a view is read by its own name); adapters that know better mark such statements.
 *
 * Names follow {@link SqlTable}: unquoted names fold to lower case with `dialect: 'postgres'`
 * and stay as written with `'mysql'`, where `"..."` is a string (an identifier where only a
 * table name can stand, as under ANSI_QUOTES), `#` starts a comment and backslashes escape. Reads and writes are deduplicated by (schema, name); a table both read
 * and written is in both lists. Results are memoised by text (1000 per dialect, texts up to
 * 8 KB) and frozen: copy them before changing them.
 *
 * @experimental
 * @example
 * sqlTables('WITH d AS (DELETE FROM app.carts WHERE id = $1 RETURNING *) INSERT INTO "Log" SELECT * FROM d JOIN users u ON u.id = d.user_id')
 * // { kind: 'write',
 * //   reads: [{ schema: undefined, name: 'users' }],
 * //   writes: [{ table: { schema: 'app', name: 'carts' }, kind: 'rows' },
 * //            { table: { schema: undefined, name: 'Log' }, kind: 'rows' }] }
 */
export function sqlTables(sql: string, options?: SqlTablesOptions): SqlTouches {
  if (typeof sql !== 'string') return UNKNOWN
  const dialect = options?.dialect === 'mysql' ? 'mysql' : 'postgres'
  const cache = sql.length <= MEMO_MAX_CHARS ? memo[dialect] : undefined
  const hit = cache?.get(sql)
  if (hit !== undefined) return hit
  let result: SqlTouches
  try {
    result = freeze(scanTables(sql, dialect))
  } catch {
    // Not expected (fuzzed without this net), but a monitor must never break the query it watches.
    result = UNKNOWN
  }
  cache?.set(sql, result)
  return result
}

function freeze(touches: SqlTouches): SqlTouches {
  for (const table of touches.reads) Object.freeze(table)
  for (const write of touches.writes) Object.freeze(Object.freeze(write).table)
  Object.freeze(touches.reads)
  Object.freeze(touches.writes)
  return Object.freeze(touches)
}
