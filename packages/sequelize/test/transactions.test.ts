import { createNamespace } from 'cls-hooked'
import type { Model, Transaction } from 'sequelize'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { SEQUELIZE_VERSIONS, mariadbAvailable, postgresAvailable, type Dialect } from './setup/databases.js'
import { counted, openShop, type ShopFixture } from './setup/shop.js'

const available: Record<Dialect, boolean> = { postgres: await postgresAvailable(), mariadb: await mariadbAvailable() }
const cache = { ttl: '5m' }

for (const dialect of ['postgres', 'mariadb'] as const) {
  for (const { label, lib } of SEQUELIZE_VERSIONS) {
    describe.skipIf(!available[dialect])(`transactions on ${dialect}, ${label}`, () => {
      let shop: ShopFixture
      beforeEach(async () => {
        shop = await openShop(dialect, lib)
      })
      afterEach(() => shop.close())

      const stock = async (options: { transaction?: Transaction; cached?: boolean } = {}) => {
        const p = await shop.Product.findByPk(1, {
          ...(options.cached === false ? {} : { cache }),
          ...(options.transaction === undefined ? {} : { transaction: options.transaction }),
        })
        return p!.get('stock')
      }
      const isHit = async () => (await counted(shop, () => stock())).statements === 0

      it('managed: a read inside bypasses the cache; outside stays cached until COMMIT, fresh after', async () => {
        expect(await stock()).toBe(3)
        await shop.sequelize.transaction(async (t) => {
          await shop.Product.update({ stock: 4 }, { where: { id: 1 }, transaction: t })
          const inside = await counted(shop, () => stock({ transaction: t }))
          expect(inside.statements).toBe(1)
          expect(inside.value).toBe(4)
          expect(await isHit()).toBe(true)
          expect(await stock()).toBe(3)
        })
        expect(await isHit()).toBe(false)
        expect(await stock()).toBe(4)
        const bypass = shop.events.filter((e) => e.cache === 'bypass')
        expect(bypass.length).toBe(1)
        expect(bypass[0]!.inTransaction).toBe(true)
        expect(shop.perf.stats().bypasses).toBe(1)
      })

      it('unmanaged: commit() invalidates, rollback() leaves the cache unchanged and caches nothing read inside', async () => {
        await stock()
        const t1 = await shop.sequelize.transaction()
        await shop.Product.increment('stock', { by: 10, where: { id: 1 }, transaction: t1 })
        expect(await stock({ transaction: t1 })).toBe(13)
        await t1.rollback()
        expect(await isHit()).toBe(true)
        expect(await stock()).toBe(3)

        const t2 = await shop.sequelize.transaction()
        const p = (await shop.Product.findByPk(1, { transaction: t2 })) as Model
        await p.update({ stock: 8 }, { transaction: t2 })
        expect(await isHit()).toBe(true)
        await t2.commit()
        expect(await stock()).toBe(8)
      })

      it("the transaction's afterCommit hooks already read fresh values through the cache", async () => {
        await stock()
        let seen: unknown
        await shop.sequelize.transaction(async (t) => {
          t.afterCommit(async () => {
            seen = await stock()
          })
          await shop.Product.update({ stock: 21 }, { where: { id: 1 }, transaction: t })
        })
        expect(seen).toBe(21)
      })

      it('a nested transaction (savepoint) rolled back drops its writes; the outer commit invalidates the rest', async () => {
        await stock()
        const labels = () =>
          shop.Label.findAll({ order: [['id', 'ASC']], cache }).then((r) => r.map((l) => l.get('name')))
        await labels()
        await shop.sequelize.transaction(async (t) => {
          await shop.Product.update({ stock: 30 }, { where: { id: 1 }, transaction: t })
          await shop.sequelize
            .transaction({ transaction: t }, async (inner) => {
              await shop.Label.update({ name: 'gone' }, { where: {}, transaction: inner })
              throw new Error('to the savepoint')
            })
            .catch(() => undefined)
        })
        expect(await stock()).toBe(30)
        const hit = await counted(shop, labels)
        expect(hit.statements).toBe(0)
        expect(hit.value).toEqual(['red', 'blue'])
      })
    })

    describe.skipIf(!available[dialect])(`CLS transactions on ${dialect}, ${label}`, () => {
      let shop: ShopFixture
      const Sequelize = lib.Sequelize as unknown as { useCLS(ns: unknown): void; _cls?: unknown }
      beforeAll(() => {
        Sequelize.useCLS(createNamespace(`perf-sequelize-${dialect}-${label}`))
      })
      afterAll(() => {
        delete Sequelize._cls
      })
      beforeEach(async () => {
        shop = await openShop(dialect, lib)
      })
      afterEach(() => shop.close())

      it('statements without a transaction option join the CLS transaction: reads bypass, invalidation waits for COMMIT', async () => {
        const stock = async () => (await shop.Product.findByPk(1, { cache }))!.get('stock')
        expect(await stock()).toBe(3)
        await shop.sequelize.transaction(async () => {
          await shop.Product.update({ stock: 5 }, { where: { id: 1 } })
          const inside = await counted(shop, stock)
          expect(inside).toEqual({ value: 5, statements: 1 })
        })
        expect(await stock()).toBe(5)
        await shop.sequelize
          .transaction(async () => {
            await shop.Product.update({ stock: 6 }, { where: { id: 1 } })
            throw new Error('rollback')
          })
          .catch(() => undefined)
        expect(await counted(shop, stock)).toEqual({ value: 5, statements: 0 })
      })
    })
  }
}
