import type { Monitor } from '@perf/core'
import type { OperationCounters } from './counters.js'
import type { PgPoolInstrumentation } from '@perf/pg'
import { QueryRecorder } from './query-recorder.js'

/**
 * What a client reports: the counters behind `$perf.stats()`, one monitor event per operation
 * (with the SQL collected from the instrumented pool), and fail-open errors.
 */
export class Reporter {
  readonly counters: OperationCounters = {
    reads: 0,
    cacheHits: 0,
    cacheMisses: 0,
    bypassed: 0,
    writes: 0,
    raw: 0,
    invalidations: 0,
    deferredInvalidations: 0,
    droppedTransactions: 0,
    failOpen: 0,
  }
  readonly recorder: QueryRecorder
  private warnedFailOpen = false

  constructor(
    monitor: Monitor,
    pg: PgPoolInstrumentation | undefined,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {
    this.recorder = new QueryRecorder(monitor, pg)
  }

  /** Counts a read that caching failed open on, and reports the error (`onError`, else one process warning). */
  failedOpen(error: unknown): void {
    this.counters.failOpen++
    if (this.onError) {
      try {
        this.onError(error)
      } catch {
        // onError must not throw; a broken handler must not break reads.
      }
    } else if (!this.warnedFailOpen) {
      this.warnedFailOpen = true
      process.emitWarning(
        `[perf:prisma] caching failed open, results are served uncached: ${(error as Error).message}`,
        { code: 'PERF_PRISMA_FAIL_OPEN' },
      )
    }
  }

  /** Runs an operation uncached and records it. */
  async passThrough(
    model: string | undefined,
    operation: string,
    run: () => PromiseLike<unknown>,
    cache?: 'bypass',
    countRows?: (value: unknown) => number,
  ): Promise<unknown> {
    const started = performance.now()
    let executed: { value: unknown; sql?: string }
    try {
      executed = await this.recorder.execute(run)
    } catch (error) {
      this.recorder.record({ model, operation, started, error, cache })
      throw error
    }
    this.recorder.record({
      model,
      operation,
      started,
      value: executed.value,
      rows: countRows?.(executed.value),
      cache,
      sql: executed.sql,
    })
    return executed.value
  }
}
