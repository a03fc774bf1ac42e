import { PerfError } from '@perf/core'
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm'
import { typeormAdvisor } from './advisor.js'
import { bulkWriter, type TypeormBulkWriter } from './bulk/bulk-writer.js'
import { installCachedFinds } from './cache/cached-finds.js'
import { type EntityMetadataLike, Invalidator, TableGraph } from './invalidation.js'
import { dialectOf, resolveOptions, type InstrumentOptions } from './options.js'
import { INSTRUMENTED_DATASOURCE, type QueryRunnerLike, RunnerInstrumentation } from './query-runner.js'

/** What {@link instrument} returns. */
export interface TypeormPerf {
  /** The instrumented DataSource. */
  readonly dataSource: DataSource
  /** Counters since instrument(). */
  stats(): TypeormPerfStats
  /**
   * Bulk writes of `entity` (PostgreSQL): `bulkWriter(dataSource, entity)`. They invalidate this
   * instrumentation's cache and are recorded on its monitor while it is active.
   * @throws PerfError CLIENT_INVALID on a driver other than postgres, UNKNOWN_MODEL for an unknown entity
   * @example
   * await perf.bulk(User).copyInsert(rows)
   */
  bulk<E extends ObjectLiteral>(entity: EntityTarget<E>): TypeormBulkWriter<E>
  /**
   * Restores the driver's `createQueryRunner`, undoes the cached finds, and makes runners wrapped
   * so far pass statements straight through. Idempotent.
   */
  uninstrument(): void
}

/** Counters of {@link TypeormPerf.stats}. */
export interface TypeormPerfStats {
  /** invalidateTags() calls made for writes. */
  invalidations: number
  /** Of those, how many failed (the writes themselves succeeded). */
  invalidationFailures: number
}

interface DriverLike {
  createQueryRunner(this: DriverLike, ...args: unknown[]): QueryRunnerLike
}

interface DataSourceLike {
  isInitialized: boolean
  options: { type: string }
  driver: DriverLike
  entityMetadatas: readonly EntityMetadataLike[]
  [INSTRUMENTED]?: RunnerInstrumentation
}

const INSTRUMENTED = INSTRUMENTED_DATASOURCE

/**
 * Instruments a TypeORM DataSource: every statement any of its QueryRunners runs (repository and
 * EntityManager writes, QueryBuilder, relation and cascade writes, raw `query()`) is recorded on
 * `monitor` and invalidates the table tags it writes in `cache` — at once outside a transaction,
 * after COMMIT inside one, never after ROLLBACK. With `cache`, finds are also served from it.
 *
 * Call it after `dataSource.initialize()`.
 *
 * Transactions are followed by the control statements each runner sends — TypeORM's own
 * (START TRANSACTION, SAVEPOINT typeorm_N, RELEASE, ROLLBACK TO) and the same statements sent by
 * hand through `queryRunner.query()`. A runner released mid-transaction drops its buffer; a
 * failed COMMIT still invalidates; MySQL's implicit commit before DDL and TRUNCATE applies the
 * buffer at once. Limits: `queryRunner.stream()` (reads only) is not recorded; runners created
 * before instrument() are not wrapped; writes done by triggers or database functions are seen
 * only when the parser reports the statement as `unknown` (then everything is invalidated).
 *
 * @throws PerfError INVALID_ARGUMENT for a DataSource that is not initialized, already
 * instrumented, or of a type other than postgres/mysql/mariadb (and their aurora/cockroach
 * variants); INVALID_OPTION, UNKNOWN_MODEL, INVALID_TTL for bad options
 * @example
 * const perf = instrument(dataSource, { cache, monitor })
 * await dataSource.getRepository(User).update(1, { name: 'ann' }) // drops entries tagged table:users
 * perf.uninstrument()
 */
export function instrument(dataSource: DataSource, options?: InstrumentOptions): TypeormPerf {
  const ds = dataSource as unknown as DataSourceLike
  if (typeof ds !== 'object' || ds === null || typeof ds.driver?.createQueryRunner !== 'function')
    throw new PerfError('INVALID_ARGUMENT', '[perf:typeorm] instrument(dataSource): expected a TypeORM DataSource')
  if (!ds.isInitialized)
    throw new PerfError('INVALID_ARGUMENT', '[perf:typeorm] instrument(): call it after dataSource.initialize()')
  const dialect = dialectOf(ds.options.type)
  if (dialect === undefined) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:typeorm] instrument(): DataSource type "${ds.options.type}" is not supported (postgres, mysql, mariadb)`,
      { context: { type: ds.options.type } },
    )
  }
  if (ds[INSTRUMENTED] !== undefined) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      '[perf:typeorm] instrument(): this DataSource is already instrumented; call uninstrument() on the first one first',
    )
  }
  const names = new Set(ds.entityMetadatas.filter((m) => !m.isJunction).map((m) => m.name))
  const o = resolveOptions(options, names)
  const invalidator = o.invalidate && o.cache !== undefined ? new Invalidator(o.cache, o.onError) : undefined
  const runners = new RunnerInstrumentation(dialect, new TableGraph(ds.entityMetadatas), o.monitor, invalidator)

  const driver = ds.driver
  const hadOwn = Object.prototype.hasOwnProperty.call(driver, 'createQueryRunner')
  const original = driver.createQueryRunner
  const wrapped = function (this: DriverLike, ...args: unknown[]): QueryRunnerLike {
    const runner = original.apply(this, args)
    return runners.active ? runners.wrap(runner) : runner
  }
  driver.createQueryRunner = wrapped
  ds[INSTRUMENTED] = runners
  const unadvise = o.monitor?.advise?.('typeorm', typeormAdvisor(dataSource))
  let undoFinds: (() => void) | undefined
  try {
    if (o.cache !== undefined)
      undoFinds = installCachedFinds(dataSource, {
        cache: o.cache,
        monitor: o.monitor,
        defaults: o.defaults,
        entities: o.entities,
      })
  } catch (err) {
    restore()
    throw err
  }

  function restore(): void {
    runners.active = false
    unadvise?.()
    // Someone wrapped it after us: leave their wrapper; ours now passes through.
    if (driver.createQueryRunner === wrapped) {
      if (hadOwn) driver.createQueryRunner = original
      else delete (driver as Partial<DriverLike>).createQueryRunner
    }
    delete ds[INSTRUMENTED]
  }

  return {
    dataSource,
    stats: () => ({
      invalidations: invalidator?.invalidations ?? 0,
      invalidationFailures: invalidator?.failures ?? 0,
    }),
    bulk: (entity) => bulkWriter(dataSource, entity),
    uninstrument() {
      if (!runners.active) return
      restore()
      undoFinds?.()
    },
  }
}
