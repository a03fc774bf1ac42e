import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks'
import { PerfError, type LeakDetector, type Monitor, type PoolMonitor, type PoolProbe } from '@perf/core'
import { pgPoolProbe, type PgPoolLike } from './pg-pool-probe.js'

/** One SQL statement the pool ran. */
export interface PgStatement {
  sql: string
  /** Wall time from the call to its result, ms. */
  durationMs: number
  /** When it was issued, ms since the epoch. */
  startedAt: number
  /** Rows returned or affected, when pg reported them. */
  rows?: number
  error?: unknown
}

/** Receives the statements issued inside {@link PgPoolInstrumentation.collect}. */
export type StatementSink = (statement: PgStatement) => void

/** Options of {@link instrumentPgPool}. */
export interface InstrumentPgPoolOptions {
  /**
   * Records statements as `source: 'pg'` events (except those issued inside `collect()`, which go
   * to its sink: @perf/prisma reports them with the Prisma operation that issued them), and adds
   * the pool's probe to the monitor's health.
   */
  monitor?: Monitor
  /** Told about every checkout and release, to report connections held too long. */
  leakDetector?: LeakDetector
  /** Receives the time each checkout waited for a connection. */
  poolMonitor?: PoolMonitor
  /** Pool name in metrics. @default 'pg' */
  name?: string
}

/** What {@link instrumentPgPool} installed; `close()` removes it. */
export interface PgPoolInstrumentation {
  /** The instrumented pool (always set by {@link instrumentPgPool}; optional for look-alikes that report another pool). */
  readonly pool?: PgPoolLike
  /** The pool's probe (already added to `monitor`, if one was given). */
  readonly probe: PoolProbe
  /** Statements run since instrumentation, failures among them, and their total time in ms. */
  stats(): { statements: number; errors: number; totalMs: number }
  /** Runs `fn`; statements it issues go to `sink` instead of the monitor (@perf/prisma attaches SQL to operations this way). */
  collect<T>(sink: StatementSink, fn: () => Promise<T>): Promise<T>
  /** Restores the pool's methods and removes the listeners and the probe. Idempotent. */
  close(): void
}

const INSTALLED = Symbol.for('@perf/pg.pg-instrumentation')
const RECORDING = Symbol.for('@perf/pg.pg-client-recording')
const PATCHED = Symbol.for('@perf/pg.pg-client-patched')

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any
type Tagged = Record<symbol, unknown>

/** A submittable that is a stream: pg-copy-streams (`text`, `rowCount`) or pg-query-stream (`cursor.text`). */
interface StreamLike {
  text?: unknown
  cursor?: { text?: unknown }
  rowCount?: unknown
  errored?: unknown
  once?: (event: string, listener: (...args: unknown[]) => void) => unknown
}

function sqlText(query: unknown): string {
  if (typeof query === 'string') return query
  const text = (query as { text?: unknown } | null)?.text
  return typeof text === 'string' ? text : '(unknown statement)'
}

/** The instrumentation installed on `pool`, if any. */
export function pgPoolInstrumentation(pool: PgPoolLike): PgPoolInstrumentation | undefined {
  return (pool as unknown as Tagged)[INSTALLED] as PgPoolInstrumentation | undefined
}

class PgInstrumentation implements PgPoolInstrumentation {
  readonly probe: PoolProbe
  private readonly sinks = new AsyncLocalStorage<StatementSink>()
  private readonly originalQuery: AnyFn
  private readonly originalConnect: AnyFn
  private readonly removeProbe: (() => void) | undefined
  private statements = 0
  private errors = 0
  private totalMs = 0
  private closed = false

  constructor(
    readonly pool: PgPoolLike,
    private readonly options: InstrumentPgPoolOptions,
  ) {
    this.probe = pgPoolProbe(pool, { name: options.name ?? 'pg' })
    this.originalQuery = pool.query
    this.originalConnect = pool.connect
    pool.query = this.wrapPoolQuery()
    pool.connect = this.wrapConnect()
    pool.on('acquire', this.onAcquire)
    pool.on('release', this.onRelease)
    this.removeProbe = options.monitor?.addPoolProbe(this.probe)
    ;(pool as unknown as Tagged)[INSTALLED] = this
  }

  stats(): { statements: number; errors: number; totalMs: number } {
    return { statements: this.statements, errors: this.errors, totalMs: this.totalMs }
  }

  collect<T>(sink: StatementSink, fn: () => Promise<T>): Promise<T> {
    return this.sinks.run(sink, fn)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    const pool = this.pool as unknown as Record<string | symbol, unknown>
    // The originals were inherited from pg-pool's prototype unless someone patched the instance before us.
    if (Object.getPrototypeOf(pool)?.query === this.originalQuery) delete pool.query
    else pool.query = this.originalQuery
    if (Object.getPrototypeOf(pool)?.connect === this.originalConnect) delete pool.connect
    else pool.connect = this.originalConnect
    this.pool.removeListener('acquire', this.onAcquire)
    this.pool.removeListener('release', this.onRelease)
    this.removeProbe?.()
    delete pool[INSTALLED]
  }

  private readonly onAcquire = (client: object): void => {
    this.options.leakDetector?.acquired(client)
  }

  private readonly onRelease = (_err: unknown, client: object): void => {
    ;(client as Tagged)[RECORDING] = false
    this.options.leakDetector?.released(client)
  }

  private finish(
    sql: string,
    started: number,
    startedAt: number,
    error: unknown,
    result: unknown,
    sink = this.sinks.getStore(),
  ): void {
    const durationMs = performance.now() - started
    this.statements++
    this.totalMs += durationMs
    if (error) this.errors++
    const rowCount = (result as { rowCount?: unknown } | undefined)?.rowCount
    const rows = typeof rowCount === 'number' ? rowCount : undefined
    if (sink) sink({ sql, durationMs, startedAt, rows, error: error || undefined })
    else this.options.monitor?.record({ source: 'pg', sql, durationMs, startedAt, rows, error: error || undefined })
  }

  /** Records a COPY or query stream once it finishes, ends or fails, in the context it was submitted from. */
  private watchStream(stream: StreamLike): void {
    const sql = typeof stream.text === 'string' ? stream.text : stream.cursor?.text
    if (typeof sql !== 'string' || typeof stream.once !== 'function') return
    const started = performance.now()
    const startedAt = Date.now()
    const sink = this.sinks.getStore()
    const end = (error?: unknown) => {
      const rows = typeof stream.rowCount === 'number' ? { rowCount: stream.rowCount } : undefined
      this.finish(sql, started, startedAt, error, rows, sink)
    }
    // 'close' (not 'error': a listener would keep an unhandled stream error from surfacing) comes
    // after 'finish', 'end' or a failure, with the failure in `errored`.
    stream.once('close', () => end(stream.errored ?? undefined))
  }

  /** Wraps a pg `query(text, values?, cb?)`; results are observed in the caller's async context (N+1 scopes). */
  private wrapQuery(original: AnyFn, onSql?: (target: object, sql: string) => void): AnyFn {
    const self = this
    return function perfQuery(this: object, text: unknown, values?: unknown, cb?: unknown) {
      if (self.closed) return original.apply(this, [text, values, cb])
      // Submittables manage their own lifecycle; streams among them (COPY from pg-copy-streams,
      // pg-query-stream) are recorded when they end. pg-cursor is read over time and is not.
      if (typeof (text as { submit?: unknown } | null)?.submit === 'function') {
        self.watchStream(text as StreamLike)
        return original.apply(this, [text, values, cb])
      }
      const sql = sqlText(text)
      onSql?.(this, sql)
      const started = performance.now()
      const startedAt = Date.now()
      const callback = typeof values === 'function' ? values : typeof cb === 'function' ? cb : undefined
      if (callback) {
        const done = AsyncResource.bind((err: unknown, res: unknown) => {
          self.finish(sql, started, startedAt, err, res)
          ;(callback as AnyFn)(err, res)
        })
        return typeof values === 'function' ? original.call(this, text, done) : original.call(this, text, values, done)
      }
      return (original.call(this, text, values) as Promise<unknown>).then(
        (res) => {
          self.finish(sql, started, startedAt, undefined, res)
          return res
        },
        (err: unknown) => {
          self.finish(sql, started, startedAt, err, undefined)
          throw err
        },
      )
    }
  }

  private wrapPoolQuery(): AnyFn {
    return this.wrapQuery(this.originalQuery)
  }

  /**
   * `pool.query()` checks out through `connect(cb)` and records at the pool level; promise-style
   * `connect()` (what @prisma/adapter-pg uses for transactions) hands out a client whose queries
   * are recorded until it is released.
   */
  private wrapConnect(): AnyFn {
    const self = this
    const original = this.originalConnect
    return function perfConnect(this: unknown, cb?: unknown) {
      const started = performance.now()
      if (typeof cb === 'function') {
        return original.call(this, (err: unknown, client: unknown, release: unknown) => {
          if (!err) self.options.poolMonitor?.recordAcquireWait(performance.now() - started)
          ;(cb as AnyFn)(err, client, release)
        })
      }
      return self.connectAsync(original, this, started)
    }
  }

  /** An async function on purpose: V8's async stack traces then lead from the leak detector to the caller. */
  private async connectAsync(original: AnyFn, pool: unknown, started: number): Promise<object> {
    const client = (await original.call(pool)) as object
    this.options.poolMonitor?.recordAcquireWait(performance.now() - started)
    // pg already emitted 'acquire' from its socket callback; this call replaces that stack with the caller's.
    this.options.leakDetector?.acquired(client)
    this.recordOn(client)
    return client
  }

  private recordOn(client: object): void {
    const tagged = client as Tagged & { query: AnyFn }
    tagged[RECORDING] = true
    if (tagged[PATCHED]) return
    tagged[PATCHED] = true
    const original = tagged.query
    const recorded = this.wrapQuery(original, (target, sql) => this.options.leakDetector?.setLastQuery(target, sql))
    // One patch per client for its lifetime; it records only while checked out through connect().
    tagged.query = function perfClientQuery(this: Tagged, ...args: unknown[]) {
      return (this[RECORDING] ? recorded : original).apply(this, args)
    }
  }
}

/**
 * Instruments a `pg.Pool` (yours, or the one behind `@prisma/adapter-pg`, TypeORM or Sequelize):
 * counts and times every statement, records statements to a monitor (or hands them to the sink
 * of `collect()`, so @perf/prisma's operation events carry their SQL fingerprint), feeds a
 * LeakDetector with every checkout and release, and a PoolMonitor with acquire waits. In
 * @perf/prisma, `perf({ pool })` calls it for you.
 *
 * @throws PerfError INVALID_ARGUMENT when the pool is already instrumented or is not a pg.Pool
 * @example
 * const pool = new pg.Pool({ connectionString })
 * const leaks = new LeakDetector({ thresholdMs: '10s', onLeak: (r) => console.warn(r.stack) })
 * const pg = instrumentPgPool(pool, { monitor, leakDetector: leaks })
 * const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
 */
export function instrumentPgPool(pool: PgPoolLike, options: InstrumentPgPoolOptions = {}): PgPoolInstrumentation {
  if (typeof pool?.query !== 'function' || typeof pool.connect !== 'function' || typeof pool.on !== 'function') {
    throw new PerfError('INVALID_ARGUMENT', '[perf:pg] instrumentPgPool(pool) needs a pg.Pool (query, connect, on)', {
      context: { argument: 'pool' },
    })
  }
  if (pgPoolInstrumentation(pool)) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      '[perf:pg] instrumentPgPool(): this pool is already instrumented; close() the existing instrumentation first',
      {
        context: { argument: 'pool' },
      },
    )
  }
  return new PgInstrumentation(pool, options)
}
