import { describe, expect, it } from 'vitest'
import { Tok, tokenize, type SqlLexerOptions, type TokKind } from './sql-lexer.js'

const KIND_NAMES = Object.fromEntries(Object.entries(Tok).map(([name, kind]) => [kind, name])) as Record<
  TokKind,
  string
>

/** `kind:text` for every token, so a test reads like the SQL it lexes. */
function lex(sql: string, options?: SqlLexerOptions): string[] {
  return tokenize(sql, options).map((t) => `${KIND_NAMES[t.kind]}:${sql.slice(t.start, t.end)}`)
}

/** The words only: what a statement classifier sees once literals and comments are gone. */
function words(sql: string, options?: SqlLexerOptions): string[] {
  return tokenize(sql, options)
    .filter((t) => t.kind === Tok.word)
    .map((t) => sql.slice(t.start, t.end))
}

describe('tokenize()', () => {
  it('ends an E-string only at an unescaped quote, in both modes', () => {
    const sql = "WITH x AS (SELECT E'it\\'s -- not a comment'), d AS (DELETE FROM t RETURNING 1) SELECT 1"
    for (const options of [undefined, { postgres: true }]) {
      expect(lex(sql, options)).toContain("string:E'it\\'s -- not a comment'")
      expect(words(sql, options)).toEqual([
        'WITH',
        'x',
        'AS',
        'SELECT',
        'd',
        'AS',
        'DELETE',
        'FROM',
        't',
        'RETURNING',
        'SELECT',
      ])
    }
    expect(lex("e'a\\\\' b", { postgres: true })).toEqual(["string:e'a\\\\'", 'word:b'])
    expect(lex("E'a''b\\'c' d")).toEqual(["string:E'a''b\\'c'", 'word:d'])
  })

  // @see issue 9
  it('with postgres: true, a backslash in a standard string is an ordinary character', () => {
    expect(lex("SELECT 'it\\'s' , 1", { postgres: true })).toEqual([
      'word:SELECT',
      "string:'it\\'",
      'word:s',
      "string:' , 1",
    ])
    expect(words("SELECT 'C:\\'AS p, d AS (DELETE FROM t)", { postgres: true })).toEqual([
      'SELECT',
      'AS',
      'p',
      'd',
      'AS',
      'DELETE',
      'FROM',
      't',
    ])
    expect(lex("'a\\''b'", { postgres: true })).toEqual(["string:'a\\''b'"])
    // Without the option a backslash-quote before a letter is still guessed to be MySQL's escape.
    expect(lex("'O\\'Brien' x")).toEqual(["string:'O\\'Brien'", 'word:x'])
  })

  it('with postgres: true, a double-quoted token is always an identifier', () => {
    expect(lex('"ann@example.com"', { postgres: true })).toEqual(['quotedIdent:"ann@example.com"'])
    expect(lex('"ann@example.com"')).toEqual(['string:"ann@example.com"'])
  })

  it('skips $$ and $tag$ dollar quotes, tags with digits included', () => {
    expect(lex('SELECT $$DELETE FROM t$$, $q1$ DELETE FROM u $q$ $q1$ AS s')).toEqual([
      'word:SELECT',
      'string:$$DELETE FROM t$$',
      'comma:,',
      'string:$q1$ DELETE FROM u $q$ $q1$',
      'word:AS',
      'word:s',
    ])
    expect(lex('$1 $name a$$b')).toEqual(['placeholder:$1', 'placeholder:$name', 'word:a$$b'])
    expect(lex('$x$ unterminated')).toEqual(['string:$x$ unterminated'])
  })

  it('skips nested block comments', () => {
    expect(lex('SELECT /* a /* b */ DELETE FROM t */ 1')).toEqual([
      'word:SELECT',
      'comment:/* a /* b */ DELETE FROM t */',
      'number:1',
    ])
    expect(lex('/* /* */ unclosed')).toEqual(['comment:/* /* */ unclosed'])
  })

  // @see issue 9: `--` comments ran to the next LF, swallowing statements after a lone CR.
  it('ends -- comments at CR, LF or CRLF', () => {
    expect(lex('SELECT 1 -- a\rDELETE FROM t')).toEqual([
      'word:SELECT',
      'number:1',
      'comment:-- a',
      'word:DELETE',
      'word:FROM',
      'word:t',
    ])
    expect(lex('-- a\r\nx -- b\ny --')).toEqual(['comment:-- a', 'word:x', 'comment:-- b', 'word:y', 'comment:--'])
    expect(lex('x=1-- c\r2')).toEqual(['word:x', 'op:=', 'number:1', 'comment:-- c', 'number:2'])
  })

  it('reads doubled quotes inside quoted identifiers and MySQL backticks', () => {
    expect(lex('SELECT "a""b" FROM `c``d`.e')).toEqual([
      'word:SELECT',
      'quotedIdent:"a""b"',
      'word:FROM',
      'quotedIdent:`c``d`',
      'dot:.',
      'word:e',
    ])
    expect(lex("SELECT 'a''b' x")).toEqual(['word:SELECT', "string:'a''b'", 'word:x'])
  })

  it('with mysql: true, reads strings, comments and $ as MySQL does', () => {
    const mysql = { mysql: true }
    expect(lex('SELECT "a\\"b", \'c\\\'d\' FROM t', mysql)).toEqual([
      'word:SELECT',
      'string:"a\\"b"',
      'comma:,',
      "string:'c\\'d'",
      'word:FROM',
      'word:t',
    ])
    expect(words('SELECT 1 # DELETE FROM x\nFROM t', mysql)).toEqual(['SELECT', 'FROM', 't'])
    expect(words('SELECT 1--1 FROM t', mysql)).toEqual(['SELECT', 'FROM', 't'])
    expect(words('SELECT 1 -- x\nFROM t', mysql)).toEqual(['SELECT', 'FROM', 't'])
    expect(words('SELECT 1 /* a /* */ FROM t', mysql)).toEqual(['SELECT', 'FROM', 't'])
    expect(words('SELECT $$ FROM t $$', mysql)).toEqual(['SELECT', '$$', 'FROM', 't', '$$'])
    // postgres wins when both are set.
    expect(lex('"a"', { postgres: true, mysql: true })).toEqual(['quotedIdent:"a"'])
  })
})
