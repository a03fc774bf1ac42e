/** One database operation, as adapters report it to a monitor. */
export interface QueryEvent {
  /** The adapter that saw it: `'prisma'`, `'typeorm'`, `'sequelize'`, `'pg'`. */
  source: string
  /** SQL text when the adapter can see it (never logged unredacted). */
  sql?: string
  /** A precomputed fingerprint; computed from `sql` when absent. */
  fingerprint?: string
  /** ORM model, when known. */
  model?: string
  /** ORM operation (`findUnique`, `update`, ...), when known. */
  operation?: string
  /** Wall time in milliseconds. */
  durationMs: number
  /** When it started (ms since the epoch). @default now - durationMs */
  startedAt?: number
  /** Rows returned or affected, when known. */
  rows?: number
  /** The error, if it failed. */
  error?: unknown
  /** Cache outcome when a cache was consulted. */
  cache?: 'hit' | 'stale' | 'miss' | 'grace' | 'bypass'
  /** Where in application code it was issued (file:line), when captured. */
  callSite?: string
}
