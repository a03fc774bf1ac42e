import { PerfError, type LeakDetector, type PoolMonitor } from '@perf/core'

/** The parts of a TypeORM QueryRunner the tracking wraps (same on 0.3 and 1.x, pg and mysql). */
interface RunnerLike {
  connect: (...args: unknown[]) => Promise<unknown>
  release: (...args: unknown[]) => Promise<void>
  query: (...args: unknown[]) => Promise<unknown>
  databaseConnection?: unknown
  databaseConnectionPromise?: unknown
  isReleased?: boolean
}

/** The driver method the tracking wraps. */
export interface DriverLike {
  createQueryRunner: (...args: unknown[]) => unknown
  [WATCHED]?: true
}

const WATCHED = Symbol.for('@perf/typeorm.pool-watched')

/**
 * Wraps the driver's `createQueryRunner` so each new QueryRunner reports its connection's
 * checkout (after the wait, which goes to the PoolMonitor) and release to a LeakDetector, and
 * its last statement for the report.
 */
export class RunnerTracking {
  #active = true
  readonly #restore: () => void

  constructor(driver: DriverLike, leaks: LeakDetector, pool: PoolMonitor) {
    if (typeof driver?.createQueryRunner !== 'function')
      throw new PerfError('INVALID_ARGUMENT', '[perf:typeorm] watchPool(): expected a TypeORM DataSource')
    if (driver[WATCHED] === true)
      throw new PerfError(
        'INVALID_ARGUMENT',
        '[perf:typeorm] watchPool(): this DataSource is watched already; close() the first watch first',
      )
    const tracking = this
    const hadOwn = Object.prototype.hasOwnProperty.call(driver, 'createQueryRunner')
    const original = driver.createQueryRunner
    const wrapped = function (this: DriverLike, ...args: unknown[]): unknown {
      const runner = original.apply(this, args) as RunnerLike
      if (tracking.#active) track(runner, leaks, pool, () => tracking.#active)
      return runner
    }
    driver.createQueryRunner = wrapped
    driver[WATCHED] = true
    this.#restore = () => {
      // Someone wrapped it after us: leave their wrapper; ours now passes through.
      if (driver.createQueryRunner === wrapped) {
        if (hadOwn) driver.createQueryRunner = original
        else delete (driver as Partial<DriverLike>).createQueryRunner
      }
      delete driver[WATCHED]
    }
  }

  close(): void {
    if (!this.#active) return
    this.#active = false
    this.#restore()
  }
}

function track(runner: RunnerLike, leaks: LeakDetector, pool: PoolMonitor, active: () => boolean): void {
  const connect = runner.connect
  const release = runner.release
  const query = runner.query
  let held = false
  let last: string | undefined
  runner.connect = function (this: RunnerLike, ...args: unknown[]) {
    // Later calls reuse the open connection (TypeORM calls connect() before every statement).
    if (!active() || held || this.databaseConnection !== undefined || this.databaseConnectionPromise !== undefined)
      return connect.apply(this, args)
    return checkout(this, connect, args)
  }
  /** An async function on purpose: V8's async stack traces then lead from the leak report to the caller. */
  async function checkout(self: RunnerLike, fn: RunnerLike['connect'], args: unknown[]): Promise<unknown> {
    const started = performance.now()
    const connection = await fn.apply(self, args)
    pool.recordAcquireWait(performance.now() - started)
    if (!self.isReleased) {
      held = true
      leaks.acquired(self, last === undefined ? undefined : { lastQuery: last })
    }
    return connection
  }
  runner.release = function (this: RunnerLike, ...args: unknown[]) {
    if (held) {
      held = false
      leaks.released(this)
    }
    return release.apply(this, args)
  }
  runner.query = function (this: RunnerLike, ...args: unknown[]) {
    // Before the checkout too: query() connects lazily, and its statement is the one to report.
    if (typeof args[0] === 'string') {
      last = args[0]
      if (held) leaks.setLastQuery(this, last)
    }
    return query.apply(this, args)
  }
}
