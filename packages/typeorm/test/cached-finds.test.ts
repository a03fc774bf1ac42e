import { createCache, isPerfError, MemoryStore } from '@perf/core'
import { chaosStore } from '@perf/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MATRIX } from './fixtures/inst-harness.js'
import { openShop } from './fixtures/shop-harness.js'
import { Country, Customer, Label, Order } from './fixtures/shop-entities.js'

/** Runs `read` twice through the cache: the second must send no statement and equal an uncached read. */
async function expectCachedEqual<T>(
  shop: Awaited<ReturnType<typeof openShop>>,
  read: () => Promise<T>,
  uncached: () => Promise<T>,
) {
  const miss = await read()
  const before = shop.statements()
  const hit = await read()
  expect(shop.statements() - before).toBe(0)
  const fresh = await uncached()
  expect(hit).toStrictEqual(fresh)
  expect(miss).toStrictEqual(fresh)
  return hit
}

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`installCachedFinds — ${label}`, () => {
    let shop: Awaited<ReturnType<typeof openShop>>
    beforeAll(async () => {
      shop = await openShop(typeorm, create, { entities: { Customer: { ttl: '1m' } } })
    })
    afterAll(async () => shop?.close())

    it('findOneBy() hits rebuild entity classes, Date, numeric/bigint strings, json, enum, embedded and eager relations', async () => {
      const repo = shop.ds.getRepository(Customer)
      const hit = (await expectCachedEqual(
        shop,
        () => repo.findOneBy({ name: 'ann' }),
        () => repo.findOne({ where: { name: 'ann' }, cache: false }),
      )) as Customer
      expect(hit).toBeInstanceOf(Customer)
      expect(hit.createdAt).toBeInstanceOf(Date)
      expect(hit.createdAt.toISOString()).toBe('2024-01-02T03:04:05.678Z')
      expect(hit.balance).toBe('10.50')
      expect(hit.visits).toBe('9007199254740993')
      expect(hit.profile).toEqual({ tags: ['a'], nested: { n: 1 } })
      expect(hit.tier).toBe('gold')
      expect(hit.address.constructor.name).toBe('Address')
      expect(hit.country).toBeInstanceOf(Country)
    })

    it('find() with relations (one-to-many, many-to-many) and order: hit equals the uncached result', async () => {
      const repo = shop.ds.getRepository(Customer)
      const opts = {
        relations: { orders: { labels: true } },
        order: { id: 'ASC' as const, orders: { id: 'ASC' as const } },
      }
      const hit = (await expectCachedEqual(
        shop,
        () => repo.find(opts),
        () => repo.find({ ...opts, cache: false }),
      )) as Customer[]
      expect(hit[0]?.orders?.[0]).toBeInstanceOf(Order)
      expect(hit[0]?.orders?.[0]?.labels?.[0]).toBeInstanceOf(Label)
    })

    it('findAndCount(), count(), countBy(), exists() and findBy() are served from the cache', async () => {
      const repo = shop.ds.getRepository(Customer)
      await expectCachedEqual(
        shop,
        () => repo.findAndCount({ take: 1, order: { id: 'ASC' } }),
        () => repo.findAndCount({ take: 1, order: { id: 'ASC' }, cache: false }),
      )
      await expectCachedEqual(
        shop,
        () => repo.count(),
        () => repo.count({ cache: false }),
      )
      await expectCachedEqual(
        shop,
        () => repo.countBy({ tier: 'gold' }),
        () => repo.count({ where: { tier: 'gold' }, cache: false }),
      )
      await expectCachedEqual(
        shop,
        () => repo.exists({ where: { name: 'bob' } }),
        () => repo.exists({ where: { name: 'bob' }, cache: false }),
      )
      await expectCachedEqual(
        shop,
        () => repo.findBy({ tier: 'silver' }),
        () => repo.find({ where: { tier: 'silver' }, cache: false }),
      )
    })

    it('a hit returns a fresh copy: mutating it never changes the next hit', async () => {
      const repo = shop.ds.getRepository(Customer)
      const first = (await repo.findOneBy({ name: 'bob' })) as Customer
      first.name = 'mutated'
      first.address.city = 'nowhere'
      const again = (await repo.findOneBy({ name: 'bob' })) as Customer
      expect(again.name).toBe('bob')
      expect(again.address.city).toBe('Lyon')
    })

    it('writes through the DataSource invalidate the tables a cached find read (joined ones included)', async () => {
      const repo = shop.ds.getRepository(Customer)
      const before = (await repo.findOneBy({ name: 'ann' })) as Customer
      await shop.ds.getRepository(Country).update({ code: 'FR' }, { code: 'DE' })
      const after = (await repo.findOneBy({ name: 'ann' })) as Customer
      expect(after.country?.code).toBe('DE')
      expect(before.country?.code).not.toBe('DE')
      await shop.ds.query(`UPDATE customers SET name = 'ann' WHERE name = 'ann'`)
      const n = shop.statements()
      await repo.findOneBy({ name: 'ann' })
      expect(shop.statements()).toBeGreaterThan(n)
    })

    it('an entity without a ttl is cached only per call: cache: true | ms | { id, milliseconds }, and cache: false bypasses', async () => {
      const labels = shop.ds.getRepository(Label)
      let n = shop.statements()
      await labels.find()
      await labels.find()
      expect(shop.statements() - n).toBe(2)
      n = shop.statements()
      await labels.find({ cache: 60_000 })
      await labels.find({ cache: 60_000 })
      expect(shop.statements() - n).toBe(1)
      n = shop.statements()
      await labels.find({ cache: { id: 'labels', milliseconds: 60_000 }, order: { id: 'DESC' } })
      await labels.find({ cache: { id: 'labels', milliseconds: 60_000 }, order: { id: 'DESC' } })
      expect(shop.statements() - n).toBe(1)
      n = shop.statements()
      await shop.ds.getRepository(Customer).findOne({ where: { name: 'ann' }, cache: false })
      expect(shop.statements() - n).toBeGreaterThan(0)
    })

    it('findOneByOrFail() is cached through findOneBy(); a cached null still rejects', async () => {
      const repo = shop.ds.getRepository(Customer)
      await repo.findOneByOrFail({ name: 'ann' })
      let n = shop.statements()
      await expect(repo.findOneByOrFail({ name: 'ann' })).resolves.toBeInstanceOf(Customer)
      expect(shop.statements()).toBe(n)
      await expect(repo.findOneByOrFail({ name: 'nobody' })).rejects.toThrow()
      n = shop.statements()
      await expect(repo.findOneByOrFail({ name: 'nobody' })).rejects.toThrow()
      expect(shop.statements()).toBe(n)
    })

    it("finds the fast path cannot serve run uncached: Raw() with a function, relationLoadStrategy: 'query'", async () => {
      const repo = shop.ds.getRepository(Customer)
      const raw = () => repo.find({ where: { id: typeorm.Raw((alias) => `${alias} > 0`) }, order: { id: 'ASC' } })
      await raw()
      let n = shop.statements()
      expect(await raw()).toHaveLength(2)
      expect(shop.statements()).toBeGreaterThan(n)
      const byQuery = () =>
        repo.find({ relations: { orders: true }, relationLoadStrategy: 'query', order: { id: 'ASC' } })
      await byQuery()
      n = shop.statements()
      expect((await byQuery())[0]?.orders).toHaveLength(2)
      expect(shop.statements()).toBeGreaterThan(n)
    })

    it("a where on a relation is tagged with that relation's table (tags depend on the options' shape, not values)", async () => {
      const repo = shop.ds.getRepository(Customer)
      await repo.find({ where: { name: 'ann' } })
      const byOrder = () => repo.find({ where: { orders: { total: '0.99' } }, order: { id: 'ASC' } })
      expect((await byOrder()).map((c) => c.name)).toEqual(['ann'])
      let n = shop.statements()
      await byOrder()
      expect(shop.statements()).toBe(n)
      await shop.ds.getRepository(Order).update({ total: '0.99' }, { total: '1.99' })
      n = shop.statements()
      expect(await byOrder()).toEqual([])
      expect(shop.statements()).toBeGreaterThan(n)
      await shop.ds.getRepository(Order).update({ total: '1.99' }, { total: '0.99' })
    })

    it('reads inside a transaction bypass the cache', async () => {
      await shop.ds.getRepository(Customer).findOneBy({ name: 'bob' })
      await shop.ds.transaction(async (manager) => {
        const n = shop.statements()
        await manager.getRepository(Customer).findOneBy({ name: 'bob' })
        expect(shop.statements()).toBeGreaterThan(n)
      })
    })

    it('a hit is a QueryEvent with cache: "hit"; a miss\'s statements carry cache: "miss"', async () => {
      const repo = shop.ds.getRepository(Customer)
      const from = shop.events.length
      await repo.findOneBy({ id: 2 })
      await repo.findOneBy({ id: 2 })
      const own = shop.events.slice(from)
      expect(own.some((e) => e.cache === 'miss' && typeof e.sql === 'string')).toBe(true)
      expect(own.some((e) => e.cache === 'hit' && e.model === 'Customer' && e.operation === 'findOneBy')).toBe(true)
    })

    it('bad input: a negative per-call ttl rejects with INVALID_TTL, a cache option on a write with INVALID_CACHE_STRATEGY', async () => {
      const repo = shop.ds.getRepository(Customer)
      await expect(repo.find({ cache: -1 })).rejects.toSatisfy((e) => isPerfError(e, 'INVALID_TTL'))
      await expect(repo.find({ cache: 'soon' as never })).rejects.toSatisfy((e) => isPerfError(e, 'INVALID_OPTION'))
      const bob = (await repo.findOneBy({ name: 'bob' })) as Customer
      await expect(repo.save(bob, { cache: true } as never)).rejects.toSatisfy((e) =>
        isPerfError(e, 'INVALID_CACHE_STRATEGY'),
      )
      await expect(shop.ds.manager.save(Customer, bob, { cache: 1 } as never)).rejects.toSatisfy((e) =>
        isPerfError(e, 'INVALID_CACHE_STRATEGY'),
      )
      await expect(repo.save(bob)).resolves.toBeDefined()
    })
  })

  describe.skipIf(!up)(`installCachedFinds setup and limits — ${label}`, () => {
    it('instrument() rejects unknown entity names (UNKNOWN_MODEL) and negative ttls (INVALID_TTL)', async () => {
      const shop = await openShop(typeorm, create)
      try {
        shop.perf.uninstrument()
        const { instrument } = await import('../src/index.js')
        expect(() => instrument(shop.ds, { cache: shop.cache, entities: { Nope: { ttl: 1 } } })).toThrow(
          expect.objectContaining({ code: 'UNKNOWN_MODEL' }),
        )
        expect(() => instrument(shop.ds, { cache: shop.cache, defaults: { ttl: -5 } })).toThrow(
          expect.objectContaining({ code: 'INVALID_TTL' }),
        )
        expect(() => instrument(shop.ds, { cache: shop.cache, entities: { Customer: { ttl: -5 } } })).toThrow(
          expect.objectContaining({ code: 'INVALID_TTL' }),
        )
        const { installCachedFinds } = await import('../src/index.js')
        expect(() => installCachedFinds(shop.ds, { cache: shop.cache, entities: { Nope: {} } })).toThrow(
          expect.objectContaining({ code: 'UNKNOWN_MODEL' }),
        )
        expect(() => installCachedFinds(shop.ds, { cache: shop.cache, defaults: { ttl: '-1s' } })).toThrow(
          expect.objectContaining({ code: 'INVALID_TTL' }),
        )
        expect(() => installCachedFinds(shop.ds, { cache: {} as never })).toThrow(
          expect.objectContaining({ code: 'INVALID_OPTION' }),
        )
      } finally {
        await shop.close()
      }
    })

    it('afterLoad subscribers run on misses only; a hit returns the entity as they left it (documented)', async () => {
      let calls = 0
      class Loaded {
        listenTo() {
          return Customer
        }
        afterLoad(entity: Customer) {
          calls++
          entity.loaded = true
        }
      }
      const shop = await openShop(typeorm, create, { defaults: { ttl: '1m' } })
      shop.ds.subscribers.push(new Loaded() as never)
      try {
        const repo = shop.ds.getRepository(Customer)
        await repo.findOneBy({ name: 'bob' })
        const afterMiss = calls
        const hit = (await repo.findOneBy({ name: 'bob' })) as Customer
        expect(afterMiss).toBeGreaterThan(0)
        expect(calls).toBe(afterMiss)
        expect(hit.loaded).toBe(true)
      } finally {
        await shop.close()
      }
    })

    it('fails open: a cache tier that throws on every call costs one statement per find, never an error', async () => {
      const chaos = chaosStore(new MemoryStore())
      for (const op of ['get', 'getMany', 'set', 'delete', 'clear'] as const) chaos.fail(op)
      const cache = createCache({ tiers: [chaos.store] })
      const shop = await openShop(typeorm, create, { cache, defaults: { ttl: '1m' } })
      try {
        const repo = shop.ds.getRepository(Customer)
        let n = shop.statements()
        const uncached = await repo.findOne({ where: { name: 'ann' }, cache: false })
        const perFind = shop.statements() - n // findOneBy with an eager relation: TypeORM's two statements
        n = shop.statements()
        const a = await repo.findOneBy({ name: 'ann' })
        const b = await repo.findOneBy({ name: 'ann' })
        expect(shop.statements() - n).toBe(2 * perFind)
        expect(a).toStrictEqual(uncached)
        expect(b).toStrictEqual(uncached)
      } finally {
        await shop.close()
        await cache.close()
      }
    })

    it('a column transformer returning a class instance: served from the database each time, counted as unstorable', async () => {
      class Money {
        constructor(readonly cents: number) {}
      }
      const db = await create()
      const Wallet = new typeorm.EntitySchema<{ id: number; amount: Money }>({
        name: 'Wallet',
        tableName: 'wallets',
        columns: {
          id: { type: Number, primary: true, generated: true },
          amount: {
            type: 'int',
            transformer: { to: (m: Money) => m.cents, from: (v: number) => new Money(v) },
          },
        },
      })
      const ds = new typeorm.DataSource({ ...db.options, entities: [Wallet], synchronize: true } as never)
      await ds.initialize()
      const cache = createCache({ tiers: [new MemoryStore()] })
      const { instrument } = await import('../src/index.js')
      const perf = instrument(ds, { cache, defaults: { ttl: '1m' } })
      try {
        await ds.getRepository(Wallet).insert({ amount: new Money(250) })
        const a = await ds.getRepository(Wallet).findOneBy({ id: 1 })
        const b = await ds.getRepository(Wallet).findOneBy({ id: 1 })
        expect(b?.amount).toBeInstanceOf(Money)
        expect(b).toStrictEqual(a)
        expect(cache.stats().unstorable).toBe(2)
      } finally {
        perf.uninstrument()
        await ds.destroy()
        await cache.close()
        await db.drop()
      }
    })

    it('uninstrument() restores the manager: finds run uncached again', async () => {
      const shop = await openShop(typeorm, create, { defaults: { ttl: '1m' } })
      try {
        const repo = shop.ds.getRepository(Customer)
        shop.perf.uninstrument()
        expect(Object.prototype.hasOwnProperty.call(shop.ds.manager, 'find')).toBe(false)
        expect(Object.prototype.hasOwnProperty.call(shop.ds.manager, 'save')).toBe(false)
        await expect(repo.findOneBy({ name: 'ann' })).resolves.toBeInstanceOf(Customer)
      } finally {
        await shop.close()
      }
    })
  })
}
