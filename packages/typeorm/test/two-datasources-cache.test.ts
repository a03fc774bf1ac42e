import { randomUUID } from 'node:crypto'
import { type Cache, createCache, createMonitor, MemoryStore, type QueryEvent } from '@perf/core'
import { requireService } from '@perf/core/testing'
import { createRedisClient, redisBus, redisStore } from '@perf/redis'
import type * as typeorm1 from 'typeorm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { instrument, queryResultCache } from '../src/index.js'
import { type InstDatabase, MATRIX } from './fixtures/inst-harness.js'
import { Customer, seedShop, shopEntities } from './fixtures/shop-entities.js'

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
  { scope: '[perf:typeorm tests]', skipping: 'two-DataSource caching tests', attempts: 1 },
)

/** One application process: its own DataSource, L1 and monitor; the shared Redis tier and bus. */
async function app(
  typeorm: typeof typeorm1,
  db: InstDatabase,
  dialect: 'postgres' | 'mysql',
  scope: string,
  closers: (() => Promise<unknown>)[],
) {
  const redis = createRedisClient(REDIS_URL)
  const bus = redisBus(redis, { channel: `perf:bus:${scope}` })
  const cache: Cache = createCache({
    namespace: 'typeorm-cache-test',
    tiers: [new MemoryStore(), redisStore(redis, { prefix: `perf:${scope}:` })],
    bus,
  })
  await cache.ready()
  const events: QueryEvent[] = []
  const monitor = createMonitor({ eventLoopDelay: false })
  const record = monitor.record.bind(monitor)
  monitor.record = (e: QueryEvent) => {
    events.push(e)
    record(e)
  }
  const ds = new typeorm.DataSource({
    ...db.options,
    entities: shopEntities(typeorm, dialect).all,
    synchronize: false,
    cache: { provider: () => queryResultCache(cache) },
  } as unknown as typeorm1.DataSourceOptions)
  await ds.initialize()
  const perf = instrument(ds, { cache, monitor, entities: { Customer: { ttl: '1m' } } })
  closers.push(async () => {
    perf.uninstrument()
    await ds.destroy()
    await cache.clear()
    await cache.close()
    await bus.close()
    monitor.close()
    redis.disconnect()
  })
  return { ds, cache, statements: () => events.filter((e) => e.sql !== undefined && e.cache !== 'hit').length }
}

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up || !redisUp)(`two DataSources caching through one Redis — ${label}`, () => {
    let db: InstDatabase
    let a: Awaited<ReturnType<typeof app>>
    let b: Awaited<ReturnType<typeof app>>
    const closers: (() => Promise<unknown>)[] = []

    beforeAll(async () => {
      db = await create()
      const dialect = (db.options as { type: string }).type === 'postgres' ? 'postgres' : 'mysql'
      const setup = new typeorm.DataSource({
        ...db.options,
        entities: shopEntities(typeorm, dialect).all,
        synchronize: true,
      } as unknown as typeorm1.DataSourceOptions)
      await setup.initialize()
      await seedShop(setup)
      await setup.destroy()
      const scope = randomUUID()
      a = await app(typeorm, db, dialect, scope, closers)
      b = await app(typeorm, db, dialect, scope, closers)
    })
    afterAll(async () => {
      for (const close of closers) await close().catch(() => undefined)
      await db?.drop()
    })

    it("cached finds: one instance's Redis entry serves the other; a write through either drops both copies", async () => {
      const read = (x: typeof a) => x.ds.getRepository(Customer).findOneBy({ name: 'bob' })
      const first = await read(a)
      let n = b.statements()
      expect(await read(b)).toStrictEqual(first) // from the shared tier
      expect(b.statements()).toBe(n)
      await b.ds.getRepository(Customer).update({ name: 'bob' }, { tier: 'gold' })
      await vi.waitFor(async () => expect((await read(a))?.tier).toBe('gold'))
      n = b.statements()
      expect((await read(b))?.tier).toBe('gold')
      await a.ds.getRepository(Customer).update({ name: 'bob' }, { tier: 'silver' })
      await vi.waitFor(async () => expect((await read(b))?.tier).toBe('silver'))
    })

    it("provider entries: a write through one DataSource drops the other's QueryBuilder.cache() results", async () => {
      const read = (x: typeof a) =>
        x.ds.getRepository(Customer).createQueryBuilder('c').orderBy('c.id').cache(60_000).getMany()
      const before = await read(a)
      await read(b)
      await b.ds.query(`UPDATE customers SET name = 'ann-2' WHERE name = 'ann'`)
      await vi.waitFor(async () => expect((await read(a)).map((c) => c.name)).toEqual(['ann-2', 'bob']))
      expect(before.map((c) => c.name)).toEqual(['ann', 'bob'])
    })

    it("remove([id]) through one DataSource's provider drops the other's entry of that id", async () => {
      const read = (x: typeof a) =>
        x.ds
          .getRepository(Customer)
          .find({ order: { id: 'ASC' }, cache: { id: 'all-customers', milliseconds: 60_000 } })
      await read(a)
      await read(b)
      await db.sql(`UPDATE customers SET name = 'ann-3' WHERE name = 'ann-2'`) // behind the cache's back
      expect((await read(a))[0]?.name).toBe('ann-2')
      await b.ds.queryResultCache?.remove(['all-customers'])
      await vi.waitFor(async () => expect((await read(a))[0]?.name).toBe('ann-3'))
    })
  })
}
