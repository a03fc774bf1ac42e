import type { PoolProbe, PoolStats } from '@perf/core'

/**
 * The parts of a `pg.Pool` (pg-pool 3) that are read or wrapped; structural, so a pool from
 * another copy of `pg` (the one an ORM bundles) fits too.
 */
export interface PgPoolLike {
  readonly totalCount: number
  readonly idleCount: number
  readonly waitingCount: number
  readonly options: { max?: number; min?: number }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query: (...args: any[]) => any
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  connect: (...args: any[]) => any
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  removeListener(event: string, listener: (...args: any[]) => void): unknown
}

/** pg-pool's defaults when `max` / `min` are not configured. */
const PG_DEFAULT_MAX = 10
const PG_DEFAULT_MIN = 0

/**
 * A {@link PoolProbe} for a `pg.Pool`, for `monitor.addPoolProbe()` and `new PoolMonitor()`.
 * Reads pg-pool's live counters; costs nothing between reads.
 *
 * @param pool a pg-pool 3 `Pool` (the one you passed to `new PrismaPg(pool)`, TypeORM's `driver.master`, …)
 * @param options `name` used in metrics @default 'pg'
 * @example
 * monitor.addPoolProbe(pgPoolProbe(pool))
 */
export function pgPoolProbe(pool: PgPoolLike, options: { name?: string } = {}): PoolProbe {
  const name = options.name ?? 'pg'
  return {
    name,
    stats(): PoolStats {
      const total = pool.totalCount
      const idle = pool.idleCount
      return {
        total,
        idle,
        active: Math.max(0, total - idle),
        waiting: pool.waitingCount,
        max: pool.options.max ?? PG_DEFAULT_MAX,
        min: pool.options.min ?? PG_DEFAULT_MIN,
      }
    },
  }
}
