import { randomUUID } from 'node:crypto'
import { MemoryStore, createCache, type Cache } from '@perf/core'
import { requireService } from '@perf/core/testing'
import { createRedisClient, redisBus, redisStore } from '@perf/redis'
import type { Model, Sequelize } from 'sequelize'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { instrument } from '../src/index.js'
import {
  SEQUELIZE_VERSIONS,
  mariadbAvailable,
  postgresAvailable,
  type DriverTap,
  type Dialect,
} from './setup/databases.js'
import { defineShop, openShop, type Shop, type ShopFixture } from './setup/shop.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const redisUp = await requireService(
  `Redis at ${REDIS_URL}`,
  async () => {
    const probe = createRedisClient(REDIS_URL)
    try {
      await probe.ping()
      return true
    } finally {
      probe.disconnect()
    }
  },
  { scope: '[perf:sequelize tests]', skipping: 'two-instance tests', attempts: 1 },
)
const available: Record<Dialect, boolean> = { postgres: await postgresAvailable(), mariadb: await mariadbAvailable() }
const cache = { ttl: '5m' }

/** One application process's cache: its own L1, the shared Redis L2 and bus. */
function processCache(scope: string, closers: (() => Promise<unknown>)[]): Cache {
  const redis = createRedisClient(REDIS_URL)
  const bus = redisBus(redis, { channel: `perf:bus:${scope}` })
  const c = createCache({
    namespace: 'sequelize-test',
    tiers: [new MemoryStore(), redisStore(redis, { prefix: `perf:${scope}:` })],
    bus,
  })
  closers.push(async () => {
    await c.clear()
    await c.close()
    await bus.close()
    redis.disconnect()
  })
  return c
}

for (const dialect of ['postgres', 'mariadb'] as const) {
  const { label, lib } = SEQUELIZE_VERSIONS[0]
  describe.skipIf(!available[dialect] || !redisUp)(
    `two Sequelize instances sharing Redis on ${dialect}, ${label}`,
    () => {
      let a: ShopFixture
      let b: Shop & { sequelize: Sequelize; tap: DriverTap }
      const closers: (() => Promise<unknown>)[] = []
      beforeEach(async () => {
        const scope = randomUUID()
        a = await openShop(dialect, lib, { cache: processCache(scope, closers) })
        const other = a.db.another()
        const shop = defineShop(lib, other.sequelize, dialect)
        const perf = instrument(other.sequelize, { cache: processCache(scope, closers) })
        closers.push(async () => perf.uninstrument())
        b = { ...shop, ...other }
      })
      afterEach(async () => {
        await a.close()
        for (const close of closers.splice(0)) await close().catch(() => undefined)
      })

      const stockA = async () => ((await a.Product.findByPk(1, { cache })) as Model).get('stock')
      const stockB = async () => ((await b.Product.findByPk(1, { cache })) as Model).get('stock')

      it('a read cached by one instance is a hit in the other (no statement), with an instance of its own models', async () => {
        expect(await stockA()).toBe(3)
        const before = b.tap.count()
        const product = await b.Product.findByPk(1, { cache })
        expect(b.tap.count()).toBe(before)
        expect(product).toBeInstanceOf(b.Product)
      })

      it("a write through one instance drops the other's entries, L1 included", async () => {
        expect(await stockA()).toBe(3)
        expect(await stockB()).toBe(3)
        await ((await b.Product.findByPk(1)) as Model).update({ stock: 11 })
        expect(await stockB()).toBe(11)
        await vi.waitFor(async () => expect(await stockA()).toBe(11))
      })

      it("a transaction's writes reach the other instance only after COMMIT; a rollback never does", async () => {
        expect(await stockB()).toBe(3)
        await a.sequelize.transaction(async (t) => {
          await a.Product.update({ stock: 12 }, { where: { id: 1 }, transaction: t })
          await new Promise((resolve) => setTimeout(resolve, 50))
          const before = b.tap.count()
          expect(await stockB()).toBe(3)
          expect(b.tap.count()).toBe(before)
        })
        await vi.waitFor(async () => expect(await stockB()).toBe(12))
        await a.sequelize
          .transaction(async (t) => {
            await a.Product.update({ stock: 13 }, { where: { id: 1 }, transaction: t })
            throw new Error('rollback')
          })
          .catch(() => undefined)
        await new Promise((resolve) => setTimeout(resolve, 50))
        const before = b.tap.count()
        expect(await stockB()).toBe(12)
        expect(b.tap.count()).toBe(before)
      })

      it("a raw write through one instance drops the other's entries", async () => {
        expect(await stockA()).toBe(3)
        await b.sequelize.query('UPDATE products SET stock = 14 WHERE id = 1')
        await vi.waitFor(async () => expect(await stockA()).toBe(14))
      })
    },
  )
}
