import { describe, expect, it } from 'vitest'
import { fingerprint, fingerprintId } from './fingerprint.js'

describe('fingerprint()', () => {
  it.each([
    [
      'numbers',
      'select * from t where a = 1 and b = -2 and c = 3.5 and d = 1e-3 and e = .5',
      'SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ? AND e = ?',
    ],
    ['subtraction keeps its operator', 'update t set n = n - 1, m = m+2', 'UPDATE t SET n = n - ?, m = m + ?'],
    ['negative after an operator glued to it', 'select * from t where a=-5', 'SELECT * FROM t WHERE a = ?'],
    ['strings with doubled quotes', "select * from t where name = 'O''Brien'", 'SELECT * FROM t WHERE name = ?'],
    [
      'E-strings with backslash escapes',
      "select * from t where a = E'it\\'s' and b = 1",
      'SELECT * FROM t WHERE a = ? AND b = ?',
    ],
    ['dollar-quoted strings', 'select $$a;b$$, $fn$ body $$ inner $$ $fn$ from t', 'SELECT ?, ? FROM t'],
    [
      'casts stay, the value folds',
      "select 'x'::text, $1::uuid, col::int from t",
      'SELECT ?::text, ?::uuid, col::int FROM t',
    ],
    [
      'quoted identifiers stay as written',
      'SELECT "User"."id" FROM "public"."User" WHERE "User"."id" = $1',
      'SELECT "User"."id" FROM "public"."User" WHERE "User"."id" = ?',
    ],
    [
      'placeholders of every driver',
      'select * from t where a = $1 and b = ? and c = :name and d = @p1',
      'SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?',
    ],
    ['IN-lists of any length', 'select * from t where id in (1, 2, 3)', 'SELECT * FROM t WHERE id IN (...)'],
    [
      'IN-lists of placeholders with casts',
      'select * from t where id IN ($1::uuid,$2::uuid)',
      'SELECT * FROM t WHERE id IN (...)',
    ],
    [
      'IN with a subquery is kept',
      'select * from t where id in (select id from u where x = 5)',
      'SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = ?)',
    ],
    [
      'ANY and ARRAY',
      'select * from t where id = any($1) or id = ANY(ARRAY[1,2,3])',
      'SELECT * FROM t WHERE id = ANY (...) OR id = ANY (...)',
    ],
    [
      'VALUES rows fold into one',
      "insert into t (a, b) values (1, 'x'), (2, 'y'), (3, 'z') returning id",
      'INSERT INTO t(a, b) VALUES (?, ?) RETURNING id',
    ],
    ['comments are stripped', 'select /* hint /* nested */ */ 1 -- trailing\nfrom t', 'SELECT ? FROM t'],
    ['whitespace and keyword case', 'SELECT\n\t*   FROM t\r\nWHERE   x=1;', 'SELECT * FROM t WHERE x = ?'],
    [
      'booleans and NULL are kept',
      'select * from t where a = true and b is not null',
      'SELECT * FROM t WHERE a = TRUE AND b IS NOT NULL',
    ],
    ['function names are normalised and glued', 'select count (*), max(x) from t', 'SELECT COUNT(*), MAX(x) FROM t'],
    [
      'MySQL backticks and ?',
      'SELECT `id` FROM `users` WHERE `email`=? LIMIT 1',
      'SELECT `id` FROM `users` WHERE `email` = ? LIMIT ?',
    ],
    [
      'typed literals',
      "select * from t where d > date '2024-01-01' - interval '1 day'",
      'SELECT * FROM t WHERE d > date ? - INTERVAL ?',
    ],
    ['prefixed strings', "select N'x', X'ff', B'101', U&'d\\0061t' from t", 'SELECT ?, ?, ?, ? FROM t'],
    ['an unterminated string folds to the end', "select * from t where a = 'oops", 'SELECT * FROM t WHERE a = ?'],
    ['JSON operators', "select data->>'email' from t where data @> '{}'", 'SELECT data ->> ? FROM t WHERE data @> ?'],
  ])('%s', (_name, sql, expected) => {
    expect(fingerprint(sql)).toBe(expected)
  })

  it('gives queries that differ only in values one fingerprint', () => {
    const a = fingerprint("SELECT * FROM orders WHERE user_id = 42 AND status IN ('paid', 'sent') LIMIT 10")
    const b = fingerprint("select *  from orders where user_id=7 and status in ('new') limit 50")
    expect(a).toBe(b)
    expect(fingerprintId("SELECT * FROM orders WHERE user_id = 42 AND status IN ('paid', 'sent') LIMIT 10")).toBe(
      fingerprintId("select *  from orders where user_id=7 and status in ('new') limit 50"),
    )
  })

  it('keeps different statements apart', () => {
    expect(fingerprint('select a from t where x = 1')).not.toBe(fingerprint('select b from t where x = 1'))
    expect(fingerprintId('select a from t')).not.toBe(fingerprintId('select a from u'))
  })

  it('fingerprintId() is 12 lower-case hex characters and stable', () => {
    const id = fingerprintId('SELECT 1')
    expect(id).toMatch(/^[0-9a-f]{12}$/)
    expect(fingerprintId('select   2')).toBe(id)
  })

  it('handles Prisma SQL', () => {
    const sql =
      'SELECT "public"."Post"."id", "public"."Post"."title" FROM "public"."Post" WHERE ("public"."Post"."authorId" IN ($1,$2,$3) AND "public"."Post"."published" = $4) ORDER BY "public"."Post"."id" ASC LIMIT $5 OFFSET $6'
    expect(fingerprint(sql)).toBe(
      'SELECT "public"."Post"."id", "public"."Post"."title" FROM "public"."Post" WHERE ("public"."Post"."authorId" IN (...) AND "public"."Post"."published" = ?) ORDER BY "public"."Post"."id" ASC LIMIT ? OFFSET ?',
    )
  })

  it('scans adversarial input in linear time', () => {
    // Patterns that make backtracking regexes explode: many quotes, nested comments, long runs.
    const nasty = "'".repeat(20_001) + '/*'.repeat(20_000) + '-'.repeat(20_000) + '$a'.repeat(20_000)
    const started = performance.now()
    expect(typeof fingerprint(nasty)).toBe('string')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('rejects a non-string with INVALID_ARGUMENT', () => {
    expect(() => fingerprint(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
