import type { Monitor, QueryEvent, SqlDialect, SqlTouches } from '@perf/core'
import { ALL_TABLES_TAG, sqlTables } from '@perf/core'
import { currentCacheStatus } from './context.js'

import type { Invalidator, TableGraph, WriteTags } from './invalidation.js'
import { RunnerTransaction, transactionControl } from './query-runner-transaction.js'

/** Marks a QueryRunner whose `query()` instrument() wrapped (PerfLogger skips those: no double events). */
export const INSTRUMENTED_RUNNER = Symbol.for('@perf/typeorm.instrumented-runner')
/**
 * The transaction buffer of a wrapped runner: writes that bypass `query()` (bulk writes on its
 * connection) add their tags to it, so they are invalidated at the runner's COMMIT like the rest.
 */
export const RUNNER_TRANSACTION = Symbol.for('@perf/typeorm.runner-transaction')

type QueryFn = (sql: string, ...rest: unknown[]) => Promise<unknown>

/** The part of a TypeORM QueryRunner the wrapper touches. */
export interface QueryRunnerLike {
  query: QueryFn
  release: () => Promise<void>
  isTransactionActive?: boolean
  [INSTRUMENTED_RUNNER]?: true
  [RUNNER_TRANSACTION]?: RunnerTransaction
}

/** What one statement text means to the wrapper; computed once per distinct text. */
interface Analysis {
  touches: SqlTouches
  write: WriteTags
  tables: string[]
  model: string | undefined
}

/** Where instrument() keeps its {@link RunnerInstrumentation} on the DataSource it instrumented. */
export const INSTRUMENTED_DATASOURCE = Symbol.for('@perf/typeorm.instrumented')

/**
 * The instrumentation instrument() installed on `dataSource` (its table graph, monitor and
 * invalidator) while it is active: what writes that bypass the QueryRunners (bulk writes) report to.
 */
export function instrumentationOf(dataSource: object): RunnerInstrumentation | undefined {
  const found = (dataSource as { [INSTRUMENTED_DATASOURCE]?: RunnerInstrumentation })[INSTRUMENTED_DATASOURCE]
  // Checked by shape, not instanceof: the ESM and CJS builds may both be loaded (the key is Symbol.for).
  return typeof found === 'object' && found !== null && found.active && typeof found.graph?.rowWriteTags === 'function'
    ? found
    : undefined
}

/** Distinct statement texts whose analysis is kept; TypeORM's parameterised SQL repeats a lot. */
const MAX_ANALYSES = 2_000

/** The state every wrapped runner of one instrumented DataSource shares. */
export class RunnerInstrumentation {
  /** False after uninstrument(): runners wrapped before then pass statements straight through. */
  active = true
  readonly #analyses = new Map<string, Analysis>()

  constructor(
    readonly dialect: SqlDialect,
    readonly graph: TableGraph,
    readonly monitor: Monitor | undefined,
    readonly invalidator: Invalidator | undefined,
  ) {}

  analyse(sql: string): Analysis {
    let analysis = this.#analyses.get(sql)
    if (analysis !== undefined) return analysis
    const touches = sqlTables(sql, { dialect: this.dialect })
    const tables = [...new Set([...touches.writes.map((w) => w.table.name), ...touches.reads.map((t) => t.name)])]
    const main = touches.writes[0]?.table.name ?? touches.reads[0]?.name
    analysis = {
      touches,
      write: this.graph.writeTags(touches, sql),
      tables,
      model: main === undefined ? undefined : this.graph.modelOf(main),
    }
    if (this.#analyses.size >= MAX_ANALYSES) this.#analyses.clear()
    this.#analyses.set(sql, analysis)
    return analysis
  }

  /** Wraps `runner.query` and `runner.release` on the instance; a runner is wrapped once. */
  wrap<R extends QueryRunnerLike>(runner: R): R {
    if (runner[INSTRUMENTED_RUNNER] === true) return runner
    const inst = this
    const query = runner.query
    const release = runner.release
    const tx = new RunnerTransaction(this.dialect)
    runner[INSTRUMENTED_RUNNER] = true
    runner[RUNNER_TRANSACTION] = tx
    runner.query = function (this: R, sql: string, ...rest: unknown[]): Promise<unknown> {
      if (!inst.active || typeof sql !== 'string') return query.call(this, sql, ...rest)
      return inst.#run(this, tx, query, sql, rest)
    }
    runner.release = function (this: R): Promise<void> {
      // Released mid-transaction: nothing was committed through this runner. (TypeORM's release()
      // does not roll back; a connection returned to the pool inside a transaction is a bug of the caller.)
      tx.reset()
      return release.call(this)
    }
    return runner
  }

  async #run(
    runner: QueryRunnerLike,
    tx: RunnerTransaction,
    query: QueryFn,
    sql: string,
    rest: unknown[],
  ): Promise<unknown> {
    const inTransaction = runner.isTransactionActive === true || tx.active
    const cache = currentCacheStatus()
    const started = performance.now()
    let result: unknown
    let error: unknown
    let failed = false
    try {
      result = await query.call(runner, sql, ...rest)
    } catch (err) {
      error = err
      failed = true
    }
    const durationMs = performance.now() - started
    const analysis = this.analyse(sql)
    if (this.monitor !== undefined) {
      const event: QueryEvent = {
        source: 'typeorm',
        sql,
        durationMs,
        rows: failed ? undefined : rowsOf(result, analysis.touches.kind !== 'read'),
        error: failed ? (error ?? new Error('query failed')) : undefined,
        cache,
        tables: analysis.tables,
        model: analysis.model,
        inTransaction,
      }
      this.monitor.record(event)
    }
    if (this.invalidator !== undefined) await this.#invalidate(tx, sql, analysis, failed)
    if (failed) throw error
    return result
  }

  async #invalidate(tx: RunnerTransaction, sql: string, analysis: Analysis, failed: boolean): Promise<void> {
    const invalidator = this.invalidator as Invalidator
    const control = transactionControl(sql)
    if (control !== undefined) {
      const committed = tx.apply(control, !failed)
      if (committed === undefined) return
      const tags = committed.everything ? [...committed.tags, ALL_TABLES_TAG] : committed.tags
      return invalidator.invalidate(tags, sql)
    }
    // A failed write still invalidates: a statement can fail after changing rows (non-transactional engines).
    const { tags, everything } = analysis.write
    if (tags.length === 0) return
    if (this.dialect === 'mysql' && tx.active && analysis.touches.writes.some((w) => w.kind !== 'rows')) {
      // MySQL commits the open transaction before DDL and TRUNCATE, and the statement is not undone by a ROLLBACK.
      const committed = tx.implicitCommit()
      const pending = committed === undefined ? [] : committed.everything ? [ALL_TABLES_TAG] : committed.tags
      return invalidator.invalidate([...new Set([...pending, ...tags])], sql)
    }
    if (!tx.add(tags, everything)) return invalidator.invalidate(tags, sql)
  }
}

/** Rows returned or affected, from what the driver's query runner returned. */
function rowsOf(result: unknown, isWrite: boolean): number | undefined {
  if (Array.isArray(result)) {
    // PostgreSQL UPDATE/DELETE: [rows, rowCount].
    if (isWrite && result.length === 2 && typeof result[1] === 'number') return result[1]
    return result.length
  }
  if (typeof result !== 'object' || result === null) return undefined
  const r = result as { affected?: unknown; records?: unknown; affectedRows?: unknown }
  if (typeof r.affected === 'number') return r.affected
  if (typeof r.affectedRows === 'number') return r.affectedRows
  if (Array.isArray(r.records)) return r.records.length
  return undefined
}
