import { PerfError, type PoolProbe, type PoolStats } from '@perf/core'
import type { Sequelize } from 'sequelize'

interface PoolLike {
  size: number
  available: number
  using: number
  waiting: number
  maxSize: number
  minSize: number
}

function isPool(value: unknown): value is PoolLike {
  return typeof value === 'object' && value !== null && typeof (value as PoolLike).size === 'number'
}

/** Options of {@link sequelizePoolProbe}. */
export interface SequelizePoolProbeOptions {
  /** Name in metrics and health reports. @default 'sequelize' */
  name?: string
}

/**
 * A `PoolProbe` for a Sequelize 6 instance's connection pool (sequelize-pool), for
 * `PoolMonitor` and `monitor.health()`. With read replication the read and write pools are
 * added up. Reads the pool on each `stats()`, so it follows `sequelize.close()` and reconnects.
 *
 * @throws PerfError INVALID_ARGUMENT for something that is not a Sequelize 6 instance
 * @example
 * const poolMonitor = new PoolMonitor(sequelizePoolProbe(sequelize), { intervalMs: 1000 })
 */
export function sequelizePoolProbe(sequelize: Sequelize, options: SequelizePoolProbeOptions = {}): PoolProbe {
  const manager = (sequelize as unknown as { connectionManager?: { pool?: unknown } }).connectionManager
  if (typeof manager !== 'object' || manager === null)
    throw new PerfError(
      'INVALID_ARGUMENT',
      '[perf:sequelize] sequelizePoolProbe(sequelize): expected a Sequelize 6 instance',
    )
  const pools = (): PoolLike[] => {
    const pool = manager.pool as unknown
    if (isPool(pool)) return [pool]
    const { read, write } = (pool ?? {}) as { read?: unknown; write?: unknown }
    return [read, write].filter(isPool)
  }
  return {
    name: options.name ?? 'sequelize',
    stats(): PoolStats {
      const stats: PoolStats = { total: 0, idle: 0, active: 0, waiting: 0, max: 0, min: 0 }
      for (const p of pools()) {
        stats.total += p.size
        stats.idle += p.available
        stats.active += p.using
        stats.waiting += p.waiting
        stats.max += p.maxSize
        stats.min += p.minSize
      }
      return stats
    },
  }
}
