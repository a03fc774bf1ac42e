import { PerfError } from '../errors.js'
import { endsOperand, Tok, tokenize } from './sql-lexer.js'

/**
 * Replaces every literal value in `sql` — strings (including E'', N'', X'', B'', U&'' and
 * dollar-quoted ones), numbers (with their sign), and double-quoted tokens that look like an
 * e-mail or phone number — with `?`, and removes comments (sqlcommenter tags carry routes and
 * ids). Layout, identifiers and placeholders are kept, so the result is safe to log. An
 * unterminated string swallows the rest of the text rather than leak its tail.
 *
 * Backslash escapes are honoured only in E'' strings (PostgreSQL's standard_conforming_strings);
 * in MySQL's default mode `'a\'b'` ends early, but the remainder is then redacted as a new string.
 *
 * @throws PerfError INVALID_ARGUMENT when `sql` is not a string.
 * @example
 * redact("SELECT * FROM users WHERE email = 'ann@example.com' AND age > 30")
 * // 'SELECT * FROM users WHERE email = ? AND age > ?'
 */
export function redact(sql: string): string {
  if (typeof sql !== 'string') {
    throw new PerfError('INVALID_ARGUMENT', `[perf:monitor] redact(sql) needs a string, got ${typeof sql}`)
  }
  const tokens = tokenize(sql)
  let out = ''
  let copied = 0 // sql[0, copied) is already accounted for in `out`
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!
    if (t.kind === Tok.comment) {
      out += sql.slice(copied, t.start)
      // Keep neighbours apart (`SELECT/*x*/1` must not become `SELECT?` glued to the next word).
      const last = out.charCodeAt(out.length - 1)
      if (out.length > 0 && last !== 32 && last !== 10 && last !== 9) out += ' '
      copied = t.end
      continue
    }
    if (t.kind !== Tok.string && t.kind !== Tok.number) continue
    let start = t.start
    const prev = tokens[i - 1]
    // A sign directly before a number is part of the literal unless it is a binary operator.
    if (
      t.kind === Tok.number &&
      prev !== undefined &&
      prev.kind === Tok.op &&
      prev.end === t.start &&
      prev.end - prev.start === 1
    ) {
      const c = sql.charCodeAt(prev.start)
      if ((c === 45 || c === 43) && !endsOperand(tokens, i - 1)) start = prev.start
    }
    out += sql.slice(copied, start) + '?'
    copied = t.end
  }
  return (out + sql.slice(copied)).trim()
}
