import { Tok, tokenize, type Token } from '../monitor/sql-lexer.js'
import type { SqlDialect, SqlTable, SqlTouches, SqlWrite, SqlWriteKind } from './types.js'

/** What a table reference found in a list does: nothing, read it, or write its rows. */
const NONE = 0
const READ = 1
const WRITE = 2
/** A table of a MySQL multi-table UPDATE or DELETE: written or read, decided at the end of the statement. */
const PENDING = 3
type Role = typeof NONE | typeof READ | typeof WRITE | typeof PENDING

/** One parenthesised level of the statement (the statement itself is the outermost). */
interface Frame {
  /** FROM and JOIN name tables here: a query level, not a function's arguments (`extract(year FROM d)`). */
  query: boolean
  /** Inside a FROM / USING / UPDATE table list: a `,` or JOIN starts another reference with this role. */
  list: Role
  /** What FROM starts: READ, or PENDING in MySQL's `DELETE a, b FROM a JOIN b`. */
  fromRole: Role
  /** USING starts a read list (DELETE ... USING, MERGE ... USING), not JOIN's `USING (cols)`. */
  usingList: boolean
  /** Between WITH and the main statement: a `,` starts another CTE name. */
  inWith: boolean
  /** No token seen yet at this level. */
  first: boolean
  /** Length of the CTE name stack when this level opened: its CTE names go out of scope when it closes. */
  cteMark: number
}

/** Writes a later duplicate may not weaken: a table both truncated and updated keeps `rows`. */
const KIND_RANK: Record<SqlWriteKind, number> = { truncate: 0, rows: 1, ddl: 2, 'truncate-cascade': 3 }

const QUERY_START = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'REPLACE'])
/** Words before PostgreSQL's `TABLE t` inside a query. */
const SET_OPERATION = new Set(['UNION', 'INTERSECT', 'EXCEPT', 'ALL', 'DISTINCT'])
/** Words that end a FROM / USING / UPDATE table list at their level. */
const LIST_END = new Set([
  ...['WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'OFFSET', 'FETCH', 'FOR', 'UNION', 'INTERSECT'],
  ...['EXCEPT', 'RETURNING', 'SET', 'VALUES', 'SELECT', 'WHEN', 'INTO', 'DO', 'PROCEDURE', 'QUALIFY', 'LOCK', 'TABLE'],
])
/** Words that cannot be a table name where one is expected (the statement is then incomplete). */
const NOT_NAME = new Set([
  ...LIST_END,
  ...['FROM', 'JOIN', 'ON', 'USING', 'AS', 'WITH', 'AND', 'OR', 'NOT', 'THEN', 'DEFAULT', 'LEFT', 'RIGHT'],
  ...['INNER', 'OUTER', 'FULL', 'CROSS', 'NATURAL', 'LATERAL', 'ONLY', 'IF', 'CASCADE', 'RESTRICT', 'NULL'],
  ...['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'IGNORE', 'CASE', 'END', 'DISTINCT', 'ALL'],
])
/** A DML verb after these words is a clause, trigger event or privilege, not a statement. */
const NOT_DML = new Set(['DO', 'FOR', 'KEY', 'ON', 'BEFORE', 'AFTER', 'OR', 'OF', 'INSTEAD', 'THEN', 'GRANT'])
const DML_MODIFIERS = new Set(['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'QUICK', 'ONLY'])
/** Statements that change no table (session, transaction, privileges, maintenance, cursors). */
const NEUTRAL = new Set([
  ...['SET', 'RESET', 'BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'ABORT', 'SAVEPOINT', 'RELEASE', 'LISTEN'],
  ...['UNLISTEN', 'NOTIFY', 'VACUUM', 'ANALYZE', 'ANALYSE', 'COMMENT', 'GRANT', 'REVOKE', 'LOCK', 'UNLOCK'],
  ...['DEALLOCATE', 'DISCARD', 'PREPARE', 'DECLARE', 'CLOSE', 'CHECKPOINT', 'SHOW', 'USE', 'FETCH', 'MOVE'],
  ...['REINDEX', 'CLUSTER', 'OPTIMIZE', 'CHECK', 'CHECKSUM', 'FLUSH', 'SECURITY'],
])
/** Statements EXPLAIN ANALYZE executes. */
const EXPLAINABLE = new Set([...QUERY_START, 'EXECUTE', 'CREATE', 'DECLARE'])
/** CREATE objects that can be filled by a query (`CREATE TABLE x AS SELECT`); any other CREATE changes no rows. */
const CREATE_OBJECTS = new Set([
  ...['INDEX', 'TRIGGER', 'FUNCTION', 'PROCEDURE', 'RULE', 'POLICY', 'SEQUENCE', 'TYPE', 'SCHEMA', 'DATABASE'],
  ...['EXTENSION', 'ROLE', 'USER', 'DOMAIN', 'EVENT', 'AGGREGATE', 'OPERATOR', 'PUBLICATION', 'SUBSCRIPTION'],
  ...['SERVER', 'CAST', 'COLLATION', 'CONVERSION', 'LANGUAGE', 'TABLESPACE', 'STATISTICS', 'TEXT', 'ACCESS'],
])
/** Length of the longest keyword above (STRAIGHT_JOIN, HIGH_PRIORITY, SUBSCRIPTION). */
const MAX_KEYWORD = 13

/** More objects of ALTER and DROP without rows: ALTER SYSTEM, ALTER DEFAULT PRIVILEGES, DROP UNIQUE INDEX, ... */
const ALTER_OBJECTS = new Set(['SYSTEM', 'DEFAULT', 'LARGE', 'UNIQUE', 'TABLESPACE', 'LOGFILE', 'INSTANCE', 'RESOURCE'])

/**
 * A MySQL multi-table UPDATE or DELETE: its tables are written only if the statement names them
 * as targets (DELETE's list before FROM, UPDATE's `SET alias.col =`), else read.
 */
interface MultiTable {
  /** Tables of the UPDATE list or the DELETE's FROM list, in order. */
  tables: SqlTable[]
  /** Alias or table name → table, from the list. */
  aliases: Map<string, SqlTable>
  /** DELETE: the targets before FROM. UPDATE: the qualifiers of SET assignments. */
  targets: SqlTable[]
  /** UPDATE: an assignment without a qualifier (`SET x = 1`), so any table may be written. */
  ambiguous: boolean
  /** UPDATE (the SET list decides) or DELETE (the names before FROM do). */
  isUpdate: boolean
  /** UPDATE: the frame whose SET list is being read, until WHERE, ORDER BY or LIMIT. */
  setFrame: Frame | undefined
}

function newMulti(isUpdate: boolean): MultiTable {
  return { tables: [], aliases: new Map(), targets: [], ambiguous: false, isUpdate, setFrame: undefined }
}

/** Words after a table name that are not its alias (MySQL index hints and partitions, PostgreSQL sampling). */
const NOT_ALIAS = new Set(['USE', 'FORCE', 'PARTITION', 'TABLESAMPLE', 'STRAIGHT_JOIN'])

/**
 * Walks the tokens of a statement or script once, collecting the tables read and written. Not
 * a parser: it tracks parenthesis levels, FROM / JOIN / USING lists, CTE names and the targets
 * of data-changing verbs, and reports `unknown` whenever a verb's target cannot be found.
 */
class TableScanner {
  readonly reads = new Map<string, SqlTable>()
  readonly writes = new Map<string, SqlWrite>()
  unknown = false
  readonly #sql: string
  readonly #mysql: boolean
  /** Tokens without comments. */
  readonly #toks: Token[]
  /** Upper-case text of each word that may be a keyword; '' for other tokens and for `x.word`. */
  readonly #kw: string[] = []
  /** CTE names of the current statement, folded like table names. */
  readonly #ctes: string[] = []
  /** Table writes recorded so far (duplicates included): tells whether a DML statement found its target. */
  #writeHits = 0
  #stmtStart = 0
  #multi: MultiTable | undefined

  constructor(sql: string, dialect: SqlDialect) {
    this.#sql = sql
    this.#mysql = dialect === 'mysql'
    const all = tokenize(sql, this.#mysql ? { mysql: true } : { postgres: true })
    let comments = 0
    for (const t of all) {
      if (t.kind !== Tok.comment) continue
      comments++
      // MySQL executes `/*! ... */` (and `/*!50001 ... */`): its content is SQL we do not read.
      if (this.#mysql && sql.charCodeAt(t.start + 2) === 33) this.unknown = true
    }
    const toks = comments === 0 ? all : all.filter((t) => t.kind !== Tok.comment)
    this.#toks = toks
    const kw = this.#kw
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k]!
      // No keyword we act on is longer than MAX_KEYWORD: longer words are names, never upper-cased.
      kw.push(
        t.kind === Tok.word && t.end - t.start <= MAX_KEYWORD && toks[k - 1]?.kind !== Tok.dot
          ? sql.slice(t.start, t.end).toUpperCase()
          : '',
      )
    }
  }

  run(): void {
    const toks = this.#toks
    let start = 0
    for (let k = 0; k <= toks.length; k++) {
      if (k === toks.length || toks[k]!.kind === Tok.semicolon) {
        this.#statement(start, k)
        start = k + 1
      }
    }
  }

  #statement(start: number, end: number): void {
    if (start >= end) return
    this.#ctes.length = 0
    this.#stmtStart = start
    const kw = this.#kw[start]!
    if (this.#toks[start]!.kind === Tok.open) return this.#scan(start, end)
    switch (kw) {
      case 'SELECT':
      case 'WITH':
      case 'VALUES':
      case 'INSERT':
      case 'UPDATE':
      case 'DELETE':
      case 'MERGE':
      case 'REPLACE': {
        const hits = this.#writeHits
        this.#scan(start, end)
        // A DML statement whose target was not found may write anything.
        if (kw !== 'SELECT' && kw !== 'WITH' && kw !== 'VALUES' && this.#writeHits === hits) this.unknown = true
        return
      }
      case 'TABLE': {
        const named = this.#name(start + 1)
        if (named) this.#touch(named[0], READ)
        return
      }
      case 'EXPLAIN':
      case 'DESCRIBE':
      case 'DESC':
        return this.#explain(start, end)
      case 'TRUNCATE':
        return this.#truncate(start, end)
      case 'COPY':
        return this.#copy(start, end)
      case 'LOAD':
        return this.#load(start, end)
      case 'ALTER':
        return this.#alter(start, end)
      case 'DROP':
        return this.#drop(start, end)
      case 'RENAME':
        return this.#rename(start, end)
      case 'REFRESH':
        return this.#refresh(start)
      case 'CREATE':
        return this.#create(start, end)
      default:
        // CALL, DO, EXECUTE, HANDLER and anything not recognised may change anything.
        if (!NEUTRAL.has(kw)) this.unknown = true
    }
  }

  /** The generic walk over a query (SELECT, DML, CTEs, subqueries) in tokens [start, end). */
  #scan(start: number, end: number): void {
    const toks = this.#toks
    const kws = this.#kw
    const frames: Frame[] = [newFrame(true)]
    let expect: Role = NONE
    let expectCte = false
    this.#multi = undefined
    for (let k = start; k < end; k++) {
      const kind = toks[k]!.kind
      const kw = kws[k]!
      const f = frames[frames.length - 1]!
      if (f.first) {
        f.first = false
        if (QUERY_START.has(kw)) f.query = true
      }
      if (expect !== NONE) {
        const role: Role = expect
        expect = NONE
        if (kind === Tok.open) {
          // `FROM (SELECT ...) s`, `FROM (a JOIN b ON ...)`: a query level that may start with a table.
          const inner = newFrame(true)
          inner.list = role
          inner.cteMark = this.#ctes.length
          frames.push(inner)
          expect = role
          continue
        }
        // `ROWS FROM (f(), g())` is a function list; MySQL's DUAL is no table.
        if (kw === 'LATERAL' || kw === 'ONLY' || (kw === 'ROWS' && kws[k + 1] === 'FROM')) {
          expect = role
          continue
        }
        if (kw === 'DUAL' && this.#mysql) continue
        const named = this.#name(k)
        if (named !== undefined) {
          // `name(` is a set-returning function (unnest, generate_series, json_table): not a table.
          if (toks[named[1]]?.kind !== Tok.open) {
            if (role === PENDING) this.#pending(named[0], named[1])
            else this.#touch(named[0], role)
          }
          k = named[1] - 1
          continue
        }
      }
      if (expectCte && (kind === Tok.quotedIdent || (kind === Tok.word && kw !== 'RECURSIVE'))) {
        expectCte = false
        this.#ctes.push(this.#ident(k))
        continue
      }
      if (kind === Tok.open) {
        const inner = newFrame(false)
        inner.cteMark = this.#ctes.length
        frames.push(inner)
        continue
      }
      if (kind === Tok.close) {
        if (frames.length > 1) this.#ctes.length = frames.pop()!.cteMark
        continue
      }
      if (kind === Tok.comma) {
        if (this.#multi?.setFrame === f) this.#assignment(k + 1)
        else if (f.list !== NONE) expect = f.list
        else if (f.inWith) expectCte = true
        continue
      }
      if (kw === '') continue
      switch (kw) {
        case 'FROM':
          if (f.query) expect = f.list = f.fromRole
          break
        case 'JOIN':
          if (f.query) expect = f.list === NONE ? READ : f.list
          break
        case 'STRAIGHT_JOIN':
          // Also a SELECT modifier in MySQL: only a join inside a table list.
          if (f.list !== NONE) expect = f.list
          break
        case 'USING':
          if (f.usingList) {
            f.usingList = false
            expect = f.list = READ
          }
          break
        case 'WITH':
          if (this.#isCte(k)) {
            f.inWith = true
            expectCte = true
          }
          break
        case 'INSERT':
        case 'REPLACE':
        case 'MERGE': {
          const next = this.#dmlTarget(k, kw)
          if (next !== undefined) {
            f.inWith = false
            f.list = NONE
            if (kw === 'MERGE') f.usingList = true
            k = next - 1
          }
          break
        }
        case 'UPDATE':
          f.list = NONE
          if (this.#isDml(k)) {
            const j = this.#skip(k + 1, DML_MODIFIERS)
            f.inWith = false
            if (!this.#isTable(j)) this.unknown = true
            else {
              // PostgreSQL has one target; MySQL's `UPDATE a JOIN b ... SET a.x = ...` writes the tables SET names.
              expect = f.list = this.#mysql ? PENDING : WRITE
              if (this.#mysql) this.#multi = newMulti(true)
              k = j - 1
            }
          }
          break
        case 'DELETE':
          if (this.#isDml(k)) k = this.#delete(k, end, f, (role) => (expect = role))
          break
        case 'TABLE':
          // `UNION TABLE t`, `(TABLE t)`: PostgreSQL's short SELECT * FROM t.
          f.list = NONE
          f.inWith = false
          f.fromRole = READ
          if (f.query && (k === start || SET_OPERATION.has(kws[k - 1]!) || toks[k - 1]!.kind === Tok.open))
            expect = READ
          break
        case 'SET':
          f.list = NONE
          if (this.#multi?.isUpdate === true && this.#multi.setFrame === undefined) {
            this.#multi.setFrame = f
            this.#assignment(k + 1)
          }
          break
        default:
          // Only these end MySQL's SET list: `CASE WHEN` and function names sit inside assignments.
          if (this.#multi?.setFrame === f && (kw === 'WHERE' || kw === 'ORDER' || kw === 'LIMIT'))
            this.#multi.setFrame = undefined
          if (LIST_END.has(kw)) {
            f.list = NONE
            if (kw === 'SELECT' || kw === 'VALUES' || kw === 'TABLE') {
              f.inWith = false
              f.fromRole = READ
            }
          }
      }
    }
    if (this.#multi !== undefined) this.#resolveMulti(this.#multi)
  }

  /** MySQL multi-table UPDATE / DELETE: writes the targets, reads the other tables; all written when unsure. */
  #resolveMulti(multi: MultiTable): void {
    this.#multi = undefined
    const written = new Set<SqlTable>()
    let sure = !multi.ambiguous && multi.targets.length > 0
    for (const target of multi.targets) {
      const table = target.schema === undefined ? multi.aliases.get(target.name) : undefined
      if (table !== undefined) written.add(table)
      else {
        const qualified = multi.tables.find((t) => t.name === target.name && t.schema === target.schema)
        if (qualified === undefined) sure = false
        else written.add(qualified)
      }
    }
    for (const table of multi.tables) this.#touch(table, !sure || written.has(table) ? WRITE : READ)
  }

  /** A table of a MySQL multi-table list, and its alias (`t AS x`, `t x`) at `j`. */
  #pending(table: SqlTable, j: number): void {
    // A CTE joined into the statement is no table.
    if (table.schema === undefined && this.#ctes.includes(table.name)) return
    const multi = this.#multi
    if (multi === undefined) return this.#touch(table, WRITE)
    multi.tables.push(table)
    if (!multi.aliases.has(table.name)) multi.aliases.set(table.name, table)
    if (this.#kw[j] === 'AS') j++
    if (this.#isName(j) && !NOT_ALIAS.has(this.#kw[j]!)) multi.aliases.set(this.#ident(j), table)
  }

  /** One `SET qualifier.col = ...` assignment of a MySQL multi-table UPDATE, at `j`. */
  #assignment(j: number): void {
    const multi = this.#multi!
    const named = this.#name(j)
    // `a.col` names table (or alias) a; `db.a.col` names db.a; a bare `col` could be any table's.
    const parts = named === undefined ? 0 : named[1] - j
    if (parts === 3) multi.targets.push({ schema: undefined, name: this.#ident(j) })
    else if (parts === 5) multi.targets.push({ schema: this.#ident(j), name: this.#ident(j + 2) })
    else multi.ambiguous = true
  }

  /** `DELETE [mods] FROM t [, ...] [USING ...]` or MySQL's `DELETE a, b FROM a JOIN b`; returns the index to resume before. */
  #delete(k: number, end: number, f: Frame, setExpect: (role: Role) => void): number {
    let j = this.#skip(k + 1, DML_MODIFIERS)
    f.inWith = false
    f.usingList = true
    if (this.#kw[j] === 'FROM') {
      j = this.#skip(j + 1, DML_MODIFIERS)
      if (!this.#isTable(j)) {
        this.unknown = true
        return k
      }
      f.list = WRITE
      setExpect(WRITE)
      return j - 1
    }
    // MySQL's multi-table form: `DELETE a, b.* FROM ...` names targets (tables or aliases) before FROM.
    const multi = newMulti(false)
    for (;;) {
      const named = this.#name(j)
      if (named === undefined) break
      multi.targets.push(named[0])
      j = named[1]
      if (this.#toks[j]?.kind === Tok.dot && this.#toks[j + 1]?.kind === Tok.op) j += 2
      if (this.#toks[j]?.kind !== Tok.comma) break
      j++
    }
    if (multi.targets.length === 0 || this.#kw[j] !== 'FROM') {
      this.unknown = true
      return k
    }
    this.#multi = multi
    f.fromRole = PENDING
    return j - 1
  }

  /** INSERT / REPLACE / MERGE INTO target at `k`: records it and returns the index after it, or undefined when `k` is not a statement. */
  #dmlTarget(k: number, kw: string): number | undefined {
    const next = this.#kw[k + 1]
    if (kw === 'MERGE' && next !== 'INTO') return undefined
    // REPLACE is a statement only at the start or before INTO (else the replace() function).
    if (kw === 'REPLACE' && k !== this.#stmtStart && next !== 'INTO' && next !== 'LOW_PRIORITY' && next !== 'DELAYED')
      return undefined
    // `insert(` is MySQL's string function; MERGE's `THEN INSERT` has no target of its own.
    if (this.#toks[k + 1]?.kind === Tok.open || !this.#isDml(k)) return undefined
    const j = this.#skip(k + 1, DML_MODIFIERS, 'INTO')
    const named = this.#name(j)
    if (named === undefined || (this.#toks[named[1]]?.kind === Tok.open && kw === 'MERGE')) {
      this.unknown = true
      return undefined
    }
    this.#touch(named[0], WRITE)
    return named[1]
  }

  /** Whether the DML verb at `k` is a statement: not `ON DELETE`, `FOR UPDATE`, `DO UPDATE`, `THEN INSERT`, `GRANT SELECT, UPDATE`. */
  #isDml(k: number): boolean {
    const prev = this.#toks[k - 1]
    return prev === undefined || (prev.kind !== Tok.comma && !NOT_DML.has(this.#kw[k - 1]!))
  }

  #isCte(k: number): boolean {
    const next = this.#toks[k + 1]
    if (next === undefined) return false
    const kw = this.#kw[k + 1]
    if (kw === 'RECURSIVE') return true
    if (!(next.kind === Tok.quotedIdent || (next.kind === Tok.word && kw !== 'ORDINALITY'))) return false
    // `WITH name AS (` or `WITH name (cols) AS (`; not `WITH TIME ZONE`, `WITH TIES`, `WITH NO DATA`.
    return this.#kw[k + 2] === 'AS' || this.#toks[k + 2]?.kind === Tok.open
  }

  #explain(start: number, end: number): void {
    let analyze = false
    let depth = 0
    let j = start + 1
    for (; j < end; j++) {
      const kind = this.#toks[j]!.kind
      const kw = this.#kw[j]!
      if (kind === Tok.open) depth++
      else if (kind === Tok.close) depth--
      else if (kw === 'ANALYZE' || kw === 'ANALYSE') analyze = true
      else if (depth <= 0 && EXPLAINABLE.has(kw)) break
    }
    // Without ANALYZE nothing runs; `EXPLAIN ANALYZE (ANALYZE false)` is rare enough to count as running.
    if (!analyze) return
    if (j >= end) this.unknown = true
    else this.#statement(j, end)
  }

  /** `TRUNCATE [TABLE] [ONLY] name [*] [, ...] [RESTART | CONTINUE IDENTITY] [CASCADE | RESTRICT]`. */
  #truncate(start: number, end: number): void {
    const tables: SqlTable[] = []
    const j = this.#nameList(this.#skip(start + 1, new Set(['TABLE'])), tables)
    if (tables.length === 0) {
      this.unknown = true
      return
    }
    const kind = this.#findAtLevel(j, end, 'CASCADE') === -1 ? 'truncate' : 'truncate-cascade'
    for (const table of tables) this.#write(table, kind)
  }

  /** `COPY t [(cols)] FROM ...` writes; `COPY t TO` and `COPY (query) TO` read. */
  #copy(start: number, end: number): void {
    if (this.#toks[start + 1]?.kind === Tok.open) return this.#scan(start + 1, end)
    const named = this.#name(start + 1)
    if (named === undefined) {
      this.unknown = true
      return
    }
    const j = this.#toks[named[1]]?.kind === Tok.open ? this.#skipParens(named[1], end) : named[1]
    if (this.#kw[j] === 'FROM') this.#write(named[0], 'rows')
    else if (this.#kw[j] === 'TO') this.#touch(named[0], READ)
    else this.unknown = true
  }

  /** MySQL `LOAD DATA | XML ... INTO TABLE t`; PostgreSQL's `LOAD 'library'` and MySQL's `LOAD INDEX` change no rows. */
  #load(start: number, end: number): void {
    const what = this.#kw[start + 1]
    if (what !== 'DATA' && what !== 'XML') return
    const into = this.#findAtLevel(start + 2, end, 'INTO')
    const named = into !== -1 && this.#kw[into + 1] === 'TABLE' ? this.#name(into + 2) : undefined
    if (named === undefined) this.unknown = true
    else this.#write(named[0], 'rows')
  }

  /** ALTER TABLE | VIEW | MATERIALIZED VIEW | FOREIGN TABLE: `ddl` on the target and on a new name (RENAME TO, SET SCHEMA). */
  #alter(start: number, end: number): void {
    const object = this.#skip(start + 1, new Set(['ONLINE', 'IGNORE']))
    const j = this.#tableObject(object)
    if (j === -1) return this.#otherObject(object)
    const named = this.#name(this.#skip(j, new Set(['IF', 'EXISTS', 'ONLY'])))
    if (named === undefined) {
      this.unknown = true
      return
    }
    const [table] = named
    this.#write(table, 'ddl')
    const rename = this.#findAtLevel(named[1], end, 'RENAME')
    if (rename !== -1) {
      const to = this.#kw[rename + 1]
      const bare = this.#mysql && to !== 'COLUMN' && to !== 'INDEX' && to !== 'KEY' && to !== 'CONSTRAINT'
      const renamed = to === 'TO' || to === 'AS' ? this.#name(rename + 2) : bare ? this.#name(rename + 1) : undefined
      // `RENAME col TO other` (a column) is followed by TO; the new table name is not.
      if (renamed !== undefined && this.#kw[renamed[1]] !== 'TO')
        this.#write({ schema: renamed[0].schema ?? table.schema, name: renamed[0].name }, 'ddl')
    }
    const set = this.#findAtLevel(named[1], end, 'SET')
    if (set !== -1 && this.#kw[set + 1] === 'SCHEMA' && this.#isName(set + 2))
      this.#write({ schema: this.#ident(set + 2), name: table.name }, 'ddl')
  }

  /** DROP TABLE | VIEW | MATERIALIZED VIEW | FOREIGN TABLE [IF EXISTS] a, b: `ddl`; DROP SCHEMA / DATABASE / OWNED: unknown. */
  #drop(start: number, end: number): void {
    const kw = this.#kw[start + 1]
    if (kw === 'SCHEMA' || kw === 'DATABASE' || kw === 'OWNED') {
      this.unknown = true
      return
    }
    const object = this.#skip(start + 1, new Set(['TEMPORARY']))
    const j = this.#tableObject(object)
    if (j === -1) {
      // DROP TYPE | DOMAIN | EXTENSION ... CASCADE drops the columns or tables that use them.
      if (this.#findAtLevel(object, end, 'CASCADE') !== -1) this.unknown = true
      return this.#otherObject(object)
    }
    const tables: SqlTable[] = []
    this.#nameList(this.#skip(j, new Set(['IF', 'EXISTS'])), tables)
    if (tables.length === 0) this.unknown = true
    for (const table of tables) this.#write(table, 'ddl')
  }

  /** MySQL `RENAME TABLE a TO b [, c TO d]`: `ddl` on both names; `RENAME USER` changes no table. */
  #rename(start: number, end: number): void {
    if (this.#kw[start + 1] === 'USER') return
    let j = start + 2
    let found = this.#kw[start + 1] === 'TABLE'
    while (found) {
      const from = this.#name(j)
      const to = from !== undefined && this.#kw[from[1]] === 'TO' ? this.#name(from[1] + 1) : undefined
      if (from === undefined || to === undefined) {
        found = false
        break
      }
      this.#write(from[0], 'ddl')
      this.#write(to[0], 'ddl')
      j = to[1]
      if (j >= end) return
      if (this.#toks[j]!.kind !== Tok.comma) break
      j++
    }
    if (!found || j < end) this.unknown = true
  }

  /** `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name`. */
  #refresh(start: number): void {
    const named =
      this.#kw[start + 1] === 'MATERIALIZED' && this.#kw[start + 2] === 'VIEW'
        ? this.#name(this.#skip(start + 3, new Set(['CONCURRENTLY'])))
        : undefined
    if (named === undefined) this.unknown = true
    else this.#write(named[0], 'ddl')
  }

  /** CREATE changes no cached rows; `CREATE TABLE | VIEW x AS <query>` reads the query's tables. */
  #create(start: number, end: number): void {
    let j = start + 1
    for (; j < end && this.#toks[j]!.kind !== Tok.open; j++) {
      const kw = this.#kw[j]!
      if (kw === 'TABLE' || kw === 'VIEW') break
      if (CREATE_OBJECTS.has(kw)) return
    }
    let depth = 0
    for (; j < end; j++) {
      const kind = this.#toks[j]!.kind
      if (kind === Tok.open) depth++
      else if (kind === Tok.close) depth--
      else if (
        depth === 0 &&
        this.#kw[j] === 'AS' &&
        (QUERY_START.has(this.#kw[j + 1]!) || this.#kw[j + 1] === 'EXECUTE' || this.#toks[j + 1]?.kind === Tok.open)
      )
        return this.#statement(j + 1, end)
      else if (depth === 0 && this.#kw[j] === 'SELECT') return this.#statement(j, end)
    }
  }

  /** Index after TABLE / VIEW / MATERIALIZED VIEW / FOREIGN TABLE at `j`, or -1 when `j` names another object. */
  #tableObject(j: number): number {
    const kw = this.#kw[j]
    if (kw === 'TABLE' || kw === 'VIEW') return j + 1
    if ((kw === 'MATERIALIZED' && this.#kw[j + 1] === 'VIEW') || (kw === 'FOREIGN' && this.#kw[j + 1] === 'TABLE'))
      return j + 2
    return -1
  }

  /** ALTER or DROP of an object holding no rows (INDEX, FUNCTION, ...) changes nothing cached; of anything else, unknown. */
  #otherObject(j: number): void {
    const kw = this.#kw[j]!
    if (!CREATE_OBJECTS.has(kw) && !ALTER_OBJECTS.has(kw)) this.unknown = true
  }

  /** `[ONLY] name [*] [, ...]` into `out`; returns the index after the list. */
  #nameList(j: number, out: SqlTable[]): number {
    for (;;) {
      const named = this.#name(this.#skip(j, new Set(['ONLY'])))
      if (named === undefined) return j
      out.push(named[0])
      j = named[1]
      if (this.#toks[j]?.kind === Tok.op && this.#sql.charCodeAt(this.#toks[j]!.start) === 42) j++
      if (this.#toks[j]?.kind !== Tok.comma) return j
      j++
    }
  }

  /** First index in [j, end) at the level of `j` whose keyword is `kw`, or -1. */
  #findAtLevel(j: number, end: number, kw: string): number {
    let depth = 0
    for (; j < end; j++) {
      const kind = this.#toks[j]!.kind
      if (kind === Tok.open) depth++
      else if (kind === Tok.close) depth--
      else if (depth === 0 && this.#kw[j] === kw) return j
    }
    return -1
  }

  /** Index after the parenthesised group opening at `j`. */
  #skipParens(j: number, end: number): number {
    let depth = 0
    for (; j < end; j++) {
      const kind = this.#toks[j]!.kind
      if (kind === Tok.open) depth++
      else if (kind === Tok.close && --depth === 0) return j + 1
    }
    return end
  }

  #skip(j: number, words: ReadonlySet<string>, also?: string): number {
    while (j < this.#toks.length && (words.has(this.#kw[j]!) || (also !== undefined && this.#kw[j] === also))) j++
    return j
  }

  /** Whether a table (not a function call) is named at `j`. */
  #isTable(j: number): boolean {
    const named = this.#name(j)
    return named !== undefined && this.#toks[named[1]]?.kind !== Tok.open
  }

  #isName(j: number): boolean {
    const t = this.#toks[j]
    return (
      t !== undefined &&
      (t.kind === Tok.quotedIdent || (t.kind === Tok.word && !NOT_NAME.has(this.#kw[j]!)) || this.#isAnsiQuoted(t))
    )
  }

  /**
   * A MySQL `"..."` where a name must be: a string there is a syntax error, so the server runs
   * with ANSI_QUOTES and it is an identifier. Missing it would miss a read.
   */
  #isAnsiQuoted(t: Token): boolean {
    return this.#mysql && t.kind === Tok.string && this.#sql.charCodeAt(t.start) === 34
  }

  /** A possibly qualified name at `j` (`t`, `s.t`, `db.s.t`) and the index after it. */
  #name(j: number): [SqlTable, number] | undefined {
    if (!this.#isName(j)) return undefined
    let schema: string | undefined
    let name = this.#ident(j)
    j++
    while (this.#toks[j]?.kind === Tok.dot) {
      const part = this.#toks[j + 1]
      if (part === undefined || (part.kind !== Tok.word && part.kind !== Tok.quotedIdent && !this.#isAnsiQuoted(part)))
        break
      schema = name
      name = this.#ident(j + 1)
      j += 2
    }
    return [{ schema, name }, j]
  }

  /** An identifier as the database resolves it: quoted verbatim, unquoted folded by the dialect. */
  #ident(j: number): string {
    const t = this.#toks[j]!
    const text = this.#sql.slice(t.start, t.end)
    if (t.kind === Tok.word) return this.#mysql ? text : text.toLowerCase()
    const quote = text[0]!
    const closed = text.length > 1 && text.endsWith(quote)
    return text.slice(1, closed ? -1 : undefined).replaceAll(quote + quote, quote)
  }

  #touch(table: SqlTable, role: Role): void {
    if (role === WRITE) this.#write(table, 'rows')
    else if (role === READ && !(table.schema === undefined && this.#ctes.includes(table.name))) {
      const key = `${table.schema ?? ''}\u0000${table.name}`
      if (!this.reads.has(key)) this.reads.set(key, table)
    }
  }

  #write(table: SqlTable, kind: SqlWriteKind): void {
    this.#writeHits++
    const key = `${table.schema ?? ''}\u0000${table.name}`
    const seen = this.writes.get(key)
    if (seen === undefined) this.writes.set(key, { table, kind })
    else if (KIND_RANK[kind] > KIND_RANK[seen.kind]) seen.kind = kind
  }
}

function newFrame(query: boolean): Frame {
  return { query, list: NONE, fromRole: READ, usingList: false, inWith: false, first: !query, cteMark: 0 }
}

/** {@link sqlTables} without the memo and the safety net: exported for tests. */
export function scanTables(sql: string, dialect: SqlDialect): SqlTouches {
  const scanner = new TableScanner(sql, dialect)
  scanner.run()
  const writes = [...scanner.writes.values()]
  const kind = scanner.unknown ? 'unknown' : writes.length > 0 ? 'write' : 'read'
  return { kind, reads: [...scanner.reads.values()], writes }
}
