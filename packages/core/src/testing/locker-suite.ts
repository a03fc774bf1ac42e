import { PerfError } from '../errors.js'
import type { TestRunner } from './runner.js'
import { abortTests } from './locker-suite/abort.js'
import { createSuiteContext, type LockerFactory, type LockerSuiteOptions } from './locker-suite/context.js'
import { extendReleaseTests } from './locker-suite/extend-release.js'
import { fencingTests } from './locker-suite/fencing.js'
import { multiResourceTests } from './locker-suite/multi-resource.js'
import { mutualExclusionTests } from './locker-suite/mutual-exclusion.js'
import { timeoutTests } from './locker-suite/timeout.js'
import { ttlTests } from './locker-suite/ttl.js'
import { usingTests } from './locker-suite/using.js'

export type { LockerCapabilities, LockerFactory, LockerSuiteOptions } from './locker-suite/context.js'

/**
 * Registers the `Locker` conformance tests: mutual exclusion under concurrent contenders, ttl
 * expiry, fencing, extend/release, timeout, abort, `using` and multi-resource locks. Uses real,
 * short timings (ttl ~200 ms) and a unique resource name per test, so it runs unchanged against a
 * shared Redis. Each test gets a fresh locker from `factory` and disposes it afterwards.
 *
 * Two call forms: `lockerSuite(name, factory, runner, options?)` and `lockerSuite(runner, factory, options?)`.
 *
 * @example
 * import { describe, it, expect } from 'vitest'
 * lockerSuite('LocalLocker', () => new LocalLocker(), { describe, it, expect })
 */
export function lockerSuite(
  name: string,
  factory: LockerFactory,
  runner: TestRunner,
  options?: LockerSuiteOptions,
): void
export function lockerSuite(runner: TestRunner, factory: LockerFactory, options?: LockerSuiteOptions): void
export function lockerSuite(
  first: string | TestRunner,
  factory: LockerFactory,
  third?: TestRunner | LockerSuiteOptions,
  fourth?: LockerSuiteOptions,
): void {
  const named = typeof first === 'string'
  const runner = (named ? third : first) as TestRunner
  const options = ((named ? fourth : third) ?? {}) as LockerSuiteOptions
  if (
    typeof runner?.describe !== 'function' ||
    typeof runner.it !== 'function' ||
    typeof runner.expect !== 'function'
  ) {
    throw new PerfError('INVALID_ARGUMENT', '[perf:testing] lockerSuite: runner must provide describe, it and expect')
  }
  if (typeof factory !== 'function') {
    throw new PerfError('INVALID_ARGUMENT', '[perf:testing] lockerSuite: factory must be a function returning a Locker')
  }
  runner.describe(named ? `lockerSuite: ${first}` : 'lockerSuite', () => {
    const ctx = createSuiteContext(runner, factory, options)
    mutualExclusionTests(ctx)
    ttlTests(ctx)
    fencingTests(ctx)
    extendReleaseTests(ctx)
    timeoutTests(ctx)
    abortTests(ctx)
    usingTests(ctx)
    multiResourceTests(ctx)
  })
}
