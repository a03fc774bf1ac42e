import type { Monitor, QueryEvent, SqlDialect } from '@perf/core'
import { sqlTables } from '@perf/core'
import type { Logger, QueryRunner } from 'typeorm'
import { currentCacheStatus } from './context.js'

import { type EntityMetadataLike, TableGraph } from './invalidation.js'
import { dialectOf } from './options.js'
import { INSTRUMENTED_RUNNER } from './query-runner.js'

/** Options of {@link PerfLogger}. */
export interface PerfLoggerOptions {
  /** A logger to pass every call on to (TypeORM's `AdvancedConsoleLogger`, your own). @default undefined */
  logger?: Logger
  /** How statements are read for their tables. @default from the runner's DataSource type, else 'postgres' */
  dialect?: SqlDialect
}

type Parameters = unknown[] | Record<string, unknown>

/** The part of a DataSource the logger reads, through the runner (`dataSource` in 1.x, `connection` in 0.3). */
interface DataSourceLike {
  isInitialized: boolean
  options: { type: string }
  entityMetadatas: readonly EntityMetadataLike[]
}

interface Described {
  dialect: SqlDialect
  graph: TableGraph | undefined
}

/**
 * A TypeORM `Logger` that feeds a monitor, for apps that configure `logger:` and do not call
 * {@link instrument}. It sees only what the Logger API gives: `logQuery` before each statement
 * (recorded with `durationMs: 0`: counts, fingerprints, tables and N+1 detection work),
 * `logQueryError` after a failure (one more event, with the error) and `logQuerySlow` after a
 * statement slower than the DataSource's `maxQueryExecutionTime` (one more event, with its
 * duration). So durations come only from slow statements, and failed or slow statements count
 * twice in `calls`: instrument() measures every statement and is the accurate path. Statements
 * of runners instrument() wraps are skipped here, so using both does not count them twice.
 *
 * @example
 * new DataSource({ ...options, logger: new PerfLogger(monitor, { logger: new AdvancedConsoleLogger('all') }) })
 */
export class PerfLogger implements Logger {
  readonly #monitor: Monitor
  readonly #next: Logger | undefined
  readonly #dialect: SqlDialect | undefined
  readonly #described = new WeakMap<object, Described>()

  constructor(monitor: Monitor, options: PerfLoggerOptions = {}) {
    this.#monitor = monitor
    this.#next = options.logger
    this.#dialect = options.dialect
  }

  logQuery(query: string, parameters?: Parameters, queryRunner?: QueryRunner): void {
    this.#record(query, 0, undefined, queryRunner)
    this.#next?.logQuery(query, parameters as unknown[], queryRunner)
  }

  logQueryError(error: string | Error, query: string, parameters?: Parameters, queryRunner?: QueryRunner): void {
    this.#record(query, 0, typeof error === 'string' ? new Error(error) : error, queryRunner)
    this.#next?.logQueryError(error, query, parameters as unknown[], queryRunner)
  }

  logQuerySlow(time: number, query: string, parameters?: Parameters, queryRunner?: QueryRunner): void {
    this.#record(query, time, undefined, queryRunner)
    this.#next?.logQuerySlow(time, query, parameters as unknown[], queryRunner)
  }

  logSchemaBuild(message: string, queryRunner?: QueryRunner): void {
    this.#next?.logSchemaBuild(message, queryRunner)
  }

  logMigration(message: string, queryRunner?: QueryRunner): void {
    this.#next?.logMigration(message, queryRunner)
  }

  log(level: 'log' | 'info' | 'warn', message: unknown, queryRunner?: QueryRunner): void {
    this.#next?.log(level, message, queryRunner)
  }

  #record(sql: string, durationMs: number, error: Error | undefined, runner: QueryRunner | undefined): void {
    if (typeof sql !== 'string') return
    if ((runner as { [INSTRUMENTED_RUNNER]?: true } | undefined)?.[INSTRUMENTED_RUNNER] === true) return
    const { dialect, graph } = this.#describe(runner)
    const touches = sqlTables(sql, { dialect })
    const main = touches.writes[0]?.table.name ?? touches.reads[0]?.name
    const event: QueryEvent = {
      source: 'typeorm',
      sql,
      durationMs: Number.isFinite(durationMs) && durationMs >= 0 ? durationMs : 0,
      error,
      cache: currentCacheStatus(),
      tables: [...new Set([...touches.writes.map((w) => w.table.name), ...touches.reads.map((t) => t.name)])],
      model: main === undefined ? undefined : graph?.modelOf(main),
      inTransaction: runner?.isTransactionActive === true,
    }
    this.#monitor.record(event)
  }

  /** The dialect and tables of the runner's DataSource, read once it is initialized. */
  #describe(runner: QueryRunner | undefined): Described {
    const r = runner as { dataSource?: DataSourceLike; connection?: DataSourceLike } | undefined
    const ds = r?.dataSource ?? r?.connection
    if (ds === undefined) return { dialect: this.#dialect ?? 'postgres', graph: undefined }
    let described = this.#described.get(ds)
    if (described !== undefined) return described
    described = {
      dialect: this.#dialect ?? dialectOf(ds.options.type) ?? 'postgres',
      graph: ds.isInitialized ? new TableGraph(ds.entityMetadatas) : undefined,
    }
    // Metadata exists only once initialize() finished: statements of the schema sync see no entities.
    if (ds.isInitialized) this.#described.set(ds, described)
    return described
  }
}
