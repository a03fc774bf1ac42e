/** Counters behind `db.$perf.stats().operations`. */
export interface OperationCounters {
  /** Model reads seen. */
  reads: number
  /** Reads served from a tier (fresh, stale or grace). */
  cacheHits: number
  /** Reads loaded from the database and cached. */
  cacheMisses: number
  /** Reads with a strategy that ran uncached inside a transaction. */
  bypassed: number
  /** Model writes seen. */
  writes: number
  /** Raw statements seen. */
  raw: number
  /** Tag invalidations sent to the cache (each may carry several tags). */
  invalidations: number
  /** Invalidations held back until a transaction committed. */
  deferredInvalidations: number
  /** Transactions rolled back with buffered invalidations that were dropped. */
  droppedTransactions: number
  /** Times caching failed open (the database result was returned uncached). */
  failOpen: number
}
