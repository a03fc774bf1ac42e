import { Tok } from '../monitor/sql-lexer.js'
import { ALTER_OBJECTS, CREATE_OBJECTS, QUERY_START, READ } from './scanner-words.js'
import type { TokenCursor } from './token-cursor.js'
import type { SqlTable } from './types.js'

/** The statements that name their tables after a verb of their own: TRUNCATE, COPY, LOAD, ALTER, DROP, RENAME, REFRESH, CREATE. */

/** `TRUNCATE [TABLE] [ONLY] name [*] [, ...] [RESTART | CONTINUE IDENTITY] [CASCADE | RESTRICT]`. */
export function truncateStatement(c: TokenCursor, start: number, end: number): void {
  const tables: SqlTable[] = []
  const j = c.nameList(c.skip(start + 1, new Set(['TABLE'])), tables)
  if (tables.length === 0) {
    c.unknown = true
    return
  }
  const kind = c.findAtLevel(j, end, 'CASCADE') === -1 ? 'truncate' : 'truncate-cascade'
  for (const table of tables) c.write(table, kind)
}

/** `COPY t [(cols)] FROM ...` writes; `COPY t TO` and `COPY (query) TO` read. */
export function copyStatement(c: TokenCursor, start: number, end: number): void {
  if (c.toks[start + 1]?.kind === Tok.open) return c.scan(start + 1, end)
  const named = c.name(start + 1)
  if (named === undefined) {
    c.unknown = true
    return
  }
  const j = c.toks[named[1]]?.kind === Tok.open ? c.skipParens(named[1], end) : named[1]
  if (c.kw[j] === 'FROM') c.write(named[0], 'rows')
  else if (c.kw[j] === 'TO') c.touch(named[0], READ)
  else c.unknown = true
}

/** MySQL `LOAD DATA | XML ... INTO TABLE t`; PostgreSQL's `LOAD 'library'` and MySQL's `LOAD INDEX` change no rows. */
export function loadStatement(c: TokenCursor, start: number, end: number): void {
  const what = c.kw[start + 1]
  if (what !== 'DATA' && what !== 'XML') return
  const into = c.findAtLevel(start + 2, end, 'INTO')
  const named = into !== -1 && c.kw[into + 1] === 'TABLE' ? c.name(into + 2) : undefined
  if (named === undefined) c.unknown = true
  else c.write(named[0], 'rows')
}

/** ALTER TABLE | VIEW | MATERIALIZED VIEW | FOREIGN TABLE: `ddl` on the target and on a new name (RENAME TO, SET SCHEMA). */
export function alterStatement(c: TokenCursor, start: number, end: number): void {
  const object = c.skip(start + 1, new Set(['ONLINE', 'IGNORE']))
  const j = tableObject(c, object)
  if (j === -1) return otherObject(c, object)
  const named = c.name(c.skip(j, new Set(['IF', 'EXISTS', 'ONLY'])))
  if (named === undefined) {
    c.unknown = true
    return
  }
  const [table] = named
  c.write(table, 'ddl')
  const rename = c.findAtLevel(named[1], end, 'RENAME')
  if (rename !== -1) {
    const to = c.kw[rename + 1]
    const bare = c.mysql && to !== 'COLUMN' && to !== 'INDEX' && to !== 'KEY' && to !== 'CONSTRAINT'
    const renamed = to === 'TO' || to === 'AS' ? c.name(rename + 2) : bare ? c.name(rename + 1) : undefined
    // `RENAME col TO other` (a column) is followed by TO; the new table name is not.
    if (renamed !== undefined && c.kw[renamed[1]] !== 'TO')
      c.write({ schema: renamed[0].schema ?? table.schema, name: renamed[0].name }, 'ddl')
  }
  const set = c.findAtLevel(named[1], end, 'SET')
  if (set !== -1 && c.kw[set + 1] === 'SCHEMA' && c.isName(set + 2))
    c.write({ schema: c.ident(set + 2), name: table.name }, 'ddl')
}

/** DROP TABLE | VIEW | MATERIALIZED VIEW | FOREIGN TABLE [IF EXISTS] a, b: `ddl`; DROP SCHEMA / DATABASE / OWNED: unknown. */
export function dropStatement(c: TokenCursor, start: number, end: number): void {
  const kw = c.kw[start + 1]
  if (kw === 'SCHEMA' || kw === 'DATABASE' || kw === 'OWNED') {
    c.unknown = true
    return
  }
  const object = c.skip(start + 1, new Set(['TEMPORARY']))
  const j = tableObject(c, object)
  if (j === -1) {
    // DROP TYPE | DOMAIN | EXTENSION ... CASCADE drops the columns or tables that use them.
    if (c.findAtLevel(object, end, 'CASCADE') !== -1) c.unknown = true
    return otherObject(c, object)
  }
  const tables: SqlTable[] = []
  c.nameList(c.skip(j, new Set(['IF', 'EXISTS'])), tables)
  if (tables.length === 0) c.unknown = true
  for (const table of tables) c.write(table, 'ddl')
}

/** MySQL `RENAME TABLE a TO b [, c TO d]`: `ddl` on both names; `RENAME USER` changes no table. */
export function renameStatement(c: TokenCursor, start: number, end: number): void {
  if (c.kw[start + 1] === 'USER') return
  let j = start + 2
  let found = c.kw[start + 1] === 'TABLE'
  while (found) {
    const from = c.name(j)
    const to = from !== undefined && c.kw[from[1]] === 'TO' ? c.name(from[1] + 1) : undefined
    if (from === undefined || to === undefined) {
      found = false
      break
    }
    c.write(from[0], 'ddl')
    c.write(to[0], 'ddl')
    j = to[1]
    if (j >= end) return
    if (c.toks[j]!.kind !== Tok.comma) break
    j++
  }
  if (!found || j < end) c.unknown = true
}

/** `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name`. */
export function refreshStatement(c: TokenCursor, start: number): void {
  const named =
    c.kw[start + 1] === 'MATERIALIZED' && c.kw[start + 2] === 'VIEW'
      ? c.name(c.skip(start + 3, new Set(['CONCURRENTLY'])))
      : undefined
  if (named === undefined) c.unknown = true
  else c.write(named[0], 'ddl')
}

/** CREATE changes no cached rows; `CREATE TABLE | VIEW x AS <query>` reads the query's tables. */
export function createStatement(c: TokenCursor, start: number, end: number): void {
  let j = start + 1
  for (; j < end && c.toks[j]!.kind !== Tok.open; j++) {
    const kw = c.kw[j]!
    if (kw === 'TABLE' || kw === 'VIEW') break
    if (CREATE_OBJECTS.has(kw)) return
  }
  let depth = 0
  for (; j < end; j++) {
    const kind = c.toks[j]!.kind
    if (kind === Tok.open) depth++
    else if (kind === Tok.close) depth--
    else if (
      depth === 0 &&
      c.kw[j] === 'AS' &&
      (QUERY_START.has(c.kw[j + 1]!) || c.kw[j + 1] === 'EXECUTE' || c.toks[j + 1]?.kind === Tok.open)
    )
      return c.statement(j + 1, end)
    else if (depth === 0 && c.kw[j] === 'SELECT') return c.statement(j, end)
  }
}

/** Index after TABLE / VIEW / MATERIALIZED VIEW / FOREIGN TABLE at `j`, or -1 when `j` names another object. */
function tableObject(c: TokenCursor, j: number): number {
  const kw = c.kw[j]
  if (kw === 'TABLE' || kw === 'VIEW') return j + 1
  if ((kw === 'MATERIALIZED' && c.kw[j + 1] === 'VIEW') || (kw === 'FOREIGN' && c.kw[j + 1] === 'TABLE')) return j + 2
  return -1
}

/** ALTER or DROP of an object holding no rows (INDEX, FUNCTION, ...) changes nothing cached; of anything else, unknown. */
function otherObject(c: TokenCursor, j: number): void {
  const kw = c.kw[j]!
  if (!CREATE_OBJECTS.has(kw) && !ALTER_OBJECTS.has(kw)) c.unknown = true
}
