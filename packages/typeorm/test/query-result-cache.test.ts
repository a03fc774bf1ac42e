import { type Cache, createCache, createMonitor, MemoryStore, type QueryEvent } from '@perf/core'
import { chaosStore } from '@perf/core/testing'
import type * as typeorm1 from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { instrument, queryResultCache, type QueryResultCacheProviderOptions } from '../src/index.js'
import { type InstDatabase, MATRIX } from './fixtures/inst-harness.js'
import { Customer, seedShop, shopEntities } from './fixtures/shop-entities.js'

/** A seeded shop whose DataSource uses our provider; instrumented for counting (and, with `invalidate`, for writes). */
async function openProviderShop(
  typeorm: typeof typeorm1,
  create: () => Promise<InstDatabase>,
  options: QueryResultCacheProviderOptions & { cache?: Cache; invalidate?: boolean } = {},
) {
  const db = await create()
  const dialect = (db.options as { type: string }).type === 'postgres' ? 'postgres' : 'mysql'
  const { cache: given, invalidate, ...providerOptions } = options
  const cache = given ?? createCache({ tiers: [new MemoryStore()] })
  const monitor = createMonitor({ eventLoopDelay: false })
  const events: QueryEvent[] = []
  const record = monitor.record.bind(monitor)
  monitor.record = (event: QueryEvent) => {
    events.push(event)
    record(event)
  }
  const provider = queryResultCache(cache, { monitor, ...providerOptions })
  const ds = new typeorm.DataSource({
    ...db.options,
    entities: shopEntities(typeorm, dialect).all,
    synchronize: true,
    cache: { provider: () => provider },
  } as unknown as typeorm1.DataSourceOptions)
  await ds.initialize()
  await seedShop(ds)
  // With a cache, instrument() invalidates writes (and serves find({ cache }) itself: these tests read
  // through QueryBuilders then). Without one, it only counts statements, and finds reach the provider.
  const perf = instrument(ds, invalidate === true ? { cache, monitor } : { monitor })
  return {
    ds,
    cache,
    provider,
    events,
    statements: () => events.filter((e) => e.sql !== undefined && e.cache !== 'hit').length,
    async close() {
      perf.uninstrument()
      await ds.destroy().catch(() => undefined)
      if (given === undefined) await cache.close()
      monitor.close()
      await db.drop()
    },
  }
}

type Shop = Awaited<ReturnType<typeof openProviderShop>>

/**
 * TypeORM's provider contract is JSON (it stringifies the raw rows it stores and parses them on a
 * hit), so a hit is only as faithful as TypeORM's hydration of parsed JSON. TypeORM 0.3's
 * PostgreSQL driver does not turn a `timestamptz` column's string back into a Date (1.x does, and
 * so does 0.3 for `timestamp with time zone`): the built-in providers return the string too. This
 * compares with that one known difference made explicit; the fast path has no such gap.
 */
function expectProviderEqual(label: string, hit: unknown, fresh: unknown): void {
  if (!(label.includes('0.3') && label.includes('PostgreSQL'))) return void expect(hit).toStrictEqual(fresh)
  const iso = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(iso)
      : v instanceof Customer
        ? Object.assign(Object.create(Customer.prototype), v, {
            createdAt: v.createdAt instanceof Date ? v.createdAt.toISOString() : v.createdAt,
          })
        : v
  expect(iso(hit)).toStrictEqual(iso(fresh))
}

async function countOf<T>(shop: Shop, fn: () => Promise<T>): Promise<{ value: T; statements: number }> {
  const before = shop.statements()
  const value = await fn()
  return { value, statements: shop.statements() - before }
}

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`queryResultCache — ${label}`, () => {
    let shop: Shop
    beforeAll(async () => {
      shop = await openProviderShop(typeorm, create)
    })
    afterAll(async () => shop?.close())

    it('QueryBuilder.cache(ms): the second read runs no statement and equals the uncached read', async () => {
      const qb = () => shop.ds.getRepository(Customer).createQueryBuilder('c').orderBy('c.id')
      const miss = await countOf(shop, () => qb().cache(60_000).getMany())
      expect(miss.statements).toBe(1)
      const hit = await countOf(shop, () => qb().cache(60_000).getMany())
      expect(hit.statements).toBe(0)
      expectProviderEqual(label, hit.value, await qb().getMany())
      expect(shop.provider.stats().hits).toBeGreaterThan(0)
    })

    /** @see https://github.com/typeorm/typeorm/issues/4277 */
    it('getManyAndCount() with a cache id returns the right count, also on a hit', async () => {
      const qb = () =>
        shop.ds.getRepository(Customer).createQueryBuilder('c').orderBy('c.id').take(1).cache('customers-page', 60_000)
      const [rows, count] = await qb().getManyAndCount()
      expect(rows).toHaveLength(1)
      expect(count).toBe(2)
      const hit = await countOf(shop, () => qb().getManyAndCount())
      expect(hit.statements).toBe(0)
      expect(hit.value[1]).toBe(2)
      expectProviderEqual(label, hit.value[0], rows)
    })

    /** @see https://github.com/typeorm/typeorm/issues/8243 */
    it('paginated finds with joins under one cache id: every page is its own entry', async () => {
      const page = (skip: number) =>
        shop.ds.getRepository(Customer).find({
          relations: { orders: true },
          order: { id: 'ASC' },
          skip,
          take: 1,
          cache: { id: 'customers-with-orders', milliseconds: 60_000 },
        })
      const first = await page(0)
      const second = await page(1)
      expect(first.map((c) => c.name)).toEqual(['ann'])
      expect(second.map((c) => c.name)).toEqual(['bob'])
      expect((await countOf(shop, () => page(1))).statements).toBe(0)
      expectProviderEqual(label, await page(0), first)
    })

    /** @see https://github.com/typeorm/typeorm/issues/5983 */
    it('findOne() with an eager relation and a cache id: right entity, relation loaded, remove([id]) drops every part', async () => {
      const byName = (name: string) =>
        shop.ds
          .getRepository(Customer)
          .findOne({ where: { name }, cache: { id: `customer:${name}`, milliseconds: 60_000 } })
      const ann = await byName('ann')
      const bob = await byName('bob')
      expect(ann?.name).toBe('ann')
      expect(ann?.country?.code).toBe('FR')
      expect(bob?.name).toBe('bob')
      expect(bob?.country).toBeNull()
      expect((await countOf(shop, () => byName('ann'))).statements).toBe(0)
      expectProviderEqual(label, await byName('bob'), bob)
      await shop.ds.queryResultCache?.remove(['customer:ann'])
      const again = await countOf(shop, () => byName('ann'))
      expect(again.statements).toBeGreaterThan(0)
      expectProviderEqual(label, again.value, ann)
      expect((await countOf(shop, () => byName('bob'))).statements).toBe(0)
    })

    it('clear() drops what this provider cached and nothing else in the cache', async () => {
      await shop.cache.set('unrelated', 42, { ttl: 60_000 })
      const read = () =>
        shop.ds.getRepository(Customer).createQueryBuilder('c').where('c.id = 1').cache(60_000).getOne()
      await read()
      expect((await countOf(shop, read)).statements).toBe(0)
      await shop.ds.queryResultCache?.clear()
      expect((await countOf(shop, read)).statements).toBe(1)
      expect(await shop.cache.get('unrelated')).toBe(42)
    })

    it('reads inside a transaction bypass the provider (nothing read, nothing stored)', async () => {
      const read = (m: typeorm1.EntityManager) =>
        m.getRepository(Customer).createQueryBuilder('c').where('c.id = 2').cache(60_000).getOne()
      const before = shop.provider.stats()
      await shop.ds.transaction(async (m) => {
        expect((await countOf(shop, () => read(m))).statements).toBe(1)
      })
      expect(shop.provider.stats().bypasses).toBe(before.bypasses + 1)
      expect(shop.provider.stats().stored).toBe(before.stored)
    })

    it('entries expire by time (duration in ms), like the built-in providers', async () => {
      const read = () => shop.ds.getRepository(Customer).createQueryBuilder('c').where('c.id = 1').cache(40).getCount()
      await read()
      expect((await countOf(shop, read)).statements).toBe(0)
      await new Promise((resolve) => setTimeout(resolve, 80))
      expect((await countOf(shop, read)).statements).toBe(1)
    })
  })

  describe.skipIf(!up)(`queryResultCache and writes — ${label}`, () => {
    it('invalidateOnWrite (default): a write seen by instrument() drops the entries that read its table', async () => {
      const shop = await openProviderShop(typeorm, create, { invalidate: true })
      try {
        const read = () =>
          shop.ds.getRepository(Customer).createQueryBuilder('c').orderBy('c.id').cache(60_000).getMany()
        const before = await read()
        expect((await countOf(shop, read)).statements).toBe(0)
        await shop.ds.getRepository(Customer).update({ name: 'bob' }, { name: 'bobby' })
        const after = await countOf(shop, read)
        expect(after.statements).toBe(1)
        expect(after.value.map((c) => c.name)).toEqual(['ann', 'bobby'])
        expect(before.map((c) => c.name)).toEqual(['ann', 'bob'])
      } finally {
        await shop.close()
      }
    })

    it('invalidateOnWrite: false behaves like the built-in providers: writes do not drop entries, remove() and time do', async () => {
      const shop = await openProviderShop(typeorm, create, { invalidate: true, invalidateOnWrite: false })
      try {
        const read = () =>
          shop.ds
            .getRepository(Customer)
            .createQueryBuilder('c')
            .orderBy('c.id')
            .cache('all-customers', 60_000)
            .getMany()
        const before = await read()
        await shop.ds.getRepository(Customer).update({ name: 'bob' }, { name: 'bobby' })
        const stale = await countOf(shop, read)
        expect(stale.statements).toBe(0)
        expectProviderEqual(label, stale.value, before)
        await shop.ds.queryResultCache?.remove(['all-customers'])
        expect((await read()).map((c) => c.name)).toEqual(['ann', 'bobby'])
      } finally {
        await shop.close()
      }
    })

    it('fails open: a cache tier that throws on every call never fails a read; failures are counted', async () => {
      const chaos = chaosStore(new MemoryStore())
      for (const op of ['get', 'getMany', 'set', 'delete', 'clear'] as const) chaos.fail(op)
      const cache = createCache({ tiers: [chaos.store] })
      const errors: unknown[] = []
      const shop = await openProviderShop(typeorm, create, { cache, onError: (e) => errors.push(e) })
      try {
        const read = () =>
          shop.ds.getRepository(Customer).createQueryBuilder('c').orderBy('c.id').cache(60_000).getMany()
        const a = await countOf(shop, read)
        const b = await countOf(shop, read)
        expect([a.statements, b.statements]).toEqual([1, 1])
        expectProviderEqual(label, b.value, a.value)
        await expect(shop.ds.queryResultCache?.clear()).resolves.toBeUndefined()
        await cache.close()
        // A closed cache rejects every call: still no failed read.
        await expect(read()).resolves.toHaveLength(2)
        expect(shop.provider.stats().errors).toBeGreaterThan(0)
        expect(errors.length).toBe(shop.provider.stats().errors)
      } finally {
        await shop.close()
      }
    })
  })
}
