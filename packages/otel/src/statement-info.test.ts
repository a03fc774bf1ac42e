import { describe, expect, it } from 'vitest'
import { resolveConfig } from './options.js'
import { sqlVerb, StatementInfos } from './statement-info.js'

describe('sqlVerb', () => {
  it.each([
    ['select 1', 'SELECT'],
    ['  (SELECT a FROM t) UNION (SELECT b FROM u)', 'SELECT'],
    ['/* route=/users */ -- note\n update t set a = 1', 'UPDATE'],
    ['WITH x AS (SELECT id FROM a), y AS (SELECT 1) DELETE FROM b USING x', 'DELETE'],
    ['WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r', 'SELECT'],
    ['WITH broken', 'WITH'],
    ['', undefined],
    ['$1', undefined],
  ])('sqlVerb(%j) is %j', (sql, verb) => {
    expect(sqlVerb(sql)).toBe(verb)
  })
})

describe('StatementInfos', () => {
  const infos = () => new StatementInfos(resolveConfig({ dbSystem: 'postgresql', maxQueryTextLength: 20 }))

  it('of() sets no db.collection.name for a statement over two tables, and names the span after both', () => {
    const info = infos().of({ source: 'pg', sql: 'SELECT * FROM a JOIN b ON a.id = b.a_id', durationMs: 1 })
    expect(info.spanName).toBe('SELECT a b')
    expect(info.metricAttributes['db.collection.name']).toBeUndefined()
  })

  it('of() cuts db.query.text at maxQueryTextLength', () => {
    const info = infos().of({ source: 'pg', sql: `SELECT ${'x, '.repeat(50)}y FROM t`, durationMs: 1 })
    expect(info.spanAttributes['db.query.text']).toBe('SELECT x, x, x, x, …')
  })

  it('of() returns the same object for a repeated statement (derived once)', () => {
    const s = infos()
    const a = s.of({ source: 'pg', sql: 'SELECT 1 FROM t', durationMs: 1 })
    expect(s.of({ source: 'pg', sql: 'SELECT 1 FROM t', durationMs: 5 })).toBe(a)
  })

  it('captureQueryText: false leaves db.query.text out', () => {
    const s = new StatementInfos(resolveConfig({ captureQueryText: false }))
    expect(s.of({ source: 'pg', sql: 'SELECT 1 FROM t', durationMs: 1 }).spanAttributes).not.toHaveProperty(
      'db.query.text',
    )
  })
})
