import { describe, expect, it } from 'vitest'
import { rawSqlEffect } from './raw-sql.js'

describe('rawSqlEffect()', () => {
  it('returns the target of INSERT, UPDATE, DELETE and MERGE with quoted and qualified names', () => {
    expect(rawSqlEffect('INSERT INTO "User" ("email") VALUES ($1)')).toEqual({ kind: 'write', tables: ['User'] })
    expect(rawSqlEffect('update public."Post" set title = $1 where id = $2')).toEqual({
      kind: 'write',
      tables: ['Post'],
    })
    expect(rawSqlEffect('DELETE FROM ONLY comments WHERE id = 1')).toEqual({ kind: 'write', tables: ['comments'] })
    expect(rawSqlEffect('MERGE INTO "Tag" t USING src s ON t.id = s.id WHEN MATCHED THEN DELETE')).toEqual({
      kind: 'write',
      tables: ['Tag'],
    })
  })

  it('lists every table of data-modifying CTEs', () => {
    const cte = 'WITH moved AS (DELETE FROM "Post" WHERE id = 1 RETURNING *) INSERT INTO archive SELECT * FROM moved'
    expect(rawSqlEffect(cte)).toEqual({ kind: 'write', tables: ['Post', 'archive'] })
  })

  it('classifies SELECT ... FOR UPDATE and ON CONFLICT DO UPDATE correctly', () => {
    expect(rawSqlEffect('SELECT * FROM "User" WHERE id = $1 FOR UPDATE')).toEqual({ kind: 'read' })
    expect(
      rawSqlEffect('INSERT INTO "Tag" (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = excluded.name'),
    ).toEqual({
      kind: 'write',
      tables: ['Tag'],
    })
  })

  it('ignores keywords inside strings, comments and dollar quotes', () => {
    expect(rawSqlEffect(`SELECT 'DELETE FROM "User"' AS s -- UPDATE "Post"\n/* INSERT INTO x */`)).toEqual({
      kind: 'read',
    })
    expect(rawSqlEffect('SELECT $tag$ UPDATE "User" SET x = 1 $tag$, $$DELETE FROM y$$')).toEqual({ kind: 'read' })
  })

  it('returns unknown for CALL, DO and unrecognised statements', () => {
    expect(rawSqlEffect('CALL refresh_everything()')).toEqual({ kind: 'unknown' })
    expect(rawSqlEffect('DO $$ BEGIN UPDATE x SET y = 1; END $$')).toEqual({ kind: 'unknown' })
    expect(rawSqlEffect('SELECT 1; CALL p()')).toEqual({ kind: 'unknown' })
  })

  it('treats session and DDL-only statements as changing nothing cached', () => {
    expect(rawSqlEffect('SET search_path TO x')).toEqual({ kind: 'read' })
    expect(rawSqlEffect('CREATE INDEX ON "User" (email)')).toEqual({ kind: 'read' })
  })

  // @see issue 9: TRUNCATE ... CASCADE empties more than the named tables; plain TRUNCATE fires no referential action.
  it('tells TRUNCATE ... CASCADE from plain TRUNCATE, in every spelling', () => {
    expect(rawSqlEffect('TRUNCATE "User" CASCADE')).toEqual({ kind: 'write', tables: [], truncatedCascade: ['User'] })
    expect(rawSqlEffect('truncate table only "public"."User" restart identity cascade')).toEqual({
      kind: 'write',
      tables: [],
      truncatedCascade: ['User'],
    })
    expect(rawSqlEffect('TRUNCATE TABLE "Post", ONLY public."Tag" * RESTART IDENTITY CASCADE')).toEqual({
      kind: 'write',
      tables: [],
      truncatedCascade: ['Post', 'Tag'],
    })
    expect(rawSqlEffect('TRUNCATE a, b')).toEqual({ kind: 'write', tables: [], truncated: ['a', 'b'] })
    expect(rawSqlEffect('TRUNCATE "User" CONTINUE IDENTITY RESTRICT; DELETE FROM "Post"')).toEqual({
      kind: 'write',
      tables: ['Post'],
      truncated: ['User'],
    })
    expect(rawSqlEffect('TRUNCATE "User" /* CASCADE */ -- CASCADE')).toEqual({
      kind: 'write',
      tables: [],
      truncated: ['User'],
    })
  })

  // @see issue 9
  it('does not read GRANT TRUNCATE or a TRUNCATE trigger as a write', () => {
    expect(rawSqlEffect('GRANT TRUNCATE ON "User" TO app')).toEqual({ kind: 'read' })
    expect(rawSqlEffect('CREATE TRIGGER t BEFORE TRUNCATE ON "User" EXECUTE FUNCTION f()')).toEqual({ kind: 'read' })
  })

  // @see issue 9: an E-string's escaped quote ended the string, and the rest of the line was read as a comment.
  it('finds a writable CTE DELETE after an E-string with an escaped quote', () => {
    const sql = `WITH x AS (SELECT E'it\\'s -- not a comment'), d AS (DELETE FROM "Post" RETURNING 1) SELECT * FROM x, d`
    expect(rawSqlEffect(sql)).toEqual({ kind: 'write', tables: ['Post'] })
  })

  // @see issue 9
  it('ends -- comments at CR as well as LF', () => {
    expect(rawSqlEffect('WITH x AS (SELECT 1 -- why\r), d AS (DELETE FROM "Post" RETURNING 1) SELECT 1')).toEqual({
      kind: 'write',
      tables: ['Post'],
    })
    expect(rawSqlEffect('SELECT 1 -- why\r\nDELETE FROM "Tag"')).toEqual({ kind: 'write', tables: ['Tag'] })
  })

  // @see issue 9
  it('skips dollar quotes whose tag holds digits, and finds the DELETE after them', () => {
    expect(rawSqlEffect('SELECT $q1$ DELETE FROM "Tag" $q1$ AS s')).toEqual({ kind: 'read' })
    expect(
      rawSqlEffect('WITH s AS (SELECT $$ DELETE FROM "Tag" $$), d AS (DELETE FROM "Post" RETURNING 1) SELECT 1'),
    ).toEqual({ kind: 'write', tables: ['Post'] })
  })

  it('reads standard strings as PostgreSQL does: a backslash does not escape the quote', () => {
    // PostgreSQL: 'C:\' ends at the second quote, so the DELETE is real.
    expect(rawSqlEffect(`WITH x AS (SELECT 'C:\\'"p"), d AS (DELETE FROM "Post" RETURNING 1) SELECT 1`)).toEqual({
      kind: 'write',
      tables: ['Post'],
    })
  })

  // @see issue 9
  it('skips nested block comments and unquotes doubled quotes in identifiers', () => {
    expect(rawSqlEffect('SELECT 1 /* a /* DELETE FROM x */ UPDATE y SET z = 1 */')).toEqual({ kind: 'read' })
    expect(rawSqlEffect('UPDATE "we""ird" SET a = 1')).toEqual({ kind: 'write', tables: ['we"ird'] })
    expect(rawSqlEffect('DELETE FROM `my``table`')).toEqual({ kind: 'write', tables: ['my`table'] })
  })
})
