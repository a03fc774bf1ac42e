import type { CacheStore, StoreCapabilities, StoreEntry, StoreRead } from '../cache/types.js'
import { PerfError } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import { corruptEntry, corruptRead, type Random, seededRandom } from './chaos-corrupt.js'
import {
  type ChaosCorruptOptions,
  type ChaosErrorOptions,
  type ChaosOperation,
  type ChaosOperationStats,
  type ChaosScheduleOptions,
  type ChaosStats,
  type Rule,
  Schedule,
} from './chaos-schedule.js'

/** Options for {@link chaosStore}. */
export interface ChaosStoreOptions {
  /** Name the chaos store reports. @default the wrapped store's `name` */
  name?: string
  /** Overrides some of the wrapped store's capabilities. @default the wrapped store's `capabilities` */
  capabilities?: Partial<StoreCapabilities>
  /** Seed of the PRNG behind `probability` and built-in corruption. @default 1 */
  seed?: number
  /** A source of numbers in [0, 1) to use instead of the seeded PRNG. */
  random?: () => number
  /** Time source of `for` windows (the default follows fake timers). @default systemClock */
  clock?: Clock
}

/** A `CacheStore` wrapper plus the controls that inject faults into it. Schedule methods chain. */
export interface ChaosStore {
  /** The faulty store: pass this where a `CacheStore` goes. Its `stats()` and `close()` are the wrapped store's. */
  readonly store: CacheStore
  /** The wrapped store, untouched by faults (to inspect what really got written). */
  readonly inner: CacheStore
  /** Calls reject with `options.error` (or an Error naming the store and method). */
  fail(operation: ChaosOperation, options?: ChaosErrorOptions): this
  /** Calls never settle until `release()` (then they run for real) or `store.close()` (then they reject). */
  hang(operation: ChaosOperation, options?: ChaosScheduleOptions): this
  /**
   * Calls resolve as if done but do nothing: a lost write, or a read that finds nothing. A dropped
   * `read` still asks the wrapped store for its version (it has no side effects) and answers a miss
   * at that version, so a later versioned write stays ordered as the tier would order it.
   */
  drop(operation: ChaosOperation, options?: ChaosScheduleOptions): this
  /** Calls run `ms` milliseconds late (an unref'd timer, so fake timers drive it). */
  delay(operation: ChaosOperation, ms: number, options?: ChaosScheduleOptions): this
  /** Calls run for real, then their answer is replaced by garbage (see {@link ChaosCorruptOptions}). */
  corrupt(operation: ChaosOperation, options?: ChaosCorruptOptions): this
  /** Lets hung calls (of `operation`, or all) run against the wrapped store; returns how many. Rules stay. */
  release(operation?: ChaosOperation): number
  /** Removes the scheduled faults (of `operation`, or all). Hung calls stay hung until `release()`. */
  heal(operation?: ChaosOperation): this
  /** What happened to each method: calls and faults by kind. */
  stats(): ChaosStats
  /** What happened to one method (zeros when never called). */
  stats(operation: string): ChaosOperationStats
  /** Calls currently hung or delayed. */
  readonly pending: number
}

interface Pending {
  operation: string
  resume: () => void
  reject: (error: Error) => void
  timer?: ReturnType<typeof setTimeout>
}

/** `close` ends the faults; `stats` reports on the wrapped store. Neither is faulted. */
const UNFAULTED = new Set(['close', 'stats', 'constructor'])

/**
 * Wraps a `CacheStore` so tests can make it hang, fail, lose writes, answer late or return
 * garbage, on a schedule: a number of calls, a seeded probability, a time window. With nothing
 * scheduled it forwards every call unchanged (synchronous answers stay synchronous), so it passes
 * `cacheStoreSuite`. Methods the wrapped store has beyond `CacheStore` are forwarded and faultable
 * by name. Nothing it does keeps the process alive.
 *
 * @throws PerfError INVALID_ARGUMENT when a schedule names a method the store lacks or a bad number.
 * @example
 * const chaos = chaosStore(new MemoryStore(), { seed: 7 })
 * const cache = createCache({ tiers: [chaos.store] })
 * chaos.fail('set', { times: 3 }).hang('get', { for: 5_000 })
 * // ... exercise the cache ...
 * chaos.heal()
 * chaos.release()
 * expect(chaos.stats('set').faults.error).toBe(3)
 */
export function chaosStore(inner: CacheStore, options: ChaosStoreOptions = {}): ChaosStore {
  const name = options.name ?? inner.name
  const capabilities: StoreCapabilities = { ...inner.capabilities, ...options.capabilities }
  const clock = options.clock ?? systemClock
  const random: Random = options.random ?? seededRandom(options.seed ?? 1)
  const schedule = new Schedule(clock, random)
  const pending = new Set<Pending>()
  let closed = false

  const forward = (operation: string, args: readonly unknown[]): unknown =>
    Reflect.apply((inner as unknown as Record<string, (...a: unknown[]) => unknown>)[operation]!, inner, args)

  const park = (operation: string, args: readonly unknown[], ms?: number): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const entry: Pending = {
        operation,
        resume: () => {
          pending.delete(entry)
          // A forwarded call that throws synchronously must reject, not escape from release().
          resolve(Promise.resolve().then(() => forward(operation, args)))
        },
        reject: (error) => {
          pending.delete(entry)
          if (entry.timer) clearTimeout(entry.timer)
          reject(error)
        },
      }
      pending.add(entry)
      if (ms !== undefined) {
        entry.timer = setTimeout(entry.resume, ms)
        entry.timer.unref?.()
      }
    })

  const apply = (rule: Rule, operation: string, args: readonly unknown[]): unknown => {
    switch (rule.kind) {
      case 'error': {
        const error = typeof rule.error === 'function' ? (rule.error as () => unknown)() : rule.error
        return Promise.reject(error ?? new Error(`[perf:chaos] injected error in ${name}.${operation}()`))
      }
      case 'drop':
        if (operation === 'read') {
          // A miss needs a version only the tier can issue: take the real one, drop the entry.
          return Promise.resolve()
            .then(() => forward(operation, args))
            .then((result): StoreRead => ({ entry: undefined, version: (result as StoreRead).version }))
        }
        return Promise.resolve(dropped(operation, args))
      case 'hang':
        return park(operation, args)
      case 'delay':
        return park(operation, args, rule.ms)
      case 'corrupt':
        return Promise.resolve()
          .then(() => forward(operation, args))
          .then((result) =>
            rule.with ? rule.with(result, operation, args) : garbage(operation, result, random, clock.now()),
          )
    }
  }

  const call = (operation: string, args: unknown[]): unknown => {
    // A closed store injects nothing: a late call after close must not hang forever.
    const rule = schedule.next(operation, !closed)
    return rule ? apply(rule, operation, args) : forward(operation, args)
  }

  const close = async (): Promise<void> => {
    closed = true
    for (const entry of [...pending])
      entry.reject(new Error(`[perf:chaos] ${name}.${entry.operation}() was still pending when the store closed`))
    await inner.close?.()
  }

  const wrappers = new Map<string, (...args: unknown[]) => unknown>()
  const method = (target: Record<string, unknown>, prop: string): unknown => {
    if (prop === 'close') return close
    const value = target[prop]
    if (typeof value !== 'function') return value
    if (UNFAULTED.has(prop)) return (value as (...a: unknown[]) => unknown).bind(inner)
    let wrapper = wrappers.get(prop)
    if (!wrapper) wrappers.set(prop, (wrapper = (...args: unknown[]) => call(prop, args)))
    return wrapper
  }
  // A Proxy over an empty object, not over `inner`: methods added to CacheStore later are forwarded
  // without a change here, and a frozen `inner` cannot trip the Proxy invariants on name/capabilities.
  const store = new Proxy({} as CacheStore, {
    get: (_, prop) => {
      if (prop === 'name') return name
      if (prop === 'capabilities') return capabilities
      if (typeof prop !== 'string') return undefined
      return method(inner as unknown as Record<string, unknown>, prop)
    },
    has: (_, prop) => prop === 'name' || prop === 'capabilities' || prop === 'close' || prop in inner,
  })

  const schedule$ = (operation: string, kind: Rule['kind'], opts: object = {}, ms?: number): void => {
    if (
      operation !== '*' &&
      (UNFAULTED.has(operation) || typeof (inner as unknown as Record<string, unknown>)[operation] !== 'function')
    ) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:chaos] ${kind}('${operation}'): store "${name}" has no faultable method ${operation}()`,
      )
    }
    schedule.add(operation, kind, opts, ms)
  }

  const chaos: ChaosStore = {
    store,
    inner,
    fail: (operation, opts) => (schedule$(operation, 'error', opts), chaos),
    hang: (operation, opts) => (schedule$(operation, 'hang', opts), chaos),
    drop: (operation, opts) => (schedule$(operation, 'drop', opts), chaos),
    delay: (operation, ms, opts) => (schedule$(operation, 'delay', opts, ms), chaos),
    corrupt: (operation, opts) => (schedule$(operation, 'corrupt', opts), chaos),
    release(operation) {
      const released = [...pending].filter(
        (entry) => !entry.timer && (operation === undefined || operation === '*' || entry.operation === operation),
      )
      for (const entry of released) entry.resume()
      return released.length
    },
    heal: (operation) => (schedule.heal(operation), chaos),
    stats: ((operation?: string) => {
      if (operation === undefined) return schedule.snapshot()
      const stats = schedule.stats(operation)
      return { calls: stats.calls, faults: { ...stats.faults } }
    }) as ChaosStore['stats'],
    get pending() {
      return pending.size
    },
  }
  return chaos
}

/** What a dropped call answers: success for writes, "nothing there" for reads. */
function dropped(operation: string, args: readonly unknown[]): unknown {
  const list = args[0] as readonly unknown[]
  switch (operation) {
    case 'get':
      return undefined
    case 'getMany':
      return list.map(() => undefined)
    case 'delete':
      return 0
    default:
      return undefined
  }
}

/** Built-in garbage for the reads (`READS`); the schedule never corrupts other methods without `with`. */
function garbage(operation: string, result: unknown, random: Random, now: number): unknown {
  if (operation === 'get') return corruptEntry(result as StoreEntry | undefined, random, now)
  if (operation === 'getMany')
    return (result as (StoreEntry | undefined)[]).map((entry) => corruptEntry(entry, random, now))
  return corruptRead(result as StoreRead, random, now)
}
