import { describe, expect, it } from 'vitest'
import type { StoredField } from '../model/model-graph.js'
import { fieldFill } from './field-defaults.js'

const field = (type: string, attributes: string, kind = 'scalar'): StoredField => ({
  name: 'f',
  kind,
  type,
  column: 'f',
  attributes,
})
const insert = (type: string, attributes: string, kind?: string) => fieldFill(field(type, attributes, kind))?.insert?.()

describe('fieldFill(): what Prisma Client fills in for a row that lacks a field', () => {
  it('generates ids in the formats Prisma does', () => {
    expect(insert('String', '@id @default(uuid())')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    const v7 = insert('String', '@id @default(uuid(7))') as string
    expect(v7).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    // uuid v7 leads with the time in milliseconds.
    expect(Math.abs(parseInt(v7.replace('-', '').slice(0, 12), 16) - Date.now())).toBeLessThan(5_000)
    expect(insert('String', '@default(cuid())')).toMatch(/^c[0-9a-z]{24}$/)
    expect(insert('String', '@default(cuid(2))')).toMatch(/^[a-z][0-9a-z]{23}$/)
    expect(insert('String', '@default(nanoid())')).toMatch(/^[\w-]{21}$/)
    expect(insert('String', '@default(nanoid(8))')).toMatch(/^[\w-]{8}$/)
    expect(insert('String', '@default(ulid())')).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
    const ids = new Set(Array.from({ length: 1000 }, () => insert('String', '@default(cuid())')))
    expect(ids.size).toBe(1000)
  })

  it('reads literal defaults as the value Prisma would send', () => {
    expect(insert('Int', '@default(42)')).toBe(42)
    expect(insert('Float', '@default(-1.5)')).toBe(-1.5)
    expect(insert('BigInt', '@default(9007199254740993)')).toBe(9007199254740993n)
    expect(insert('Decimal', '@default(0.10) @db.Decimal(10, 2)')).toBe('0.10')
    expect(insert('Boolean', '@default(false)')).toBe(false)
    expect(insert('String', '@default("a \\"quoted\\" (value)")')).toBe('a "quoted" (value)')
    expect(insert('Role', '@default(USER)', 'enum')).toBe('USER')
    expect(insert('String', '@default([])')).toEqual([])
    expect(insert('Int', '@default([1, 2])')).toEqual([1, 2])
    expect(insert('Json', '@default("{\\"a\\": [1]}")')).toEqual({ a: [1] })
    // Each row gets its own copy of an object default.
    const a = insert('Json', '@default("{\\"a\\": [1]}")') as { a: number[] }
    a.a.push(2)
    expect(insert('Json', '@default("{\\"a\\": [1]}")')).toEqual({ a: [1] })
  })

  it('leaves to the database what only it can fill, and fills @updatedAt on both sides', () => {
    expect(fieldFill(field('Int', '@id @default(autoincrement())'))).toBeUndefined()
    expect(fieldFill(field('String', '@default(dbgenerated("gen_random_uuid()")) @db.Uuid'))).toBeUndefined()
    expect(fieldFill(field('BigInt', '@default(sequence())'))).toBeUndefined()
    expect(fieldFill(field('String', ''))).toBeUndefined()
    const now = fieldFill(field('DateTime', '@default(now())'))
    expect(now?.insert?.()).toBeInstanceOf(Date)
    expect(now?.update).toBeUndefined()
    const updated = fieldFill(field('DateTime', '@updatedAt'))
    expect(updated?.insert?.()).toBeInstanceOf(Date)
    expect(updated?.update?.()).toBeInstanceOf(Date)
  })
})
