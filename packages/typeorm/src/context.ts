import { AsyncLocalStorage } from 'node:async_hooks'
import type { CacheOutcome } from '@perf/core'

// One store per loaded copy of this module, on purpose: the caching code and instrument() must
// meet in the same store without being handed a reference to each other.
const cacheStatus = new AsyncLocalStorage<CacheOutcome>()

/**
 * Runs `fn` with `status` as the cache outcome of every statement it issues: the caching code
 * wraps a miss's loader in `withCacheStatus('miss', load)` so that the statements instrument()
 * records carry `cache: 'miss'`.
 *
 * @example
 * const rows = await withCacheStatus('miss', () => runFind())
 */
export function withCacheStatus<T>(status: CacheOutcome, fn: () => T): T {
  return cacheStatus.run(status, fn)
}

/** The cache outcome set by the innermost {@link withCacheStatus}, if any. */
export function currentCacheStatus(): CacheOutcome | undefined {
  return cacheStatus.getStore()
}

/** The part of a TypeORM QueryRunner {@link isInTransaction} reads. */
export interface TransactionFlag {
  readonly isTransactionActive?: boolean
}

/**
 * Whether `queryRunner` has a transaction open (`dataSource.transaction`, `startTransaction`):
 * reads through it must bypass the cache, since they may see uncommitted rows.
 */
export function isInTransaction(queryRunner: TransactionFlag | null | undefined): boolean {
  return queryRunner?.isTransactionActive === true
}
