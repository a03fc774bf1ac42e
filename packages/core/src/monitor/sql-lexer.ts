/**
 * A single-pass, hand-written SQL scanner shared by `fingerprint`, `redact` and the adapters'
 * raw-SQL classification. Every branch advances at least one character and never backtracks, so
 * any input is scanned in linear time (no regular expressions, no catastrophic cases). It knows
 * enough of PostgreSQL, MySQL and SQLite lexing to find literals, comments and identifiers: E''
 * strings with backslash escapes, `$$` and `$tag$` dollar quotes, nested block comments, `--`
 * comments ended by CR or LF, `""`-doubled quoted identifiers and MySQL backticks. It is not a
 * parser.
 */

/** Token kinds. Numbers, not a `const enum`, because `verbatimModuleSyntax` forbids const enums across files. */
export const Tok = {
  word: 0,
  quotedIdent: 1,
  string: 2,
  number: 3,
  placeholder: 4,
  op: 5,
  open: 6,
  close: 7,
  comma: 8,
  dot: 9,
  semicolon: 10,
  comment: 11,
  cast: 12,
  openBracket: 13,
  closeBracket: 14,
} as const

/** One of {@link Tok}. */
export type TokKind = (typeof Tok)[keyof typeof Tok]

/** A token: its kind and its [start, end) range in the SQL text. */
export interface Token {
  kind: TokKind
  start: number
  end: number
}

/** How {@link tokenize} reads dialect-dependent text. */
export interface SqlLexerOptions {
  /**
   * Lex exactly as PostgreSQL does (standard_conforming_strings on): a backslash in a plain
   * `'...'` string is an ordinary character (only `E'...'` strings have backslash escapes), and
   * `"..."` is always a quoted identifier. Use it where a misread literal would hide a statement.
   * @default false: guess per literal instead, so that redaction never leaks the tail of MySQL's
   * `'O\'Brien'` or a `"ann@example.com"` string value.
   */
  postgres?: boolean
  /**
   * Lex exactly as MySQL does in its default sql_mode (ignored when `postgres` is set): `"..."`
   * is a string, a backslash escapes the next character in both string quotes, `#` starts a line
   * comment, `--` starts one only before whitespace (`1--1` is arithmetic), block comments do not
   * nest, and `$` is an identifier character, not a dollar quote.
   * @default false
   */
  mysql?: boolean
}

const CH_QUOTE = 39 // '
const CH_DQUOTE = 34 // "
const CH_BACKTICK = 96
const CH_DOLLAR = 36
const CH_BACKSLASH = 92
/** How a backslash inside a quoted run behaves (see {@link skipQuoted}). */
const NO_ESCAPES = 0
const GUESS_ESCAPED_QUOTE = 1
const BACKSLASH_ESCAPES = 2
type Escapes = typeof NO_ESCAPES | typeof GUESS_ESCAPED_QUOTE | typeof BACKSLASH_ESCAPES
const OPERATOR_CHARS = '+-*/<>=~!@#%^&|?:'
/** PostgreSQL lets a multi-char operator end in + or - only if it contains one of these. */
const OPERATOR_SPECIAL = '~!@#%^&|`?'

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13)
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === CH_DOLLAR
}

/**
 * Splits `sql` into tokens (whitespace dropped, comments kept so callers decide). Any input is
 * accepted: an unterminated literal or comment runs to the end of the text.
 *
 * @experimental The base of SQL-level adapters; token kinds may still be added.
 * @example
 * const sql = "DELETE FROM t WHERE a = E'it\\'s' -- why"
 * tokenize(sql, { postgres: true }).filter((t) => t.kind === Tok.word).map((t) => sql.slice(t.start, t.end))
 * // ['DELETE', 'FROM', 't', 'WHERE', 'a']
 */
export function tokenize(sql: string, options?: SqlLexerOptions): Token[] {
  const postgres = options?.postgres === true
  const mysql = !postgres && options?.mysql === true
  const plainEscapes: Escapes = postgres ? NO_ESCAPES : mysql ? BACKSLASH_ESCAPES : GUESS_ESCAPED_QUOTE
  const tokens: Token[] = []
  const n = sql.length
  let lf = -1 // the next LF at or after the last `--` (n: none), so indexOf scans each character once
  let i = 0
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (isSpace(c)) {
      i++
      continue
    }
    const start = i
    let kind: TokKind
    if (c === 45 && sql.charCodeAt(i + 1) === 45 && (!mysql || i + 2 >= n || isSpace(sql.charCodeAt(i + 2)))) {
      // A `--` comment ends before a CR or LF (PostgreSQL, MySQL and SQLite agree).
      if (lf < i) lf = indexOrEnd(sql, '\n', i)
      i += 2
      while (i < lf && sql.charCodeAt(i) !== 13) i++
      kind = Tok.comment
    } else if (mysql && c === 35) {
      // MySQL's `#` comment, ended like `--` by CR or LF.
      i++
      while (i < n && sql.charCodeAt(i) !== 10 && sql.charCodeAt(i) !== 13) i++
      kind = Tok.comment
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      i = skipBlockComment(sql, i, !mysql)
      kind = Tok.comment
    } else if (c === CH_QUOTE) {
      i = skipQuoted(sql, i, CH_QUOTE, plainEscapes)
      kind = Tok.string
    } else if (c === CH_DQUOTE && mysql) {
      i = skipQuoted(sql, i, CH_DQUOTE, BACKSLASH_ESCAPES)
      kind = Tok.string
    } else if (c === CH_DOLLAR && mysql) {
      i = skipIdent(sql, i + 1)
      kind = Tok.word
    } else if (c === CH_DQUOTE) {
      i = skipQuoted(sql, i, CH_DQUOTE, NO_ESCAPES)
      kind = !postgres && looksLikeValue(sql, start + 1, i - 1) ? Tok.string : Tok.quotedIdent
    } else if (c === CH_BACKTICK) {
      i = skipQuoted(sql, i, CH_BACKTICK, NO_ESCAPES)
      kind = Tok.quotedIdent
    } else if (c === CH_DOLLAR) {
      ;[i, kind] = scanDollar(sql, i)
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)) && !endsOperand(tokens))) {
      i = scanNumber(sql, i)
      kind = Tok.number
    } else if (isIdentStart(c)) {
      ;[i, kind] = scanWord(sql, i, plainEscapes)
    } else if (c === 58 && sql.charCodeAt(i + 1) === 58) {
      i += 2
      kind = Tok.cast
    } else if ((c === 58 || c === 64) && isIdentStart(sql.charCodeAt(i + 1))) {
      // :name (named parameters) and @name (SQL Server / MySQL variables): values bound at run time.
      i = skipIdent(sql, i + 1)
      kind = Tok.placeholder
    } else if (c === 63 && !isOperatorChar(sql.charCodeAt(i + 1))) {
      i++
      while (i < n && isDigit(sql.charCodeAt(i))) i++
      kind = Tok.placeholder
    } else if (isOperatorChar(c)) {
      i = scanOperator(sql, i)
      kind = Tok.op
    } else {
      i++
      kind = PUNCT[c] ?? Tok.op
    }
    tokens.push({ kind, start, end: i })
  }
  return tokens
}

const PUNCT: Record<number, TokKind> = {
  40: Tok.open,
  41: Tok.close,
  44: Tok.comma,
  46: Tok.dot,
  59: Tok.semicolon,
  91: Tok.openBracket,
  93: Tok.closeBracket,
}

const OPERATOR_TABLE = new Uint8Array(128)
for (const ch of OPERATOR_CHARS) OPERATOR_TABLE[ch.charCodeAt(0)] = 1

function isOperatorChar(c: number): boolean {
  return c < 128 && OPERATOR_TABLE[c] === 1
}

/** True when the token before index `end` ends an operand, so a following `.5` or `-` is not the start of a number. */
export function endsOperand(tokens: readonly Token[], end = tokens.length): boolean {
  const last = tokens[end - 1]
  if (last === undefined) return false
  const k = last.kind
  return (
    k === Tok.quotedIdent ||
    k === Tok.string ||
    k === Tok.number ||
    k === Tok.placeholder ||
    k === Tok.close ||
    k === Tok.closeBracket
  )
}

function indexOrEnd(sql: string, search: string, from: number): number {
  const at = sql.indexOf(search, from)
  return at === -1 ? sql.length : at
}

function skipBlockComment(sql: string, i: number, nested = true): number {
  // PostgreSQL nests block comments; MySQL does not (`/* /* */` ends the comment there).
  if (!nested) {
    const close = sql.indexOf('*/', i + 2)
    return close === -1 ? sql.length : close + 2
  }
  let depth = 0
  const n = sql.length
  while (i < n) {
    if (sql.charCodeAt(i) === 47 && sql.charCodeAt(i + 1) === 42) {
      depth++
      i += 2
    } else if (sql.charCodeAt(i) === 42 && sql.charCodeAt(i + 1) === 47) {
      depth--
      i += 2
      if (depth === 0) return i
    } else i++
  }
  return n
}

/**
 * Skips a quoted run starting at `i` (the opening quote); a doubled quote is an escaped quote.
 * `escapes` says what a backslash does: nothing, escape the next character (E'' strings), or
 * escape a following quote when {@link isEscapedQuote} guesses so.
 */
function skipQuoted(sql: string, i: number, quote: number, escapes: Escapes): number {
  const n = sql.length
  i++
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (
      c === CH_BACKSLASH &&
      (escapes === BACKSLASH_ESCAPES || (escapes === GUESS_ESCAPED_QUOTE && isEscapedQuote(sql, i)))
    )
      i += 2
    else if (c === quote) {
      if (sql.charCodeAt(i + 1) !== quote) return i + 1
      i += 2
    } else i++
  }
  // Unterminated: everything to the end belongs to the literal, so redact() never leaks its tail.
  return n
}

/**
 * In a plain '...' string, `\'` ends the string in PostgreSQL but is an escaped quote in MySQL's
 * default mode. Guess from what follows: a letter, digit or quote cannot follow a closed literal
 * in valid SQL, so `'O\'Brien'` is one string while `'C:\'` before `)`, `,` or a space ends.
 */
function isEscapedQuote(sql: string, i: number): boolean {
  if (sql.charCodeAt(i + 1) !== CH_QUOTE) return false
  const after = sql.charCodeAt(i + 2)
  return isIdentPart(after) || after === CH_QUOTE || after === CH_DQUOTE
}

function skipIdent(sql: string, i: number): number {
  while (i < sql.length && isIdentPart(sql.charCodeAt(i))) i++
  return i
}

/** `$1` placeholder, `$tag$...$tag$` / `$$...$$` dollar-quoted string, `$name` placeholder, or a lone `$`. */
function scanDollar(sql: string, i: number): [number, TokKind] {
  const next = sql.charCodeAt(i + 1)
  if (isDigit(next)) {
    let j = i + 1
    while (isDigit(sql.charCodeAt(j))) j++
    return [j, Tok.placeholder]
  }
  let j = i + 1
  if (isIdentStart(next))
    while (j < sql.length && isIdentPart(sql.charCodeAt(j)) && sql.charCodeAt(j) !== CH_DOLLAR) j++
  if (sql.charCodeAt(j) === CH_DOLLAR) {
    const tag = sql.slice(i, j + 1)
    const close = sql.indexOf(tag, j + 1)
    return [close === -1 ? sql.length : close + tag.length, Tok.string]
  }
  return j > i + 1 ? [j, Tok.placeholder] : [i + 1, Tok.op]
}

/** Decimal with optional fraction and exponent, `1_000` (PostgreSQL 16), or `0x1F` hex. */
function scanNumber(sql: string, i: number): number {
  const n = sql.length
  if (sql.charCodeAt(i) === 48 && (sql.charCodeAt(i + 1) | 32) === 120) {
    i += 2
    while (i < n && isIdentPart(sql.charCodeAt(i))) i++
    return i
  }
  while (i < n && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 95)) i++
  if (sql.charCodeAt(i) === 46 && sql.charCodeAt(i + 1) !== 46) {
    i++
    while (i < n && (isDigit(sql.charCodeAt(i)) || sql.charCodeAt(i) === 95)) i++
  }
  if ((sql.charCodeAt(i) | 32) === 101) {
    const sign = sql.charCodeAt(i + 1)
    const first = sign === 43 || sign === 45 ? i + 2 : i + 1
    if (isDigit(sql.charCodeAt(first))) {
      i = first
      while (i < n && isDigit(sql.charCodeAt(i))) i++
    }
  }
  return i
}

/** A word, or a prefixed string: E'..' (backslash escapes), N'..', X'..', B'..', U&'..'. */
function scanWord(sql: string, i: number, plainEscapes: Escapes): [number, TokKind] {
  const end = skipIdent(sql, i)
  if (end === i + 1) {
    const p = sql.charCodeAt(i) | 32
    const after = sql.charCodeAt(end)
    if (after === CH_QUOTE && (p === 101 || p === 110 || p === 120 || p === 98)) {
      return [skipQuoted(sql, end, CH_QUOTE, p === 101 ? BACKSLASH_ESCAPES : plainEscapes), Tok.string]
    }
    if (p === 117 && after === 38 && sql.charCodeAt(end + 1) === CH_QUOTE) {
      return [skipQuoted(sql, end + 1, CH_QUOTE, plainEscapes), Tok.string]
    }
  }
  return [end, Tok.word]
}

function scanOperator(sql: string, i: number): number {
  const start = i
  const n = sql.length
  while (i < n && isOperatorChar(sql.charCodeAt(i))) {
    const c = sql.charCodeAt(i)
    const d = sql.charCodeAt(i + 1)
    // A comment may start right after an operator: `x=1--why`.
    if (i > start && ((c === 45 && d === 45) || (c === 47 && d === 42))) break
    // `::` is a cast and `?`, `:name`, `@name` placeholders even when glued to an operator: `=?`, `=:id`.
    if (i > start && (c === 63 || (c === 58 && d === 58) || ((c === 58 || c === 64) && isIdentStart(d)))) break
    i++
  }
  // `=-5`: a trailing + or - belongs to the operand unless the operator has a "special" character.
  while (i - start > 1 && (sql.charCodeAt(i - 1) === 43 || sql.charCodeAt(i - 1) === 45)) {
    let special = false
    for (let j = start; j < i - 1; j++) if (OPERATOR_SPECIAL.includes(sql[j]!)) special = true
    if (special) break
    i--
  }
  return i
}

/**
 * Whether a double-quoted token is a value rather than an identifier: MySQL (without
 * ANSI_QUOTES) and hand-written SQL use "..." for strings. Identifiers with an `@` or mostly
 * digits are implausible; e-mails and phone numbers are exactly that.
 */
function looksLikeValue(sql: string, start: number, end: number): boolean {
  let digits = 0
  for (let i = start; i < end; i++) {
    const c = sql.charCodeAt(i)
    if (c === 64) return true
    if (isDigit(c)) digits++
  }
  return digits >= 6 && digits * 2 >= end - start
}

/** True when `sql[start, end)` case-insensitively equals `upper` (an upper-case ASCII word). */
export function wordIs(sql: string, token: Token | undefined, upper: string): boolean {
  if (token === undefined || token.kind !== Tok.word || token.end - token.start !== upper.length) return false
  for (let i = 0; i < upper.length; i++) {
    if ((sql.charCodeAt(token.start + i) & ~32) !== upper.charCodeAt(i)) return false
  }
  return true
}
