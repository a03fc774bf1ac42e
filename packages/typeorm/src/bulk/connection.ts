import { PerfError } from '@perf/core'
import type { PgQueryable } from '@perf/pg'
import type { EntityManager, QueryRunner } from 'typeorm'
import type { QueryRunnerLike } from '../query-runner.js'

/** Options of a bulk write that joins a TypeORM transaction. */
export interface BulkTransactionOptions {
  /**
   * The EntityManager of a transaction (`dataSource.transaction(async (manager) => …)`): the write
   * runs on its connection, inside it, and invalidation waits for its COMMIT. A manager without a
   * QueryRunner (`dataSource.manager`) changes nothing.
   * @default undefined: a connection of the DataSource's pool, committed at once
   */
  manager?: EntityManager
  /**
   * A QueryRunner you manage (`createQueryRunner()`, `startTransaction()`): as `manager`. Connected
   * first if it is not yet.
   * @default undefined
   */
  queryRunner?: QueryRunner
}

/** Where one bulk write runs. */
export interface BulkConnection {
  /** The DataSource's pg.Pool, or the pg client of the transaction's QueryRunner. */
  db: PgQueryable
  /** The QueryRunner whose connection it is, if any. */
  runner: QueryRunnerLike | undefined
  /** The runner had a transaction open when the write started. */
  inTransaction: boolean
}

interface RunnerLike extends QueryRunnerLike {
  isReleased?: boolean
  databaseConnection?: unknown
  connection?: unknown
  dataSource?: unknown
  connect(): Promise<unknown>
}

function sameDataSource(owner: { dataSource?: unknown; connection?: unknown }, dataSource: unknown): boolean {
  return (owner.dataSource ?? owner.connection) === dataSource
}

/**
 * The connection a bulk write runs on: the transaction's client when `manager` or `queryRunner`
 * has one, else the pool of the DataSource's postgres driver.
 * @throws PerfError INVALID_OPTION for a manager and a runner that disagree or belong to another
 * DataSource, or a released runner; INVALID_ARGUMENT for a DataSource that was destroyed
 */
export async function resolveConnection(
  dataSource: object,
  options: BulkTransactionOptions | undefined,
  operation: string,
): Promise<BulkConnection> {
  const manager = options?.manager as (EntityManager & { dataSource?: unknown }) | undefined
  let runner = options?.queryRunner as unknown as RunnerLike | undefined
  if (manager !== undefined) {
    if (typeof manager !== 'object' || manager === null || !sameDataSource(manager, dataSource))
      throw invalidOption(operation, 'manager', 'an EntityManager of this DataSource')
    const own = (manager.queryRunner ?? undefined) as unknown as RunnerLike | undefined
    if (runner !== undefined && own !== undefined && own !== runner)
      throw invalidOption(operation, 'queryRunner', "the manager's own QueryRunner (or left out)")
    runner ??= own
  }
  if (runner !== undefined) {
    if (
      typeof runner !== 'object' ||
      runner === null ||
      typeof runner.connect !== 'function' ||
      !sameDataSource(runner, dataSource)
    )
      throw invalidOption(operation, 'queryRunner', 'a QueryRunner of this DataSource')
    if (runner.isReleased === true) throw invalidOption(operation, 'queryRunner', 'a QueryRunner that is not released')
    const client = (runner.databaseConnection ?? (await runner.connect())) as PgQueryable
    return { db: client, runner, inTransaction: runner.isTransactionActive === true }
  }
  const pool = (dataSource as { driver: { master?: unknown } }).driver.master as PgQueryable | undefined
  if (pool === undefined) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:typeorm] ${operation}(): the DataSource has no pool (destroyed?)`, {
      context: { operation },
    })
  }
  return { db: pool, runner: undefined, inTransaction: false }
}

function invalidOption(operation: string, option: string, rule: string): PerfError {
  return new PerfError('INVALID_OPTION', `[perf:typeorm] ${operation}(): option "${option}" must be ${rule}`, {
    context: { operation, option },
  })
}
