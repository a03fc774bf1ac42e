/** Keywords and roles of the table scanner (token-cursor.ts, table-scanner.ts, ddl-statements.ts). */
import type { SqlWriteKind } from './types.js'

/** What a table reference found in a list does: nothing, read it, or write its rows. */
export const NONE = 0
export const READ = 1
export const WRITE = 2
/** A table of a MySQL multi-table UPDATE or DELETE: written or read, decided at the end of the statement. */
export const PENDING = 3
export type Role = typeof NONE | typeof READ | typeof WRITE | typeof PENDING

/** Writes a later duplicate may not weaken: a table both truncated and updated keeps `rows`. */
export const KIND_RANK: Record<SqlWriteKind, number> = { truncate: 0, rows: 1, ddl: 2, 'truncate-cascade': 3 }

export const QUERY_START = new Set([
  'SELECT',
  'WITH',
  'VALUES',
  'TABLE',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'REPLACE',
])
/** Words before PostgreSQL's `TABLE t` inside a query. */
export const SET_OPERATION = new Set(['UNION', 'INTERSECT', 'EXCEPT', 'ALL', 'DISTINCT'])
/** Words that end a FROM / USING / UPDATE table list at their level. */
export const LIST_END = new Set([
  ...['WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'OFFSET', 'FETCH', 'FOR', 'UNION', 'INTERSECT'],
  ...['EXCEPT', 'RETURNING', 'SET', 'VALUES', 'SELECT', 'WHEN', 'INTO', 'DO', 'PROCEDURE', 'QUALIFY', 'LOCK', 'TABLE'],
])
/** Words that cannot be a table name where one is expected (the statement is then incomplete). */
export const NOT_NAME = new Set([
  ...LIST_END,
  ...['FROM', 'JOIN', 'ON', 'USING', 'AS', 'WITH', 'AND', 'OR', 'NOT', 'THEN', 'DEFAULT', 'LEFT', 'RIGHT'],
  ...['INNER', 'OUTER', 'FULL', 'CROSS', 'NATURAL', 'LATERAL', 'ONLY', 'IF', 'CASCADE', 'RESTRICT', 'NULL'],
  ...['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'IGNORE', 'CASE', 'END', 'DISTINCT', 'ALL'],
])
/** A DML verb after these words is a clause, trigger event or privilege, not a statement. */
export const NOT_DML = new Set(['DO', 'FOR', 'KEY', 'ON', 'BEFORE', 'AFTER', 'OR', 'OF', 'INSTEAD', 'THEN', 'GRANT'])
export const DML_MODIFIERS = new Set(['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'QUICK', 'ONLY'])
/** Statements that change no table (session, transaction, privileges, maintenance, cursors). */
export const NEUTRAL = new Set([
  ...['SET', 'RESET', 'BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE', 'LISTEN'],
  ...['UNLISTEN', 'NOTIFY', 'VACUUM', 'ANALYZE', 'ANALYSE', 'COMMENT', 'GRANT', 'REVOKE', 'LOCK', 'UNLOCK'],
  ...['DEALLOCATE', 'DISCARD', 'PREPARE', 'DECLARE', 'CLOSE', 'CHECKPOINT', 'SHOW', 'USE', 'FETCH', 'MOVE'],
  ...['REINDEX', 'CLUSTER', 'OPTIMIZE', 'CHECK', 'CHECKSUM', 'FLUSH', 'SECURITY'],
])
/** Statements EXPLAIN ANALYZE executes. */
export const EXPLAINABLE = new Set([...QUERY_START, 'EXECUTE', 'CREATE', 'DECLARE'])
/** CREATE objects that can be filled by a query (`CREATE TABLE x AS SELECT`); any other CREATE changes no rows. */
export const CREATE_OBJECTS = new Set([
  ...['INDEX', 'TRIGGER', 'FUNCTION', 'PROCEDURE', 'RULE', 'POLICY', 'SEQUENCE', 'TYPE', 'SCHEMA', 'DATABASE'],
  ...['EXTENSION', 'ROLE', 'USER', 'DOMAIN', 'EVENT', 'AGGREGATE', 'OPERATOR', 'PUBLICATION', 'SUBSCRIPTION'],
  ...['SERVER', 'CAST', 'COLLATION', 'CONVERSION', 'LANGUAGE', 'TABLESPACE', 'STATISTICS', 'TEXT', 'ACCESS'],
])
/** Length of the longest keyword above (STRAIGHT_JOIN, HIGH_PRIORITY, SUBSCRIPTION). */
export const MAX_KEYWORD = 13

/** More objects of ALTER and DROP without rows: ALTER SYSTEM, ALTER DEFAULT PRIVILEGES, DROP UNIQUE INDEX, ... */
export const ALTER_OBJECTS = new Set([
  'SYSTEM',
  'DEFAULT',
  'LARGE',
  'UNIQUE',
  'TABLESPACE',
  'LOGFILE',
  'INSTANCE',
  'RESOURCE',
])

/** Words after a table name that are not its alias (MySQL index hints and partitions, PostgreSQL sampling). */
export const NOT_ALIAS = new Set(['USE', 'FORCE', 'PARTITION', 'TABLESAMPLE', 'STRAIGHT_JOIN'])
