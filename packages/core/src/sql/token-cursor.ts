import { Tok, tokenize, type Token } from '../monitor/sql-lexer.js'
import { KIND_RANK, MAX_KEYWORD, NOT_NAME, READ, type Role, WRITE } from './scanner-words.js'
import type { SqlDialect, SqlTable, SqlWrite, SqlWriteKind } from './types.js'

/**
 * The tokens of a statement or script and what has been found in them so far, with the small
 * readers every part of the scan shares: names, identifiers, skips, levels. The query walk
 * (table-scanner.ts) and the DDL statements (ddl-statements.ts) build on it.
 */
export abstract class TokenCursor {
  readonly reads = new Map<string, SqlTable>()
  readonly writes = new Map<string, SqlWrite>()
  unknown = false
  readonly sql: string
  readonly mysql: boolean
  /** Tokens without comments. */
  readonly toks: Token[]
  /** Upper-case text of each word that may be a keyword; '' for other tokens and for `x.word`. */
  readonly kw: string[] = []
  /** CTE names of the current statement, folded like table names. */
  readonly ctes: string[] = []
  /** Table writes recorded so far (duplicates included): tells whether a DML statement found its target. */
  writeHits = 0

  constructor(sql: string, dialect: SqlDialect) {
    this.sql = sql
    this.mysql = dialect === 'mysql'
    const all = tokenize(sql, this.mysql ? { mysql: true } : { postgres: true })
    let comments = 0
    for (const t of all) {
      if (t.kind !== Tok.comment) continue
      comments++
      // MySQL executes `/*! ... */` (and `/*!50001 ... */`): its content is SQL we do not read.
      if (this.mysql && sql.charCodeAt(t.start + 2) === 33) this.unknown = true
    }
    const toks = comments === 0 ? all : all.filter((t) => t.kind !== Tok.comment)
    this.toks = toks
    const kw = this.kw
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

  /** `[ONLY] name [*] [, ...]` into `out`; returns the index after the list. */
  nameList(j: number, out: SqlTable[]): number {
    for (;;) {
      const named = this.name(this.skip(j, new Set(['ONLY'])))
      if (named === undefined) return j
      out.push(named[0])
      j = named[1]
      if (this.toks[j]?.kind === Tok.op && this.sql.charCodeAt(this.toks[j]!.start) === 42) j++
      if (this.toks[j]?.kind !== Tok.comma) return j
      j++
    }
  }

  /** First index in [j, end) at the level of `j` whose keyword is `kw`, or -1. */
  findAtLevel(j: number, end: number, kw: string): number {
    let depth = 0
    for (; j < end; j++) {
      const kind = this.toks[j]!.kind
      if (kind === Tok.open) depth++
      else if (kind === Tok.close) depth--
      else if (depth === 0 && this.kw[j] === kw) return j
    }
    return -1
  }

  /** Index after the parenthesised group opening at `j`. */
  skipParens(j: number, end: number): number {
    let depth = 0
    for (; j < end; j++) {
      const kind = this.toks[j]!.kind
      if (kind === Tok.open) depth++
      else if (kind === Tok.close && --depth === 0) return j + 1
    }
    return end
  }

  skip(j: number, words: ReadonlySet<string>, also?: string): number {
    while (j < this.toks.length && (words.has(this.kw[j]!) || (also !== undefined && this.kw[j] === also))) j++
    return j
  }

  /** Whether a table (not a function call) is named at `j`. */
  isTable(j: number): boolean {
    const named = this.name(j)
    return named !== undefined && this.toks[named[1]]?.kind !== Tok.open
  }

  isName(j: number): boolean {
    const t = this.toks[j]
    return (
      t !== undefined &&
      (t.kind === Tok.quotedIdent || (t.kind === Tok.word && !NOT_NAME.has(this.kw[j]!)) || this.isAnsiQuoted(t))
    )
  }

  /**
   * A MySQL `"..."` where a name must be: a string there is a syntax error, so the server runs
   * with ANSI_QUOTES and it is an identifier. Missing it would miss a read.
   */
  isAnsiQuoted(t: Token): boolean {
    return this.mysql && t.kind === Tok.string && this.sql.charCodeAt(t.start) === 34
  }

  /** A possibly qualified name at `j` (`t`, `s.t`, `db.s.t`) and the index after it. */
  name(j: number): [SqlTable, number] | undefined {
    if (!this.isName(j)) return undefined
    let schema: string | undefined
    let name = this.ident(j)
    j++
    while (this.toks[j]?.kind === Tok.dot) {
      const part = this.toks[j + 1]
      if (part === undefined || (part.kind !== Tok.word && part.kind !== Tok.quotedIdent && !this.isAnsiQuoted(part)))
        break
      schema = name
      name = this.ident(j + 1)
      j += 2
    }
    return [{ schema, name }, j]
  }

  /** An identifier as the database resolves it: quoted verbatim, unquoted folded by the dialect. */
  ident(j: number): string {
    const t = this.toks[j]!
    const text = this.sql.slice(t.start, t.end)
    if (t.kind === Tok.word) return this.mysql ? text : text.toLowerCase()
    const quote = text[0]!
    const closed = text.length > 1 && text.endsWith(quote)
    return text.slice(1, closed ? -1 : undefined).replaceAll(quote + quote, quote)
  }

  touch(table: SqlTable, role: Role): void {
    if (role === WRITE) this.write(table, 'rows')
    else if (role === READ && !(table.schema === undefined && this.ctes.includes(table.name))) {
      const key = `${table.schema ?? ''}\u0000${table.name}`
      if (!this.reads.has(key)) this.reads.set(key, table)
    }
  }

  write(table: SqlTable, kind: SqlWriteKind): void {
    this.writeHits++
    const key = `${table.schema ?? ''}\u0000${table.name}`
    const seen = this.writes.get(key)
    if (seen === undefined) this.writes.set(key, { table, kind })
    else if (KIND_RANK[kind] > KIND_RANK[seen.kind]) seen.kind = kind
  }

  /** Scans one statement in tokens [start, end). */
  abstract statement(start: number, end: number): void
  /** The generic walk over a query in tokens [start, end). */
  abstract scan(start: number, end: number): void
}
