import { createHash } from 'node:crypto'
import { PerfError } from '../errors.js'
import { endsOperand, Tok, tokenize, wordIs, type Token } from './sql-lexer.js'

/** Words upper-cased in fingerprints; spacing treats them as keywords (`IN (`, `VALUES (`). */
const KEYWORDS = new Set(
  (
    'ADD ALL ALTER ANALYZE AND ANY ARRAY AS ASC AT BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE ' +
    'COLUMN COMMIT COMMITTED CONCURRENTLY CONFLICT CONSTRAINT CREATE CROSS CURRENT_DATE CURRENT_TIMESTAMP ' +
    'DEFAULT DELETE DESC DISTINCT DO DROP DUPLICATE ELSE END ESCAPE EXCEPT EXISTS EXPLAIN FALSE FETCH ' +
    'FILTER FIRST FOR FOREIGN FROM FULL GROUP HAVING IF IGNORE ILIKE IN INDEX INNER INSERT INTERSECT ' +
    'INTERVAL INTO IS ISOLATION JOIN KEY LAST LATERAL LEFT LEVEL LIKE LIMIT LOCK LOCKED MATCHED ' +
    'MATERIALIZED MERGE NATURAL NEXT NO NOT NOTHING NOWAIT NULL NULLS OFFSET ON ONLY OR ORDER OUTER ' +
    'OVER PARTITION PRIMARY READ RECURSIVE REFERENCES RELEASE REPEATABLE REPLACE RESTRICT RETURNING ' +
    'RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SERIALIZABLE SET SHARE SIMILAR SKIP SOME START TABLE ' +
    'THEN TO TOP TRANSACTION TRUE TRUNCATE UNCOMMITTED UNION UNIQUE UPDATE USING VALUES VIEW WHEN ' +
    'WHERE WINDOW WITH WITHIN WRITE'
  ).split(' '),
)

/** Function names upper-cased too, but written glued to their parenthesis: `COUNT(*)`. */
const FUNCTIONS = new Set(
  'AVG COALESCE COUNT GREATEST JSON_AGG JSONB_AGG LEAST LENGTH LOWER MAX MIN NOW NULLIF ROW_NUMBER STRING_AGG SUM UPPER'.split(
    ' ',
  ),
)

/** Words that may appear in a folded value list besides literals. */
const VALUE_WORDS = new Set(['NULL', 'TRUE', 'FALSE', 'DEFAULT', 'ARRAY'])

/** Kinds whose text a fingerprint replaces with `?`. */
function isValue(kind: number): boolean {
  return kind === Tok.string || kind === Tok.number || kind === Tok.placeholder
}

/**
 * Normalises `sql` so that statements differing only in literal values, placeholders, IN-list
 * length, VALUES row count, comments, whitespace and keyword case share one fingerprint (the
 * idea of pg_stat_statements' query id). Quoted identifiers and casts are kept.
 *
 * @throws PerfError INVALID_ARGUMENT when `sql` is not a string.
 * @example
 * fingerprint("select * from users where id in (1, 2, 3) and name = 'O''Brien'")
 * // 'SELECT * FROM users WHERE id IN (...) AND name = ?'
 */
export function fingerprint(sql: string): string {
  if (typeof sql !== 'string') {
    throw new PerfError('INVALID_ARGUMENT', `[perf:monitor] fingerprint(sql) needs a string, got ${typeof sql}`)
  }
  const tokens = tokenize(sql).filter((t) => t.kind !== Tok.comment)
  const out = new Writer()
  let valuesEnd = -1 // index of the `)` closing the first VALUES row, once seen
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    const k = t.kind
    if (k === Tok.semicolon && tokens.slice(i + 1).every((x) => x.kind === Tok.semicolon)) break
    if (
      k === Tok.op &&
      isSign(sql, t) &&
      tokens[i + 1]?.kind === Tok.number &&
      !endsOperand(tokens, i) &&
      !endsWord(sql, tokens[i - 1])
    ) {
      out.push('?', Tok.number)
      i++
    } else if (isValue(k)) {
      out.push('?', k)
    } else if (k === Tok.word) {
      const upper = sql.slice(t.start, t.end).toUpperCase()
      const open = tokens[i + 1]
      if ((upper === 'IN' || upper === 'ANY') && open?.kind === Tok.open && isValueList(sql, tokens, i + 1)) {
        out.push(upper, Tok.word, true)
        out.push('(...)', Tok.number)
        i = matching(tokens, i + 1)
      } else if (upper === 'ARRAY' && open?.kind === Tok.openBracket && isValueList(sql, tokens, i + 1)) {
        out.push('ARRAY[...]', Tok.number)
        i = matching(tokens, i + 1)
      } else {
        if (upper === 'VALUES' && open?.kind === Tok.open) valuesEnd = matching(tokens, i + 1)
        const keyword = KEYWORDS.has(upper)
        out.push(keyword || FUNCTIONS.has(upper) ? upper : sql.slice(t.start, t.end), k, keyword)
      }
    } else {
      out.push(sql.slice(t.start, t.end), k)
    }
    // Rows after the first VALUES row fold away: `VALUES (?, ?), (?, ?)` -> `VALUES (?, ?)`.
    if (i === valuesEnd) {
      while (tokens[i + 1]?.kind === Tok.comma && tokens[i + 2]?.kind === Tok.open) i = matching(tokens, i + 2)
      valuesEnd = -1
    }
  }
  return out.text
}

/**
 * A short, stable id of a statement's fingerprint (12 hex characters of its SHA-1), suitable as
 * a metric label. Pass the SQL; identical fingerprints give identical ids across processes.
 * @throws PerfError INVALID_ARGUMENT when `sql` is not a string.
 */
export function fingerprintId(sql: string): string {
  return hashFingerprint(fingerprint(sql))
}

/** The id {@link fingerprintId} would give for an already computed fingerprint. */
export function hashFingerprint(normalized: string): string {
  return createHash('sha1').update(normalized).digest('hex').slice(0, 12)
}

function isSign(sql: string, t: Token): boolean {
  if (t.end - t.start !== 1) return false
  const c = sql.charCodeAt(t.start)
  return c === 45 || c === 43
}

/** `x - 1` is a subtraction when `x` is an identifier; after a keyword (`= -1`, `SELECT -1`) it is a sign. */
function endsWord(sql: string, t: Token | undefined): boolean {
  return t !== undefined && t.kind === Tok.word && !KEYWORDS.has(sql.slice(t.start, t.end).toUpperCase())
}

/** Index of the token closing the bracket at `open` (or the last token when unbalanced). */
function matching(tokens: readonly Token[], open: number): number {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    const k = tokens[i]!.kind
    if (k === Tok.open || k === Tok.openBracket) depth++
    else if ((k === Tok.close || k === Tok.closeBracket) && --depth === 0) return i
  }
  return tokens.length - 1
}

/** True when the bracketed group at `open` holds only literals, placeholders, signs, casts and nested lists. */
function isValueList(sql: string, tokens: readonly Token[], open: number): boolean {
  const end = matching(tokens, open)
  let values = 0
  for (let i = open + 1; i < end; i++) {
    const t = tokens[i]!
    if (isValue(t.kind)) values++
    else if (t.kind === Tok.cast)
      i++ // skip the type name: `$1::uuid`
    else if (t.kind === Tok.word) {
      if (!VALUE_WORDS.has(sql.slice(t.start, t.end).toUpperCase())) return false
      values++
    } else if (t.kind === Tok.op) {
      if (!isSign(sql, t)) return false
    } else if (
      t.kind !== Tok.comma &&
      t.kind !== Tok.open &&
      t.kind !== Tok.close &&
      t.kind !== Tok.openBracket &&
      t.kind !== Tok.closeBracket
    ) {
      return false
    }
  }
  return values > 0 || wordIs(sql, tokens[open - 1], 'ARRAY')
}

/** Joins normalised tokens with single spaces, except around `.`, `::`, brackets and commas. */
class Writer {
  text = ''
  #prev: number = -1
  #prevKeyword = false

  push(text: string, kind: number, keyword = false): void {
    if (this.#prev !== -1 && this.#spaced(kind)) this.text += ' '
    this.text += text
    this.#prev = kind
    this.#prevKeyword = keyword
  }

  #spaced(kind: number): boolean {
    const p = this.#prev
    if (p === Tok.open || p === Tok.openBracket || p === Tok.dot || p === Tok.cast) return false
    if (
      kind === Tok.close ||
      kind === Tok.closeBracket ||
      kind === Tok.comma ||
      kind === Tok.dot ||
      kind === Tok.cast ||
      kind === Tok.semicolon
    )
      return false
    // `count(*)`, `"users"("id")`, `ARRAY[`: glued; `IN (`, `VALUES (`, `AND (`: spaced.
    if (kind === Tok.open || kind === Tok.openBracket) {
      return !(
        (p === Tok.word && !this.#prevKeyword) ||
        p === Tok.quotedIdent ||
        p === Tok.closeBracket ||
        (kind === Tok.openBracket && p === Tok.word)
      )
    }
    return true
  }
}
