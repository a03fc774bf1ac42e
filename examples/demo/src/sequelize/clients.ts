import { AsyncResource } from 'node:async_hooks'
import type { Cache, Monitor } from '@perf/core'
import type { PgPoolInstrumentation } from '@perf/prisma'
import { instrument, sequelizePoolProbe } from '@perf/sequelize'
import pg from 'pg'
import { Sequelize } from 'sequelize'
import type { DemoDatabase } from '../database.js'
import type { ShopApp } from '../workload.js'
import { defineShopModels } from './models.js'
import { sequelizeShop } from './workload.js'

/**
 * Caching defaults of the wrapped run, by model (as `MODEL_DEFAULTS` is for Prisma): every read of
 * these models is cached by instrument() without a `cache` option at the call site.
 */
export const SEQUELIZE_MODEL_DEFAULTS = {
  Category: { ttl: '300s' },
  Product: { ttl: '60s', swr: '30s' },
  Review: { ttl: '30s', swr: '10s' },
  Customer: { ttl: '60s' },
}

type Callback = (error: unknown, result?: { rowCount?: number | null }) => void

/**
 * A `pg` module for Sequelize's `dialectModule` whose clients count every statement and, when
 * `monitor` is given, record it (the plain run has no instrument() to do so). Sequelize opens
 * `pg.Client`s itself, so there is no `pg.Pool` for instrumentPgPool to wrap.
 */
function countingPg(counter: { statements: number; errors: number; totalMs: number }, monitor?: Monitor): typeof pg {
  class Client extends pg.Client {
    override query(...args: unknown[]): never {
      const at = args.findIndex((a) => typeof a === 'function')
      if (at > 0) {
        const sql = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text ?? '')
        const started = performance.now()
        const done = args[at] as Callback
        // Bound to the caller's context, so the event lands in the request's monitor.scope().
        args[at] = AsyncResource.bind((error: unknown, result?: { rowCount?: number | null }) => {
          const durationMs = performance.now() - started
          counter.statements++
          counter.totalMs += durationMs
          if (error !== undefined && error !== null) counter.errors++
          monitor?.record({
            source: 'pg',
            sql,
            durationMs,
            ...(typeof result?.rowCount === 'number' ? { rows: result.rowCount } : {}),
            ...(error ? { error } : {}),
          })
          done(error, result)
        })
      }
      return (super.query as (...a: unknown[]) => never)(...args)
    }
  }
  return { ...pg, Client } as unknown as typeof pg
}

/** One side of the comparison: the shop on a Sequelize instance, and what the phase reads from it. */
export interface SequelizeSide {
  app: ShopApp
  instrumentation: PgPoolInstrumentation
  /** Reads answered from the cache so far (wrapped side; 0 for the plain one). */
  cacheHits(): number
  close(): Promise<void>
}

/**
 * Opens a Sequelize instance on the demo database. Plain: Sequelize as is, its driver's
 * statements recorded on `monitor`. Wrapped (`cache` given): `instrument(sequelize, { cache,
 * monitor, models })`, which records the statements and cache hits itself.
 */
export async function sequelizeSide(
  database: DemoDatabase,
  poolMax: number,
  monitor: Monitor,
  cache?: Cache,
): Promise<SequelizeSide> {
  const counter = { statements: 0, errors: 0, totalMs: 0 }
  const config = database.poolConfig(poolMax)
  const sequelize = new Sequelize(database.url, {
    dialect: 'postgres',
    dialectModule: countingPg(counter, cache ? undefined : monitor),
    dialectOptions: typeof config.options === 'string' ? { options: config.options } : {},
    pool: { max: config.max ?? poolMax, min: 0 },
    logging: false,
  })
  const models = defineShopModels(sequelize)
  await sequelize.authenticate()
  const probe = sequelizePoolProbe(sequelize)
  // instrument() registers the wrapped side's pool with the monitor itself.
  const removeProbe = cache ? undefined : monitor.addPoolProbe(probe)
  const perf = cache ? instrument(sequelize, { cache, monitor, models: SEQUELIZE_MODEL_DEFAULTS }) : undefined
  const instrumentation: PgPoolInstrumentation = {
    probe,
    stats: () => ({ ...counter }),
    collect: (_sink, fn) => fn(),
    close: () => undefined,
  }
  return {
    app: sequelizeShop(sequelize, models),
    instrumentation,
    cacheHits: () => perf?.stats().hits ?? 0,
    async close() {
      perf?.uninstrument()
      removeProbe?.()
      await sequelize.close()
    },
  }
}
