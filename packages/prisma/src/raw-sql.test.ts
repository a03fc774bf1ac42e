import { describe, expect, it } from 'vitest'
import { rawSqlEffect } from './raw-sql.js'

describe('rawSqlEffect()', () => {
  it('returns the target of INSERT, UPDATE, DELETE and MERGE with quoted and qualified names', () => {
    expect(rawSqlEffect('INSERT INTO "User" ("email") VALUES ($1)')).toEqual({ kind: 'write', tables: ['User'] })
    expect(rawSqlEffect('update public."Post" set title = $1 where id = $2')).toEqual({ kind: 'write', tables: ['Post'] })
    expect(rawSqlEffect('DELETE FROM ONLY comments WHERE id = 1')).toEqual({ kind: 'write', tables: ['comments'] })
    expect(rawSqlEffect('MERGE INTO "Tag" t USING src s ON t.id = s.id WHEN MATCHED THEN DELETE')).toEqual({ kind: 'write', tables: ['Tag'] })
  })

  it('lists every table of TRUNCATE and data-modifying CTEs', () => {
    expect(rawSqlEffect('TRUNCATE TABLE "Post", "Tag" RESTART IDENTITY CASCADE')).toEqual({ kind: 'write', tables: ['Post', 'Tag'] })
    const cte = 'WITH moved AS (DELETE FROM "Post" WHERE id = 1 RETURNING *) INSERT INTO archive SELECT * FROM moved'
    expect(rawSqlEffect(cte)).toEqual({ kind: 'write', tables: ['Post', 'archive'] })
  })

  it('classifies SELECT ... FOR UPDATE and ON CONFLICT DO UPDATE correctly', () => {
    expect(rawSqlEffect('SELECT * FROM "User" WHERE id = $1 FOR UPDATE')).toEqual({ kind: 'read' })
    expect(rawSqlEffect('INSERT INTO "Tag" (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = excluded.name')).toEqual({
      kind: 'write',
      tables: ['Tag'],
    })
  })

  it('ignores keywords inside strings, comments and dollar quotes', () => {
    expect(rawSqlEffect(`SELECT 'DELETE FROM "User"' AS s -- UPDATE "Post"\n/* INSERT INTO x */`)).toEqual({ kind: 'read' })
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
})
