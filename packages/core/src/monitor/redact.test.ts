import { describe, expect, it } from 'vitest'
import { redact } from './redact.js'

const PII = [
  'ann@example.com',
  'Ann',
  'Smith',
  "O'Brien",
  'Brien',
  '+1 555 0100',
  '5550100',
  '555-0100',
  '4111111111111111',
  'secret',
]

function expectNoPii(text: string): void {
  for (const value of PII) expect(text, `"${value}" leaked`).not.toContain(value)
}

describe('redact()', () => {
  it.each([
    [
      'strings and numbers',
      "SELECT * FROM users WHERE email = 'ann@example.com' AND age > 30",
      'SELECT * FROM users WHERE email = ? AND age > ?',
    ],
    [
      'doubled quotes',
      "UPDATE users SET last_name = 'O''Brien' WHERE id = 7",
      'UPDATE users SET last_name = ? WHERE id = ?',
    ],
    ['E-strings with backslash escapes', "INSERT INTO t (n) VALUES (E'O\\'Brien')", 'INSERT INTO t (n) VALUES (?)'],
    ['dollar-quoted strings', 'SELECT $q$Ann Smith$q$, $$secret$$', 'SELECT ?, ?'],
    [
      'negative numbers and decimals',
      'SELECT * FROM t WHERE a = -5 AND b = 1.5e3',
      'SELECT * FROM t WHERE a = ? AND b = ?',
    ],
    ['casts keep their type', "SELECT '+1 555 0100'::text", 'SELECT ?::text'],
    ['comments vanish', "SELECT 1 /*route='/users/Ann'*/ -- secret\nFROM t", 'SELECT ?  \nFROM t'],
    [
      'placeholders and identifiers stay',
      'SELECT "User"."email" FROM "User" WHERE "User"."id" = $1 AND x = ?',
      'SELECT "User"."email" FROM "User" WHERE "User"."id" = $1 AND x = ?',
    ],
    [
      'double-quoted e-mail and phone values (MySQL)',
      'SELECT * FROM users WHERE email = "ann@example.com" OR phone = "5550100"',
      'SELECT * FROM users WHERE email = ? OR phone = ?',
    ],
    [
      'a PostgreSQL string ending in a backslash',
      "SELECT * FROM t WHERE p = 'C:\\' AND n = 'Ann'",
      'SELECT * FROM t WHERE p = ? AND n = ?',
    ],
    [
      'a MySQL backslash-escaped quote',
      "SELECT * FROM t WHERE n = 'O\\'Brien' AND m = 'Smith'",
      'SELECT * FROM t WHERE n = ? AND m = ?',
    ],
    [
      'an escaped backslash before the closing quote',
      "SELECT * FROM t WHERE p = 'a\\\\' AND n = 'Ann'",
      'SELECT * FROM t WHERE p = ? AND n = ?',
    ],
    ['unterminated strings swallow the tail', "SELECT * FROM t WHERE a = 'Ann Smith", 'SELECT * FROM t WHERE a = ?'],
  ])('%s', (_name, sql, expected) => {
    const out = redact(sql)
    expect(out).toBe(expected)
    expectNoPii(out)
  })

  it('redacts Prisma-style SQL with inlined values', () => {
    const sql = `INSERT INTO "public"."User" ("email","name","phone") VALUES ('ann@example.com','Ann Smith','+1 555 0100') RETURNING "public"."User"."id"`
    const out = redact(sql)
    expect(out).toBe(
      'INSERT INTO "public"."User" ("email","name","phone") VALUES (?,?,?) RETURNING "public"."User"."id"',
    )
    expectNoPii(out)
  })

  it('redacts TypeORM-style SQL', () => {
    const sql =
      'SELECT "User"."id" AS "User_id", "User"."firstName" AS "User_firstName" FROM "user" "User" WHERE "User"."firstName" = \'Ann\' AND "User"."lastName" = \'Smith\' LIMIT 1'
    const out = redact(sql)
    expect(out).toBe(
      'SELECT "User"."id" AS "User_id", "User"."firstName" AS "User_firstName" FROM "user" "User" WHERE "User"."firstName" = ? AND "User"."lastName" = ? LIMIT ?',
    )
    expectNoPii(out)
  })

  it('redacts Sequelize-style SQL (MySQL backticks, inlined replacements)', () => {
    const sql =
      "SELECT `id`, `email` FROM `Users` AS `User` WHERE `User`.`email` = 'ann@example.com' AND `User`.`card` = '4111111111111111' AND `User`.`note` = 'O\\'Brien';"
    const out = redact(sql)
    expect(out).toMatch(
      /^SELECT `id`, `email` FROM `Users` AS `User` WHERE `User`.`email` = \? AND `User`.`card` = \? AND `User`.`note` = \?/,
    )
    expectNoPii(out)
  })

  it('redacts every literal of a bulk insert', () => {
    const rows = Array.from({ length: 50 }, (_, i) => `('user${i}@example.com', ${i}, -${i}.5)`).join(', ')
    const out = redact(`INSERT INTO t (email, n, m) VALUES ${rows}`)
    expect(out).not.toMatch(/@|\d/)
    expect(out.match(/\?/g)).toHaveLength(150)
  })

  it('rejects a non-string with INVALID_ARGUMENT', () => {
    expect(() => redact(undefined as unknown as string)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
