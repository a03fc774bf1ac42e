import { Tok, tokenize } from '@perf/core'

/**
 * Finds the tables a raw SQL statement writes, so `$executeRaw` (and a writing `$queryRaw`)
 * can invalidate exactly those models. Lexing is core's SQL lexer in PostgreSQL mode (string
 * literals, E'' and dollar-quoted strings and comments are skipped exactly as PostgreSQL reads
 * them); this file recognises PostgreSQL's data-changing statements.
 */

/** What a raw statement does to tables the cache may depend on. */
export type RawSqlEffect =
  /** Reads only (or changes nothing cached: SET, BEGIN, CREATE INDEX, ...). */
  | { kind: 'read' }
  /** Writes tables (names unqualified, as written; quoted names keep their case). */
  | {
      kind: 'write'
      /** Tables written by INSERT, UPDATE, DELETE, MERGE, COPY or DDL: referential actions may fire. */
      tables: string[]
      /** Tables emptied by TRUNCATE without CASCADE: no referential action fires, nothing else changes. */
      truncated?: string[]
      /** Tables emptied by TRUNCATE ... CASCADE: every table with a foreign-key path to them is emptied too. */
      truncatedCascade?: string[]
    }
  /** Cannot tell (CALL, DO, unknown statements): treat as writing everything. */
  | { kind: 'unknown' }

interface Token {
  /** Lower-cased for bare words; verbatim for quoted identifiers; the text for punctuation and operators. */
  value: string
  quoted: boolean
}

/** Words, quoted identifiers, punctuation and operators; literals, placeholders and comments are dropped. */
function statementTokens(sql: string): Token[] {
  const tokens: Token[] = []
  for (const t of tokenize(sql, { postgres: true })) {
    const k = t.kind
    if (k === Tok.word) tokens.push({ value: sql.slice(t.start, t.end).toLowerCase(), quoted: false })
    else if (k === Tok.quotedIdent) tokens.push({ value: unquote(sql.slice(t.start, t.end)), quoted: true })
    else if (k !== Tok.comment && k !== Tok.string && k !== Tok.number && k !== Tok.placeholder) {
      tokens.push({ value: sql.slice(t.start, t.end), quoted: false })
    }
  }
  return tokens
}

/** `"a""b"` -> `a"b`, and the same for MySQL backticks; an unterminated identifier keeps its tail. */
function unquote(text: string): string {
  const quote = text[0] as string
  const closed = text.length > 1 && text.endsWith(quote)
  return text.slice(1, closed ? -1 : undefined).replaceAll(quote + quote, quote)
}

const READ_STARTS = new Set(['select', 'with', 'values', 'table', 'show', 'explain', 'fetch'])
const NEUTRAL_STARTS = new Set([
  'set',
  'reset',
  'begin',
  'start',
  'commit',
  'end',
  'rollback',
  'savepoint',
  'release',
  'listen',
  'unlisten',
  'notify',
  'vacuum',
  'analyze',
  'create',
  'comment',
  'grant',
  'revoke',
  'lock',
  'deallocate',
  'discard',
  'prepare',
  'declare',
  'close',
  'checkpoint',
  'load',
])
/** Words before UPDATE that make it not a statement (ON CONFLICT DO UPDATE, FOR UPDATE, ON UPDATE CASCADE, triggers). */
const NOT_UPDATE_STATEMENT = new Set(['do', 'for', 'key', 'on', 'before', 'after', 'or', 'of', 'instead'])
const SKIP_WORDS = new Set(['only', 'table', 'if', 'exists', 'materialized', 'view', 'concurrently'])

/** Reads a possibly schema-qualified name at `i`; returns the last part and the index after it. */
function readName(tokens: Token[], i: number): { name: string; next: number } | undefined {
  while (tokens[i] && !tokens[i]?.quoted && SKIP_WORDS.has(tokens[i]?.value as string)) i++
  let token = tokens[i]
  if (!token || (!token.quoted && !/^[a-z_\u0080-\uffff]/.test(token.value))) return undefined
  let name = token.value
  while (tokens[i + 1]?.value === '.' && tokens[i + 2]) {
    i += 2
    token = tokens[i] as Token
    name = token.value
  }
  return { name, next: i + 1 }
}

/** Reads `name [*] [, name [*] ...]` (TRUNCATE, DROP TABLE); returns the index after the list. */
function readNameList(tokens: Token[], i: number, out: string[]): number {
  for (;;) {
    const read = readName(tokens, i)
    if (!read) return i
    out.push(read.name)
    // `name *`: the table and its inheritance children, which are the same models.
    const next = tokens[read.next]?.value === '*' ? read.next + 1 : read.next
    if (tokens[next]?.value !== ',') return next
    i = next + 1
  }
}

/** `TRUNCATE [TABLE] [ONLY] name [*] [, ...] [RESTART | CONTINUE IDENTITY] [CASCADE | RESTRICT]`. */
function collectTruncate(tokens: Token[], out: Targets): void {
  const names: string[] = []
  const end = readNameList(tokens, 1, names)
  const cascade = tokens.slice(end).some((t) => !t.quoted && t.value === 'cascade')
  ;(cascade ? out.truncatedCascade : out.truncated).push(...names)
}

interface Targets {
  tables: string[]
  truncated: string[]
  truncatedCascade: string[]
}

function collectTargets(tokens: Token[], out: Targets): void {
  // TRUNCATE is a statement of its own: never in a CTE, and GRANT TRUNCATE / BEFORE TRUNCATE name no rows.
  if (!tokens[0]?.quoted && tokens[0]?.value === 'truncate') return collectTruncate(tokens, out)
  const targets = out.tables
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token
    if (t.quoted) continue
    const next = tokens[i + 1]?.value
    const push = (at: number) => {
      const read = readName(tokens, at)
      if (read) targets.push(read.name)
    }
    if ((t.value === 'insert' || t.value === 'merge') && next === 'into') push(i + 2)
    else if (t.value === 'delete' && next === 'from') push(i + 2)
    else if (t.value === 'update' && !NOT_UPDATE_STATEMENT.has(tokens[i - 1]?.value ?? '')) push(i + 1)
    else if (t.value === 'drop' && next === 'table') readNameList(tokens, i + 1, targets)
    else if (t.value === 'alter' && next === 'table') push(i + 2)
    else if (t.value === 'refresh' && next === 'materialized') push(i + 2)
    else if (t.value === 'copy' && tokens.slice(i + 1).some((x) => !x.quoted && x.value === 'from')) push(i + 1)
  }
}

/** Classifies one statement or a `;`-separated script. */
export function rawSqlEffect(sql: string): RawSqlEffect {
  const tokens = statementTokens(sql)
  const statements: Token[][] = [[]]
  for (const token of tokens) {
    if (!token.quoted && token.value === ';') statements.push([])
    else statements[statements.length - 1]?.push(token)
  }
  const out: Targets = { tables: [], truncated: [], truncatedCascade: [] }
  for (const statement of statements) {
    const first = statement[0]
    if (!first) continue
    const found = out.tables.length + out.truncated.length + out.truncatedCascade.length
    collectTargets(statement, out)
    if (out.tables.length + out.truncated.length + out.truncatedCascade.length > found) continue
    if (first.quoted || !(READ_STARTS.has(first.value) || NEUTRAL_STARTS.has(first.value))) return { kind: 'unknown' }
  }
  if (out.tables.length + out.truncated.length + out.truncatedCascade.length === 0) return { kind: 'read' }
  const effect: RawSqlEffect = { kind: 'write', tables: [...new Set(out.tables)] }
  if (out.truncated.length > 0) effect.truncated = [...new Set(out.truncated)]
  if (out.truncatedCascade.length > 0) effect.truncatedCascade = [...new Set(out.truncatedCascade)]
  return effect
}
