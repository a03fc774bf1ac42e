import { describe, expect, it } from 'vitest'
import { statementTouches } from './touches.js'

describe('statementTouches()', () => {
  it("reads the INSERT inside Sequelize's pg_temp exception wrapper as a write", () => {
    const sql =
      'CREATE OR REPLACE FUNCTION pg_temp.testfunc(OUT response "categories", OUT sequelize_caught_exception text) RETURNS RECORD AS $func_8c1$ BEGIN INSERT INTO "categories" ("id","name") VALUES (DEFAULT,$1) RETURNING * INTO response; EXCEPTION WHEN unique_violation THEN GET STACKED DIAGNOSTICS sequelize_caught_exception = PG_EXCEPTION_DETAIL; END $func_8c1$ LANGUAGE plpgsql; SELECT (testfunc.response).*, testfunc.sequelize_caught_exception FROM pg_temp.testfunc(); DROP FUNCTION IF EXISTS pg_temp.testfunc();'
    const touches = statementTouches(sql, 'postgres')
    expect(touches.kind).not.toBe('read')
    expect(touches.writes.map((w) => w.table.name)).toContain('categories')
  })

  it('leaves other statements as sqlTables reads them', () => {
    expect(statementTouches('SELECT * FROM users', 'postgres')).toEqual({
      kind: 'read',
      reads: [{ schema: undefined, name: 'users' }],
      writes: [],
    })
    expect(statementTouches('UPDATE `t` SET a = 1', 'mysql').writes[0]?.table.name).toBe('t')
  })
})
