import { PerfError } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import { type Duration, optionalMs, toMs } from '../util/duration.js'
import { assertInt } from '../util/validate.js'
import { checkExtendAt } from './run-with-lock.js'

/** Longest delay `setTimeout` honours (2^31 - 1 ms, about 24.8 days); longer ones would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647

/** Options for `new LocalLocker(options)`. */
export interface LocalLockerOptions {
  /** Names this locker in error messages and `perf:lock` events. @default 'local' */
  name?: string
  /** Source of time for `expiresAt` and wait deadlines. @default systemClock */
  clock?: Clock
  /** Default wait for `acquire`/`using` before LOCK_TIMEOUT, ms or a duration string. @default 10_000 */
  waitMs?: Duration
  /** Most acquires that may wait for one resource; one more is rejected with LOCK_CONTENDED. @default 1_000 */
  maxWaiters?: number
  /** Most acquires that may wait across all resources; one more is rejected with LOCK_CONTENDED. @default 10_000 */
  maxTotalWaiters?: number
  /** Reject waits that would close a cycle in the wait-for graph with DeadlockError. @default true */
  detectDeadlocks?: boolean
  /** Default `extendAt` for `using`: extend when this fraction of the ttl is left. @default 0.5 */
  extendAt?: number
}

/** Validated {@link LocalLockerOptions} with defaults applied. */
export interface ResolvedLocalLockerOptions {
  name: string
  clock: Clock
  waitMs: number
  maxWaiters: number
  maxTotalWaiters: number
  detectDeadlocks: boolean
  extendAt: number
}

function invalid(option: string, rule: string, value: unknown): PerfError {
  return new PerfError('INVALID_OPTION', `[perf:lock] option "${option}" must be ${rule}, got ${String(value)}`, {
    context: { option, value },
  })
}

/**
 * Validates `options` and applies defaults.
 * @throws PerfError INVALID_OPTION naming the first bad option
 */
export function resolveLocalLockerOptions(options: LocalLockerOptions = {}): ResolvedLocalLockerOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options)
  const { name = 'local', clock = systemClock, detectDeadlocks = true } = options
  if (typeof name !== 'string' || name.length === 0) throw invalid('name', 'a non-empty string', name)
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function')
    throw invalid('clock', 'an object with a now() method', clock)
  if (typeof detectDeadlocks !== 'boolean') throw invalid('detectDeadlocks', 'a boolean', detectDeadlocks)
  const waitMs = optionalMs(options.waitMs, 'waitMs', 10_000, 'INVALID_OPTION')
  if (waitMs > MAX_TIMER_MS) throw invalid('waitMs', `at most ${MAX_TIMER_MS} ms`, waitMs)
  return {
    name,
    clock,
    waitMs,
    maxWaiters: assertInt(options.maxWaiters ?? 1_000, 'maxWaiters', 1),
    maxTotalWaiters: assertInt(options.maxTotalWaiters ?? 10_000, 'maxTotalWaiters', 1),
    detectDeadlocks,
    extendAt: checkExtendAt(options.extendAt ?? 0.5),
  }
}

/** Validates a lock ttl: > 0 and small enough for a timer. @throws PerfError INVALID_TTL */
export function checkTtl(ttlMs: number): number {
  const ttl = toMs(ttlMs, 'ttlMs')
  if (ttl <= 0 || ttl > MAX_TIMER_MS) {
    throw new PerfError('INVALID_TTL', `[perf:lock] ttlMs must be > 0 and at most ${MAX_TIMER_MS}, got ${ttl}`, {
      context: { option: 'ttlMs', value: ttl },
    })
  }
  return ttl
}
