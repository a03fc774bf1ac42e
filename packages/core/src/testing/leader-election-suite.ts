import { PerfError } from '../errors.js'
import type { TestRunner } from './runner.js'
import {
  createSuiteContext,
  type LeaderElectionFactory,
  type LeaderElectionSuiteOptions,
} from './leader-election-suite/context.js'
import { electionTests } from './leader-election-suite/election.js'
import { eventTests } from './leader-election-suite/events.js'
import { handoverTests } from './leader-election-suite/handover.js'
import { leaseLossTests } from './leader-election-suite/lease-loss.js'
import { termTests } from './leader-election-suite/terms.js'

export type { LeaderElectionFactory, LeaderElectionSuiteOptions } from './leader-election-suite/context.js'

/**
 * Registers the `LeaderElection` conformance tests: at most one leader at any moment among
 * concurrent candidates, strictly increasing terms across handovers, re-elections and new
 * instances, resign/close handing over, a leader that cannot renew stepping down before another
 * is elected (with `options.cutOff`), and the `elected`/`deposed` events. Uses real, short leases
 * (300 ms) and a unique election name per test, so it runs unchanged against a shared Redis. A
 * 1 ms sampler checks `isLeader` of every candidate throughout each test.
 *
 * Two call forms: `leaderElectionSuite(name, factory, runner, options?)` and
 * `leaderElectionSuite(runner, factory, options?)`.
 *
 * @example
 * import { describe, it, expect } from 'vitest'
 * leaderElectionSuite('redisLeaderElection', ({ name, leaseMs }) => redisLeaderElection(new Redis(), { name, leaseMs }), { describe, it, expect })
 * @throws PerfError INVALID_ARGUMENT when the runner, factory or options are malformed
 */
export function leaderElectionSuite(
  name: string,
  factory: LeaderElectionFactory,
  runner: TestRunner,
  options?: LeaderElectionSuiteOptions,
): void
export function leaderElectionSuite(
  runner: TestRunner,
  factory: LeaderElectionFactory,
  options?: LeaderElectionSuiteOptions,
): void
export function leaderElectionSuite(
  first: string | TestRunner,
  factory: LeaderElectionFactory,
  third?: TestRunner | LeaderElectionSuiteOptions,
  fourth?: LeaderElectionSuiteOptions,
): void {
  const named = typeof first === 'string'
  const runner = (named ? third : first) as TestRunner
  const options = ((named ? fourth : third) ?? {}) as LeaderElectionSuiteOptions
  if (
    typeof runner?.describe !== 'function' ||
    typeof runner.it !== 'function' ||
    typeof runner.expect !== 'function'
  ) {
    throw invalid('runner', 'an object with describe, it and expect')
  }
  if (typeof factory !== 'function') throw invalid('factory', 'a function returning a LeaderElection')
  const leaseMs = options.leaseMs ?? 300
  if (!Number.isInteger(leaseMs) || leaseMs < 50 || leaseMs > 10_000)
    throw invalid('options.leaseMs', 'an integer from 50 to 10000')
  const candidates = options.candidates ?? 4
  if (!Number.isInteger(candidates) || candidates < 2 || candidates > 50)
    throw invalid('options.candidates', 'an integer from 2 to 50')
  if (options.cutOff !== undefined && typeof options.cutOff !== 'function')
    throw invalid('options.cutOff', 'a function')

  runner.describe(named ? `leaderElectionSuite: ${first}` : 'leaderElectionSuite', () => {
    const ctx = createSuiteContext(runner, factory, options)
    electionTests(ctx)
    termTests(ctx)
    handoverTests(ctx)
    leaseLossTests(ctx)
    eventTests(ctx)
  })
}

function invalid(argument: string, rule: string): PerfError {
  return new PerfError('INVALID_ARGUMENT', `[perf:testing] leaderElectionSuite(): ${argument} must be ${rule}`, {
    context: { argument },
  })
}
