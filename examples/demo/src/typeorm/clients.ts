import type { Cache, Monitor } from '@perf/core'
import { instrumentPgPool, type PgPoolInstrumentation } from '@perf/prisma'
import { instrument, queryResultCache } from '@perf/typeorm'
import type pg from 'pg'
import { DataSource } from 'typeorm'
import type { DemoDatabase } from '../database.js'
import type { ShopApp } from '../workload.js'
import { SHOP_ENTITIES } from './entities.js'
import { typeormShop } from './workload.js'

/**
 * Caching defaults of the wrapped run, by entity (as `MODEL_DEFAULTS` is for Prisma): finds of
 * these entities are served by instrument()'s cached finds. The application code is unchanged.
 */
export const ENTITY_DEFAULTS = {
  Category: { ttl: '300s' },
  Product: { ttl: '60s' },
  Review: { ttl: '30s' },
  Customer: { ttl: '60s' },
}

/** QueryBuilder reads (the rating aggregates) go through TypeORM's own cache option, on our provider. */
const PROVIDER_DURATION_MS = 30_000

/**
 * TypeORM checks connections out with `pool.connect(callback)`; instrumentPgPool records the
 * statements of clients checked out with promise-style `connect()` only. This shim, installed over
 * the instrumentation, turns the callback form into the promise form so every statement is counted.
 */
function checkoutsAsPromises(pool: pg.Pool): void {
  const connect = pool.connect as (this: pg.Pool) => Promise<pg.PoolClient>
  pool.connect = function (this: pg.Pool, callback?: unknown) {
    if (typeof callback !== 'function') return connect.call(this)
    const done = callback as (err: unknown, client?: pg.PoolClient, release?: (err?: unknown) => void) => void
    connect.call(this).then(
      (client) => done(undefined, client, (err) => client.release(err as Error | undefined)),
      (err: unknown) => done(err),
    )
  } as typeof pool.connect
}

/** One side of the comparison: the shop on a DataSource, and what the phase reads from it. */
export interface TypeormSide {
  app: ShopApp
  instrumentation: PgPoolInstrumentation
  /** Reads answered from the cache so far (wrapped side; 0 for the plain one). */
  cacheHits(): number
  close(): Promise<void>
}

/**
 * Opens a DataSource on the demo database. Plain: TypeORM as is, its pg pool instrumented so the
 * monitor sees every statement. Wrapped (`cache` given): `instrument(dataSource, { cache, monitor,
 * entities })` plus `cache: { provider: () => queryResultCache(cache), alwaysEnabled: true }`.
 */
export async function typeormSide(
  database: DemoDatabase,
  poolMax: number,
  monitor: Monitor,
  name: string,
  cache?: Cache,
): Promise<TypeormSide> {
  const dataSource = new DataSource({
    type: 'postgres',
    entities: SHOP_ENTITIES,
    // TypeORM passes `extra` to new pg.Pool(): the same settings as the Prisma run's pool.
    extra: database.poolConfig(poolMax),
    ...(cache
      ? {
          cache: {
            provider: () => queryResultCache(cache, { monitor }),
            alwaysEnabled: true,
            duration: PROVIDER_DURATION_MS,
          },
        }
      : {}),
  })
  await dataSource.initialize()
  const pool = (dataSource.driver as unknown as { master: pg.Pool }).master
  // The wrapped side's statements reach the monitor through instrument(); the pool only counts them.
  const instrumentation = instrumentPgPool(pool, { monitor: cache ? undefined : monitor, name })
  checkoutsAsPromises(pool)
  const removeProbe = cache ? monitor.addPoolProbe(instrumentation.probe) : undefined
  const perf = cache ? instrument(dataSource, { cache, monitor, entities: ENTITY_DEFAULTS }) : undefined
  return {
    app: typeormShop(dataSource),
    instrumentation,
    cacheHits() {
      const outcomes = monitor.totals().cache
      return cache ? outcomes.hit + outcomes.stale + outcomes.grace : 0
    },
    async close() {
      perf?.uninstrument()
      removeProbe?.()
      instrumentation.close()
      await dataSource.destroy()
    },
  }
}
