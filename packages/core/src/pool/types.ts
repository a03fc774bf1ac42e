/** A snapshot of a connection pool. */
export interface PoolStats {
  /** Connections open (idle + active). */
  total: number
  /** Open connections not checked out. */
  idle: number
  /** Connections checked out. */
  active: number
  /** Requests waiting for a connection. */
  waiting: number
  /** Configured maximum. */
  max: number
  /** Configured minimum. */
  min: number
}

/** Reads a pool's state. Adapters implement it for their driver's pool (e.g. `pg.Pool`). */
export interface PoolProbe {
  /** Name used in metrics (`'pg'`, `'prisma'`). */
  readonly name: string
  /** Current state of the pool. */
  stats(): PoolStats
}
