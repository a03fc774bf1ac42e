import type { Monitor, QueryEvent } from '@perf/core'
import type { PgPoolInstrumentation } from '@perf/pg'
import { WallClock } from './wall-clock.js'

/** What running one operation produced. */
export interface Executed<T> {
  value: T
  /** The statements it issued, joined by `;\n`, when the pool is instrumented. */
  sql?: string
}

function rowCount(value: unknown): number | undefined {
  if (Array.isArray(value)) return value.length
  if (value === null) return 0
  return typeof value === 'object' ? 1 : undefined
}

/**
 * Runs operations with their SQL collected from the instrumented pool, and records one
 * QueryEvent per operation with its model, operation, duration, cache status and SQL.
 */
export class QueryRecorder {
  readonly #wall = new WallClock()

  constructor(
    private readonly monitor: Monitor,
    private readonly pg: PgPoolInstrumentation | undefined,
  ) {}

  /** Runs `run` (which executes one Prisma operation) and collects the SQL it issued. */
  async execute<T>(run: () => PromiseLike<T>): Promise<Executed<T>> {
    if (!this.pg) return { value: await run() }
    const statements: string[] = []
    // `await` inside collect(): PrismaPromises are lazy and must start inside the context.
    const value = await this.pg.collect(
      (s) => void statements.push(s.sql),
      async () => await run(),
    )
    return { value, sql: statements.length === 0 ? undefined : statements.join(';\n') }
  }

  /** Records one operation that began when `performance.now()` returned `started`. */
  record(fields: {
    model?: string
    operation: string
    started: number
    value?: unknown
    /** Rows the operation wrote or returned, when `value` does not tell (a bulk write's count). */
    rows?: number
    error?: unknown
    cache?: QueryEvent['cache']
    sql?: string
  }): void {
    const event: QueryEvent = {
      source: 'prisma',
      model: fields.model,
      operation: fields.operation,
      durationMs: performance.now() - fields.started,
      startedAt: this.#wall.at(fields.started),
      rows: fields.error === undefined ? (fields.rows ?? rowCount(fields.value)) : undefined,
      error: fields.error,
      cache: fields.cache,
      sql: fields.sql,
    }
    this.monitor.record(event)
  }
}
