import { PerfError, type PoolProbe, type PoolStats } from '@perf/core'
import type { DataSource } from 'typeorm'

/** The counters of a pg-pool 3 `Pool` (what TypeORM's PostgresDriver holds as `master`). */
interface PgPoolLike {
  totalCount: number
  idleCount: number
  waitingCount: number
  options?: { max?: number; min?: number }
}

/** Ring queues of a mysql2 3.x pool (what TypeORM's MysqlDriver holds as `pool`). */
interface Mysql2PoolLike {
  _allConnections: { length: number }
  _freeConnections: { length: number }
  _connectionQueue: { length: number }
  config?: { connectionLimit?: number }
}

interface DriverLike {
  master?: unknown
  pool?: unknown
  poolCluster?: unknown
}

/** pg-pool's and mysql2's defaults when the size is not configured. */
const DEFAULT_MAX = 10

function isPgPool(pool: unknown): pool is PgPoolLike {
  return typeof (pool as PgPoolLike | null)?.totalCount === 'number'
}

function isMysql2Pool(pool: unknown): pool is Mysql2PoolLike {
  return typeof (pool as Mysql2PoolLike | null)?._allConnections?.length === 'number'
}

/** The driver's pool right now (TypeORM replaces it when the DataSource is re-initialized). */
function poolOf(ds: { driver?: DriverLike; options: { type: string } }, where: string): PgPoolLike | Mysql2PoolLike {
  const driver = ds.driver ?? {}
  const pool = driver.master ?? driver.pool
  if (isPgPool(pool) || isMysql2Pool(pool)) return pool
  if (driver.poolCluster !== undefined)
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:typeorm] ${where}: MySQL replication (a PoolCluster) is not supported; probe the pools yourself`,
      { context: { type: ds.options.type } },
    )
  throw new PerfError(
    'INVALID_ARGUMENT',
    `[perf:typeorm] ${where}: no pg or mysql2 pool on this DataSource (type "${ds.options.type}"); call it after dataSource.initialize()`,
    { context: { type: ds.options.type } },
  )
}

/** Reads one pool's counters as core's PoolStats. */
export function readPool(pool: PgPoolLike | Mysql2PoolLike): PoolStats {
  if (isPgPool(pool)) {
    const total = pool.totalCount
    const idle = pool.idleCount
    return {
      total,
      idle,
      active: Math.max(0, total - idle),
      waiting: pool.waitingCount,
      max: pool.options?.max ?? DEFAULT_MAX,
      min: pool.options?.min ?? 0,
    }
  }
  const total = pool._allConnections.length
  const idle = pool._freeConnections.length
  const limit = pool.config?.connectionLimit ?? DEFAULT_MAX
  return {
    total,
    idle,
    active: Math.max(0, total - idle),
    waiting: pool._connectionQueue.length,
    // mysql2's connectionLimit 0 means "no limit": core reads max 0 as unknown.
    max: limit,
    min: 0,
  }
}

/**
 * A core `PoolProbe` for the connection pool a TypeORM DataSource holds: the pg `Pool`
 * (postgres) or the mysql2 pool (mysql, mariadb), on TypeORM 0.3 and 1.x. Each `stats()` reads
 * the driver's live counters (and follows a pool replaced by re-initialization); nothing runs
 * between reads. Add it to `monitor.addPoolProbe()` or a `PoolMonitor`, or let `watchPool()` do it.
 *
 * @param options `name` used in metrics @default 'typeorm'
 * @throws PerfError INVALID_ARGUMENT when the DataSource has no pg or mysql2 pool (not initialized,
 * another driver, MySQL replication)
 * @example
 * monitor.addPoolProbe(typeormPoolProbe(dataSource))
 */
export function typeormPoolProbe(dataSource: DataSource, options: { name?: string } = {}): PoolProbe {
  const ds = dataSource as unknown as { driver?: DriverLike; options: { type: string } }
  poolOf(ds, 'typeormPoolProbe()')
  const name = options.name ?? 'typeorm'
  if (typeof name !== 'string')
    throw new PerfError('INVALID_OPTION', '[perf:typeorm] typeormPoolProbe(): name must be a string', {
      context: { option: 'name' },
    })
  return { name, stats: () => readPool(poolOf(ds, 'typeormPoolProbe().stats()')) }
}
