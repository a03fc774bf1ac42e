/** How a statement's text is read: quoting of identifiers and strings differs between the two families. */
export type SqlDialect = 'postgres' | 'mysql'

/**
 * A table a statement names. `name` is the table as the database resolves it: an unquoted name
 * is folded the way the dialect folds it (PostgreSQL: lower case; MySQL: as written), a quoted
 * one (`"User"`, `` `User` ``) is kept verbatim. `schema` is the qualifier when the statement
 * wrote one (`app.users` → `app`; MySQL's `db.users` → `db`), else undefined.
 */
export interface SqlTable {
  schema: string | undefined
  name: string
}

/** How a statement changes one table; adapters that know foreign keys widen `truncate-cascade`. */
export type SqlWriteKind =
  /** INSERT, UPDATE, DELETE, MERGE, REPLACE, COPY FROM, LOAD DATA: rows change; referential actions may fire. */
  | 'rows'
  /** TRUNCATE without CASCADE: the table is emptied, no referential action fires. */
  | 'truncate'
  /** TRUNCATE ... CASCADE: the table and every table with a foreign-key path to it are emptied. */
  | 'truncate-cascade'
  /** ALTER TABLE, DROP TABLE, RENAME, REFRESH MATERIALIZED VIEW: shape or content may change. */
  | 'ddl'

/** One table a statement writes. */
export interface SqlWrite {
  table: SqlTable
  kind: SqlWriteKind
}

/** What a statement (or a `;`-separated script) reads and writes. */
export interface SqlTouches {
  /**
   * - `read`: changes no table (SELECT, SHOW, SET, BEGIN, CREATE INDEX, ...): `writes` is empty.
   * - `write`: changes exactly the tables in `writes` (and nothing else the parser can see).
   * - `unknown`: may change anything (CALL, DO, EXECUTE, a function call in a SELECT the parser
   *   cannot prove harmless is NOT this: see the docs; an unparseable data-changing statement is):
   *   the caller must invalidate everything it cached from this database. Never a silent miss.
   */
  kind: 'read' | 'write' | 'unknown'
  /** Every table read: FROM, JOIN, subqueries, CTE bodies, USING, INSERT ... SELECT sources. CTE names are not tables. Deduplicated, in order of appearance. */
  reads: SqlTable[]
  /** Every table written, deduplicated (a table written twice keeps its strongest kind). */
  writes: SqlWrite[]
}

/** Options of {@link sqlTables}. */
export interface SqlTablesOptions {
  /** @default 'postgres' */
  dialect?: SqlDialect
}
