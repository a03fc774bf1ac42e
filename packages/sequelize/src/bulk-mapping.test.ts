import { DataTypes, Sequelize } from 'sequelize'
import { describe, expect, it } from 'vitest'
import { bulkMapping, tableOf, timestampsOf, type ModelMeta } from './bulk-mapping.js'

// No connection is opened: define() only builds the model's metadata.
const sequelize = new Sequelize('postgres://nobody@127.0.0.1:1/none', { logging: false })
const Thing = sequelize.define(
  'Thing',
  {
    amount: DataTypes.DECIMAL(10, 2),
    big: DataTypes.BIGINT,
    at: DataTypes.DATE,
    day: DataTypes.DATEONLY,
    kind: DataTypes.ENUM('a', 'b'),
    kinds: DataTypes.ARRAY(DataTypes.ENUM('a', 'b')),
    grid: DataTypes.ARRAY(DataTypes.ARRAY(DataTypes.DECIMAL)),
    blob: DataTypes.BLOB,
    span: DataTypes.RANGE(DataTypes.INTEGER),
    doc: DataTypes.JSONB,
    token: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4 },
    stamp: { type: DataTypes.DATE, defaultValue: DataTypes.NOW },
    made: { type: DataTypes.DATE, field: 'made_on' },
    computed: { type: DataTypes.VIRTUAL, get: () => 1 },
  },
  { tableName: 'things', schema: 'app', createdAt: 'made', updatedAt: false },
)
const now = new Date('2024-01-02T03:04:05.678Z')
const mapping = bulkMapping(Thing as unknown as ModelMeta, now)
const to = (field: string, value: unknown) => mapping.fields.get(field)!.toDatabase!(value)

describe('bulkMapping()', () => {
  it('maps stored attributes to their columns, leaves VIRTUAL out, and reads the schema-qualified table', () => {
    expect(mapping.model).toBe('Thing')
    expect(mapping.table).toEqual({ schema: 'app', name: 'things' })
    expect(mapping.fields.get('made')!.column).toBe('made_on')
    expect(mapping.fields.has('computed')).toBe(false)
    expect(mapping.fields.has('updatedAt')).toBe(false)
    expect(mapping.label).toBe('[perf:sequelize]')
  })

  it('fills a renamed createdAt with the call instant, and defaultValue as build() does', () => {
    expect(mapping.fields.get('made')!.default!()).toBe(now)
    expect(mapping.fields.get('made')!.onUpdate).toBeUndefined()
    expect(mapping.fields.get('token')!.default!()).toMatch(/^[0-9a-f-]{36}$/)
    expect(mapping.fields.get('stamp')!.default!()).toBeInstanceOf(Date)
    expect(mapping.fields.get('amount')!.default).toBeUndefined()
  })

  it('turns Decimal-likes into their text and refuses other objects for numbers', () => {
    const decimal = { toString: () => '12.50' }
    expect(to('amount', decimal)).toBe('12.50')
    expect(to('big', 9007199254740993n)).toBe(9007199254740993n)
    expect(to('amount', '1.5')).toBe('1.5')
    expect(() => to('amount', {})).toThrow(/expected a number/)
  })

  it('takes Dates, numbers and moment-like objects for DATE; DATEONLY writes the local day', () => {
    expect(to('at', 0)).toEqual(new Date(0))
    expect(to('at', { toDate: () => now })).toBe(now)
    expect(to('at', '2024-01-02 03:04')).toBe('2024-01-02 03:04')
    expect(() => to('at', new Date('nope'))).toThrow('Invalid Date')
    const local = new Date(2024, 0, 2, 23, 30)
    expect(to('day', local)).toBe('2024-01-02')
  })

  it('checks ENUM values, also inside arrays, and converts nested array elements', () => {
    expect(to('kind', 'a')).toBe('a')
    expect(() => to('kind', 'c')).toThrow(`"c" is not one of the ENUM's values ("a", "b")`)
    expect(to('kinds', ['a', null, 'b'])).toEqual(['a', null, 'b'])
    expect(() => to('kinds', ['a', 'z'])).toThrow(/"z" is not one/)
    expect(() => to('kinds', 'a')).toThrow(/expected an array/)
    expect(to('grid', [[{ toString: () => '1.5' }, 2]])).toEqual([['1.5', 2]])
  })

  it('takes strings for BLOB, only the text form for RANGE, any JSON for JSONB, and refuses SQL expressions', () => {
    expect(Buffer.compare(to('blob', 'hi') as Buffer, Buffer.from('hi'))).toBe(0)
    expect(to('span', '[1,5)')).toBe('[1,5)')
    expect(() => to('span', [1, 5])).toThrow(/text form/)
    expect(to('doc', [1, { a: 2 }])).toEqual([1, { a: 2 }])
    expect(() => to('doc', sequelize.fn('now'))).toThrow(/fn\(\) is SQL/)
    expect(() => to('at', sequelize.literal('now()'))).toThrow(/literal\(\) is SQL/)
  })

  it('leaves updatedAt without onUpdate when silent', () => {
    const Stamped = sequelize.define('Stamped', { name: DataTypes.STRING }, { tableName: 'stamped' })
    const loud = bulkMapping(Stamped as unknown as ModelMeta, now)
    const silent = bulkMapping(Stamped as unknown as ModelMeta, now, true)
    expect(loud.fields.get('updatedAt')!.onUpdate!()).toBe(now)
    expect(silent.fields.get('updatedAt')!.onUpdate).toBeUndefined()
    expect(silent.fields.get('updatedAt')!.default!()).toBe(now)
    expect(tableOf(Stamped as unknown as ModelMeta)).toEqual({ name: 'stamped' })
  })
})

describe('timestampsOf()', () => {
  it("reads Sequelize's resolved names, or the options when they are missing", () => {
    expect(timestampsOf(Thing as unknown as ModelMeta)).toEqual({ createdAt: 'made', updatedAt: undefined })
    const bare = { name: 'X', getTableName: () => 'x', options: { timestamps: true, updatedAt: 'changed' } }
    expect(timestampsOf(bare)).toEqual({ createdAt: 'createdAt', updatedAt: 'changed' })
    expect(timestampsOf({ ...bare, options: { timestamps: false } })).toEqual({})
  })
})
