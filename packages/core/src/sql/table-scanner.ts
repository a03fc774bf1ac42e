import { Tok } from '../monitor/sql-lexer.js'
import {
  alterStatement,
  copyStatement,
  createStatement,
  dropStatement,
  loadStatement,
  refreshStatement,
  renameStatement,
  truncateStatement,
} from './ddl-statements.js'
import {
  DML_MODIFIERS,
  EXPLAINABLE,
  LIST_END,
  NEUTRAL,
  NONE,
  NOT_ALIAS,
  NOT_DML,
  PENDING,
  QUERY_START,
  READ,
  type Role,
  SET_OPERATION,
  WRITE,
} from './scanner-words.js'
import { TokenCursor } from './token-cursor.js'
import type { SqlDialect, SqlTable, SqlTouches } from './types.js'

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

/**
 * Walks the tokens of a statement or script once, collecting the tables read and written. Not
 * a parser: it tracks parenthesis levels, FROM / JOIN / USING lists, CTE names and the targets
 * of data-changing verbs, and reports `unknown` whenever a verb's target cannot be found.
 */
class TableScanner extends TokenCursor {
  #stmtStart = 0
  #multi: MultiTable | undefined

  run(): void {
    const toks = this.toks
    let start = 0
    for (let k = 0; k <= toks.length; k++) {
      if (k === toks.length || toks[k]!.kind === Tok.semicolon) {
        this.statement(start, k)
        start = k + 1
      }
    }
  }

  statement(start: number, end: number): void {
    if (start >= end) return
    this.ctes.length = 0
    this.#stmtStart = start
    const kw = this.kw[start]!
    if (this.toks[start]!.kind === Tok.open) return this.scan(start, end)
    switch (kw) {
      case 'SELECT':
      case 'WITH':
      case 'VALUES':
      case 'INSERT':
      case 'UPDATE':
      case 'DELETE':
      case 'MERGE':
      case 'REPLACE': {
        const hits = this.writeHits
        this.scan(start, end)
        // A DML statement whose target was not found may write anything.
        if (kw !== 'SELECT' && kw !== 'WITH' && kw !== 'VALUES' && this.writeHits === hits) this.unknown = true
        return
      }
      case 'TABLE': {
        const named = this.name(start + 1)
        if (named) this.touch(named[0], READ)
        return
      }
      case 'EXPLAIN':
      case 'DESCRIBE':
      case 'DESC':
        return this.#explain(start, end)
      case 'TRUNCATE':
        return truncateStatement(this, start, end)
      case 'COPY':
        return copyStatement(this, start, end)
      case 'LOAD':
        return loadStatement(this, start, end)
      case 'ALTER':
        return alterStatement(this, start, end)
      case 'DROP':
        return dropStatement(this, start, end)
      case 'RENAME':
        return renameStatement(this, start, end)
      case 'REFRESH':
        return refreshStatement(this, start)
      case 'CREATE':
        return createStatement(this, start, end)
      default:
        // CALL, DO, EXECUTE, HANDLER and anything not recognised may change anything.
        if (!NEUTRAL.has(kw)) this.unknown = true
    }
  }

  /** The generic walk over a query (SELECT, DML, CTEs, subqueries) in tokens [start, end). */
  scan(start: number, end: number): void {
    const toks = this.toks
    const kws = this.kw
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
          inner.cteMark = this.ctes.length
          frames.push(inner)
          expect = role
          continue
        }
        // `ROWS FROM (f(), g())` is a function list; MySQL's DUAL is no table.
        if (kw === 'LATERAL' || kw === 'ONLY' || (kw === 'ROWS' && kws[k + 1] === 'FROM')) {
          expect = role
          continue
        }
        if (kw === 'DUAL' && this.mysql) continue
        const named = this.name(k)
        if (named !== undefined) {
          // `name(` is a set-returning function (unnest, generate_series, json_table): not a table.
          if (toks[named[1]]?.kind !== Tok.open) {
            if (role === PENDING) this.#pending(named[0], named[1])
            else this.touch(named[0], role)
          }
          k = named[1] - 1
          continue
        }
      }
      if (expectCte && (kind === Tok.quotedIdent || (kind === Tok.word && kw !== 'RECURSIVE'))) {
        expectCte = false
        this.ctes.push(this.ident(k))
        continue
      }
      if (kind === Tok.open) {
        const inner = newFrame(false)
        inner.cteMark = this.ctes.length
        frames.push(inner)
        continue
      }
      if (kind === Tok.close) {
        if (frames.length > 1) this.ctes.length = frames.pop()!.cteMark
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
            const j = this.skip(k + 1, DML_MODIFIERS)
            f.inWith = false
            if (!this.isTable(j)) this.unknown = true
            else {
              // PostgreSQL has one target; MySQL's `UPDATE a JOIN b ... SET a.x = ...` writes the tables SET names.
              expect = f.list = this.mysql ? PENDING : WRITE
              if (this.mysql) this.#multi = newMulti(true)
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
    for (const table of multi.tables) this.touch(table, !sure || written.has(table) ? WRITE : READ)
  }

  /** A table of a MySQL multi-table list, and its alias (`t AS x`, `t x`) at `j`. */
  #pending(table: SqlTable, j: number): void {
    // A CTE joined into the statement is no table.
    if (table.schema === undefined && this.ctes.includes(table.name)) return
    const multi = this.#multi
    if (multi === undefined) return this.touch(table, WRITE)
    multi.tables.push(table)
    if (!multi.aliases.has(table.name)) multi.aliases.set(table.name, table)
    if (this.kw[j] === 'AS') j++
    if (this.isName(j) && !NOT_ALIAS.has(this.kw[j]!)) multi.aliases.set(this.ident(j), table)
  }

  /** One `SET qualifier.col = ...` assignment of a MySQL multi-table UPDATE, at `j`. */
  #assignment(j: number): void {
    const multi = this.#multi!
    const named = this.name(j)
    // `a.col` names table (or alias) a; `db.a.col` names db.a; a bare `col` could be any table's.
    const parts = named === undefined ? 0 : named[1] - j
    if (parts === 3) multi.targets.push({ schema: undefined, name: this.ident(j) })
    else if (parts === 5) multi.targets.push({ schema: this.ident(j), name: this.ident(j + 2) })
    else multi.ambiguous = true
  }

  /** `DELETE [mods] FROM t [, ...] [USING ...]` or MySQL's `DELETE a, b FROM a JOIN b`; returns the index to resume before. */
  #delete(k: number, end: number, f: Frame, setExpect: (role: Role) => void): number {
    let j = this.skip(k + 1, DML_MODIFIERS)
    f.inWith = false
    f.usingList = true
    if (this.kw[j] === 'FROM') {
      j = this.skip(j + 1, DML_MODIFIERS)
      if (!this.isTable(j)) {
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
      const named = this.name(j)
      if (named === undefined) break
      multi.targets.push(named[0])
      j = named[1]
      if (this.toks[j]?.kind === Tok.dot && this.toks[j + 1]?.kind === Tok.op) j += 2
      if (this.toks[j]?.kind !== Tok.comma) break
      j++
    }
    if (multi.targets.length === 0 || this.kw[j] !== 'FROM') {
      this.unknown = true
      return k
    }
    this.#multi = multi
    f.fromRole = PENDING
    return j - 1
  }

  /** INSERT / REPLACE / MERGE INTO target at `k`: records it and returns the index after it, or undefined when `k` is not a statement. */
  #dmlTarget(k: number, kw: string): number | undefined {
    const next = this.kw[k + 1]
    if (kw === 'MERGE' && next !== 'INTO') return undefined
    // REPLACE is a statement only at the start or before INTO (else the replace() function).
    if (kw === 'REPLACE' && k !== this.#stmtStart && next !== 'INTO' && next !== 'LOW_PRIORITY' && next !== 'DELAYED')
      return undefined
    // `insert(` is MySQL's string function; MERGE's `THEN INSERT` has no target of its own.
    if (this.toks[k + 1]?.kind === Tok.open || !this.#isDml(k)) return undefined
    const j = this.skip(k + 1, DML_MODIFIERS, 'INTO')
    const named = this.name(j)
    if (named === undefined || (this.toks[named[1]]?.kind === Tok.open && kw === 'MERGE')) {
      this.unknown = true
      return undefined
    }
    this.touch(named[0], WRITE)
    return named[1]
  }

  /** Whether the DML verb at `k` is a statement: not `ON DELETE`, `FOR UPDATE`, `DO UPDATE`, `THEN INSERT`, `GRANT SELECT, UPDATE`. */
  #isDml(k: number): boolean {
    const prev = this.toks[k - 1]
    return prev === undefined || (prev.kind !== Tok.comma && !NOT_DML.has(this.kw[k - 1]!))
  }

  #isCte(k: number): boolean {
    const next = this.toks[k + 1]
    if (next === undefined) return false
    const kw = this.kw[k + 1]
    if (kw === 'RECURSIVE') return true
    if (!(next.kind === Tok.quotedIdent || (next.kind === Tok.word && kw !== 'ORDINALITY'))) return false
    // `WITH name AS (` or `WITH name (cols) AS (`; not `WITH TIME ZONE`, `WITH TIES`, `WITH NO DATA`.
    return this.kw[k + 2] === 'AS' || this.toks[k + 2]?.kind === Tok.open
  }

  #explain(start: number, end: number): void {
    let analyze = false
    let depth = 0
    let j = start + 1
    for (; j < end; j++) {
      const kind = this.toks[j]!.kind
      const kw = this.kw[j]!
      if (kind === Tok.open) depth++
      else if (kind === Tok.close) depth--
      else if (kw === 'ANALYZE' || kw === 'ANALYSE') analyze = true
      else if (depth <= 0 && EXPLAINABLE.has(kw)) break
    }
    // Without ANALYZE nothing runs; `EXPLAIN ANALYZE (ANALYZE false)` is rare enough to count as running.
    if (!analyze) return
    if (j >= end) this.unknown = true
    else this.statement(j, end)
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
