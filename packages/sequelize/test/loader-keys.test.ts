import { randomUUID } from 'node:crypto'
import type { Model, ModelStatic } from 'sequelize'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { associationLoader, pkLoader } from '../src/index.js'
import { DIALECTS, SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { counted, openShop, type ShopFixture } from './setup/shop.js'

const mariadbUp = await mariadbAvailable()
const available: Record<Dialect, boolean> = {
  postgres: await postgresAvailable(),
  mariadb: mariadbUp,
  mysql: mariadbUp,
}

/** Text keys an array literal or an IN list must carry unchanged (distinct under MariaDB's case-insensitive collation). */
const TEXT_KEYS = [
  "it's",
  'a,b',
  'NULL',
  '"quoted"',
  'back\\slash',
  '{brace}',
  ' lead',
  '',
  "''",
  'ü✓ 東',
  '$1',
  ':name ?',
  'x\\"},{"y',
]
const BIG = ['9007199254740993', '9223372036854775807', '1']

/** The SQL of the last statement (not a cache hit) the shop's monitor recorded for `table`. */
function lastSql(shop: ShopFixture, table: string): string {
  const statement = shop.events.filter((e) => e.cache !== 'hit' && e.sql?.includes(table)).at(-1)
  return statement?.sql ?? ''
}

for (const dialect of DIALECTS) {
  const { label, lib } = SEQUELIZE_VERSIONS[0]
  describe.skipIf(!available[dialect])(`loader keys on ${dialect}, ${label}`, () => {
    let shop: ShopFixture
    let Coded: ModelStatic<Model>
    let Big: ModelStatic<Model>
    let Uuid: ModelStatic<Model>
    beforeEach(async () => {
      shop = await openShop(dialect, lib)
      const { DataTypes } = lib
      const s = shop.sequelize
      Coded = s.define(
        'Coded',
        { code: { type: DataTypes.STRING, primaryKey: true }, n: DataTypes.INTEGER },
        {
          tableName: 'products_by_code',
          timestamps: false,
        },
      )
      Big = s.define(
        'Big',
        { id: { type: DataTypes.BIGINT, primaryKey: true }, n: DataTypes.INTEGER },
        {
          tableName: 'products_by_big',
          timestamps: false,
        },
      )
      Uuid = s.define(
        'Uuid',
        { id: { type: DataTypes.UUID, primaryKey: true }, n: DataTypes.INTEGER },
        {
          tableName: 'products_by_uuid',
          timestamps: false,
        },
      )
      await shop.db.ddl(async () => {
        for (const m of [Coded, Big, Uuid]) await m.sync()
      })
      await Coded.bulkCreate(TEXT_KEYS.map((code, n) => ({ code, n })))
      await Big.bulkCreate(BIG.map((id, n) => ({ id, n })))
    })
    afterEach(() => shop.close())

    it('pkLoader() with text keys holding quotes, commas, braces, backslashes and NULL-like words: one statement, each key its row', async () => {
      const loader = pkLoader(Coded)
      const asked = [...TEXT_KEYS, 'null-ish missing', 'a', 'NUL\0L']
      const { value, statements } = await counted(shop, () => Promise.all(asked.map((k) => loader.load(k))))
      expect(statements).toBe(1)
      expect(value.map((row) => row?.get('n') ?? null)).toEqual([...TEXT_KEYS.map((_, n) => n), null, null, null])
      expect(value.slice(0, TEXT_KEYS.length).map((row) => row?.get('code'))).toEqual(TEXT_KEYS)
      if (dialect === 'postgres') expect(lastSql(shop, 'products_by_code')).toMatch(/= ANY\('\{/)
      else expect(lastSql(shop, 'products_by_code')).toMatch(/ IN \(/)
    })

    it('pkLoader() with bigint keys past 2^53, as strings and as bigint: one statement, exact rows', async () => {
      const loader = pkLoader(Big)
      const asked = ['9007199254740993', 9223372036854775807n, 1, '1', 9007199254740992n]
      const { value, statements } = await counted(shop, () => Promise.all(asked.map((k) => loader.load(k))))
      expect(statements).toBe(1)
      expect(value.map((row) => row?.get('n') ?? null)).toEqual([0, 1, 2, 2, null])
      expect(value[2]).toBe(value[3])
      if (dialect === 'postgres') expect(lastSql(shop, 'products_by_big')).toMatch(/= ANY\('\{/)
    })

    it('pkLoader() with uuid keys: one statement; an unknown uuid is null', async () => {
      const rows = await Uuid.bulkCreate(Array.from({ length: 5 }, (_, n) => ({ id: randomUUID(), n })))
      const ids = rows.map((r) => r.get('id') as string)
      const loader = pkLoader(Uuid)
      const asked = [...ids.reverse(), '00000000-0000-4000-8000-000000000000']
      const { value, statements } = await counted(shop, () => Promise.all(asked.map((k) => loader.load(k))))
      expect(statements).toBe(1)
      expect(value.map((row) => row?.get('n') ?? null)).toEqual([4, 3, 2, 1, 0, null])
    })

    it('associationLoader() batches use the same key filter: one statement, keys as the owners', async () => {
      const products = await shop.Product.findAll({ order: [['id', 'ASC']] })
      const category = associationLoader(shop.Product, 'category')
      const { value, statements } = await counted(shop, () =>
        Promise.all([...products.map((p) => category.load(p)), category.load(424242)]),
      )
      expect(statements).toBe(1)
      expect(value.slice(0, -1).map((c) => (c as Model | null)?.get('name'))).toEqual(['tools', 'tools'])
      expect(value.at(-1)).toBeNull()
      if (dialect === 'postgres') expect(lastSql(shop, 'products')).toMatch(/"Product"\."id" = ANY\('\{/)
    })
  })
}
