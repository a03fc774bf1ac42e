import { randomUUID } from 'node:crypto'
import type { Lock, Locker } from '../../lock/types.js'
import { skipWithReason, type TestRunner } from '../runner.js'

/** Builds a fresh locker for one test. */
export type LockerFactory = () => Locker | Promise<Locker>

/** What a locker supports; groups that need a missing capability are skipped with the reason. */
export interface LockerCapabilities {
  /** One fencing counter for all resources: tokens increase across resources too. @default true */
  globalFencing?: boolean
  /** `acquire` accepts several resources at once. @default true */
  multiResource?: boolean
  /** An AbortSignal cancels a pending wait. @default true */
  abortWait?: boolean
}

/** Options for `lockerSuite`. */
export interface LockerSuiteOptions {
  /**
   * Makes `lock` lost behind its holder's back, as a crash or a backend failover would (Redis: delete
   * the key; LocalLocker: skew its clock past `expiresAt`). Without it the lost-lock test is skipped.
   */
  forceExpire?: (lock: Lock) => void | Promise<void>
  /** Base ttl for short-lived locks, ms; other timings are multiples of it. @default 200 */
  ttlMs?: number
  /** Concurrent contenders in the mutual-exclusion test. @default 50 */
  contenders?: number
  /** Prefix of every resource name (names are also unique per test). @default 'perf-locker-suite' */
  prefix?: string
  /** Timeout of each test, ms. @default 30_000 */
  testTimeoutMs?: number
  /** Capabilities; every one defaults to true. */
  capabilities?: LockerCapabilities
  /** Disposes the locker after each test. @default calls `locker.close()` when present */
  dispose?: (locker: Locker) => void | Promise<void>
}

/** Everything a group needs to register its tests. */
export interface SuiteContext {
  readonly runner: TestRunner
  readonly options: LockerSuiteOptions
  /** Base ttl, ms. */
  readonly ttl: number
  readonly capabilities: Required<LockerCapabilities>
  /** Registers a test that gets a fresh locker, disposed afterwards. */
  test(name: string, fn: (locker: Locker) => Promise<void>): void
  /** Registers the test, or a visible skip with `reason` when `supported` is false. */
  testIf(supported: boolean, reason: string, name: string, fn: (locker: Locker) => Promise<void>): void
  /** A resource name no other test (or process) uses. */
  unique(label: string): string
}

/** Builds the context shared by the groups. */
export function createSuiteContext(
  runner: TestRunner,
  factory: LockerFactory,
  options: LockerSuiteOptions,
): SuiteContext {
  const ttl = options.ttlMs ?? 200
  const timeout = options.testTimeoutMs ?? 30_000
  const prefix = options.prefix ?? 'perf-locker-suite'
  const dispose = options.dispose ?? ((locker: Locker) => locker.close?.())
  const test = (name: string, fn: (locker: Locker) => Promise<void>): void => {
    runner.it(
      name,
      async () => {
        const locker = await factory()
        try {
          await fn(locker)
        } finally {
          await dispose(locker)
        }
      },
      timeout,
    )
  }
  return {
    runner,
    options,
    ttl,
    capabilities: { globalFencing: true, multiResource: true, abortWait: true, ...options.capabilities },
    test,
    testIf: (supported, reason, name, fn) => (supported ? test(name, fn) : skipWithReason(runner, name, reason)),
    unique: (label) => `${prefix}:${label}:${randomUUID()}`,
  }
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Awaits `promise` and returns what it rejected with; throws if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject, but it resolved')
}

/** The `code` of a PerfError-like value, else undefined. */
export function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined
}

/** Releases `lock` if it is still held; ignores errors (cleanup in `finally`). */
export async function releaseQuietly(lock: Lock | undefined): Promise<void> {
  if (!lock?.isHeld) return
  await lock.release().catch(() => undefined)
}
