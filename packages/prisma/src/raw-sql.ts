/**
 * Finds the tables a raw SQL statement writes, so `$executeRaw` (and a writing `$queryRaw`)
 * can invalidate exactly those models. The scanner skips string literals, dollar-quoted
 * strings and comments, and recognises PostgreSQL's data-changing statements.
 */

/** What a raw statement does to tables the cache may depend on. */
export type RawSqlEffect =
  /** Reads only (or changes nothing cached: SET, BEGIN, CREATE INDEX, ...). */
  | { kind: 'read' }
  /** Writes these tables (names unqualified, as written; quoted names keep their case). */
  | { kind: 'write'; tables: string[] }
  /** Cannot tell (CALL, DO, unknown statements): treat as writing everything. */
  | { kind: 'unknown' }

interface Token {
  /** Lower-cased for bare words; verbatim for quoted identifiers; the character for punctuation. */
  value: string
  quoted: boolean
}

/** Splits SQL into words, quoted identifiers and punctuation; literals and comments are dropped. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < sql.length) {
    const ch = sql[i] as string
    if (/\s/.test(ch)) i++
    else if (ch === '-' && sql[i + 1] === '-') i = skipTo(sql, '\n', i)
    else if (ch === '/' && sql[i + 1] === '*') i = skipTo(sql, '*/', i + 2)
    else if (ch === "'") i = skipQuoted(sql, "'", i + 1)
    else if (ch === '"') {
      const end = skipQuoted(sql, '"', i + 1)
      tokens.push({ value: sql.slice(i + 1, end - 1).replace(/""/g, '"'), quoted: true })
      i = end
    } else if (ch === '$' && /[A-Za-z_$]/.test(sql[i + 1] ?? '')) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))
      i = tag ? skipTo(sql, tag[0], i + tag[0].length) : i + 1
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][\w$]*/.exec(sql.slice(i))?.[0] ?? ch
      // E'...' and U&'...' string prefixes: the literal is skipped on the next turn.
      tokens.push({ value: word.toLowerCase(), quoted: false })
      i += word.length
    } else {
      tokens.push({ value: ch, quoted: false })
      i++
    }
  }
  return tokens
}

function skipTo(sql: string, end: string, from: number): number {
  const at = sql.indexOf(end, from)
  return at < 0 ? sql.length : at + end.length
}

function skipQuoted(sql: string, quote: string, from: number): number {
  let i = from
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2
      else return i + 1
    } else i++
  }
  return sql.length
}

const READ_STARTS = new Set(['select', 'with', 'values', 'table', 'show', 'explain', 'fetch'])
const NEUTRAL_STARTS = new Set([
  'set', 'reset', 'begin', 'start', 'commit', 'end', 'rollback', 'savepoint', 'release', 'listen',
  'unlisten', 'notify', 'vacuum', 'analyze', 'create', 'comment', 'grant', 'revoke', 'lock',
  'deallocate', 'discard', 'prepare', 'declare', 'close', 'checkpoint', 'load',
])
/** Words before UPDATE that make it not a statement (ON CONFLICT DO UPDATE, FOR UPDATE, ON UPDATE CASCADE, triggers). */
const NOT_UPDATE_STATEMENT = new Set(['do', 'for', 'key', 'on', 'before', 'after', 'or', 'of', 'instead'])
const SKIP_WORDS = new Set(['only', 'table', 'if', 'exists', 'materialized', 'view', 'concurrently'])

/** Reads a possibly schema-qualified name at `i`; returns the last part and the index after it. */
function readName(tokens: Token[], i: number): { name: string; next: number } | undefined {
  while (tokens[i] && !tokens[i]?.quoted && SKIP_WORDS.has(tokens[i]?.value as string)) i++
  let token = tokens[i]
  if (!token || (!token.quoted && !/^[a-z_]/.test(token.value))) return undefined
  let name = token.value
  while (tokens[i + 1]?.value === '.' && tokens[i + 2]) {
    i += 2
    token = tokens[i] as Token
    name = token.value
  }
  return { name, next: i + 1 }
}

/** Reads `name [, name ...]` (TRUNCATE, DROP TABLE). */
function readNameList(tokens: Token[], i: number, out: string[]): void {
  for (;;) {
    const read = readName(tokens, i)
    if (!read) return
    out.push(read.name)
    if (tokens[read.next]?.value !== ',') return
    i = read.next + 1
  }
}

function collectTargets(tokens: Token[]): string[] {
  const targets: string[] = []
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
    else if (t.value === 'truncate' || (t.value === 'drop' && next === 'table')) readNameList(tokens, i + 1, targets)
    else if (t.value === 'alter' && next === 'table') push(i + 2)
    else if (t.value === 'refresh' && next === 'materialized') push(i + 2)
    else if (t.value === 'copy' && tokens.slice(i + 1).some((x) => !x.quoted && x.value === 'from')) push(i + 1)
  }
  return targets
}

/** Classifies one statement or a `;`-separated script. */
export function rawSqlEffect(sql: string): RawSqlEffect {
  const tokens = tokenize(sql)
  const statements: Token[][] = [[]]
  for (const token of tokens) {
    if (!token.quoted && token.value === ';') statements.push([])
    else statements[statements.length - 1]?.push(token)
  }
  const tables: string[] = []
  for (const statement of statements) {
    const first = statement[0]
    if (!first) continue
    const targets = collectTargets(statement)
    if (targets.length > 0) tables.push(...targets)
    else if (first.quoted || !(READ_STARTS.has(first.value) || NEUTRAL_STARTS.has(first.value))) return { kind: 'unknown' }
  }
  return tables.length > 0 ? { kind: 'write', tables: [...new Set(tables)] } : { kind: 'read' }
}
