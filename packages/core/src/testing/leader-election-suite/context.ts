import { randomUUID } from 'node:crypto'
import type { LeaderElection } from '../../resilience/types.js'
import { skipWithReason, type TestRunner } from '../runner.js'

/**
 * Builds one candidate. Candidates built with the same `name` compete for one leadership; other
 * names are independent elections. `leaseMs` is the lease length the candidate must use.
 */
export type LeaderElectionFactory = (options: {
  name: string
  leaseMs: number
}) => LeaderElection | Promise<LeaderElection>

/** Options for `leaderElectionSuite`. */
export interface LeaderElectionSuiteOptions {
  /** Lease length handed to the factory, ms; waits are multiples of it. @default 300 */
  leaseMs?: number
  /** Candidates competing in the multi-candidate tests (2 or more). @default 4 */
  candidates?: number
  /**
   * Cuts `election` off from its backend so it can no longer renew (Redis: disconnect its client),
   * while other candidates keep working. Without it the lease-loss test is skipped.
   */
  cutOff?: (election: LeaderElection) => void | Promise<void>
  /** Prefix of every election name (names are also unique per test). @default 'perf-leader-suite' */
  prefix?: string
  /** Timeout of each test, ms. @default 30_000 */
  testTimeoutMs?: number
  /** Disposes a candidate after each test. @default calls `election.close()` */
  dispose?: (election: LeaderElection) => void | Promise<void>
}

/** One recorded event, in the order the listeners saw them. */
export type ElectionEvent =
  | { at: number; who: number; event: 'elected'; term: number; isLeader: boolean; reported: number | undefined }
  | {
      at: number
      who: number
      event: 'deposed'
      term: number
      reason: string
      isLeader: boolean
      reported: number | undefined
    }

/** Candidates of one election, with their events and a 1 ms sampler of who believes it leads. */
export interface Election {
  readonly candidates: LeaderElection[]
  readonly log: ElectionEvent[]
  /** Adds a candidate to this election (a restarted process, a late joiner). */
  join(): Promise<LeaderElection>
  /** The single candidate that believes it leads, or undefined. */
  leader(): LeaderElection | undefined
  /** Samples where two or more candidates believed they led at once (0 if the sampler never saw one). */
  readonly overlaps: number
  /** Terms of the `elected` events, in the order they fired. */
  electedTerms(): number[]
}

/** Everything a group needs to register its tests. Internal to the suite. */
export interface SuiteContext {
  readonly runner: TestRunner
  readonly options: LeaderElectionSuiteOptions
  readonly leaseMs: number
  readonly candidates: number
  /** Longest a handover may take once the lease is free or expired, ms. */
  readonly handoverMs: number
  /** Registers a test that gets a fresh election of `count` candidates (not started), disposed afterwards. */
  test(name: string, count: number, fn: (election: Election) => Promise<void>): void
  /** Registers the test, or a visible skip with `reason` when `supported` is false. */
  testIf(
    supported: boolean,
    reason: string,
    name: string,
    count: number,
    fn: (election: Election) => Promise<void>,
  ): void
}

/** Builds the context shared by the groups. */
export function createSuiteContext(
  runner: TestRunner,
  factory: LeaderElectionFactory,
  options: LeaderElectionSuiteOptions,
): SuiteContext {
  const leaseMs = options.leaseMs ?? 300
  const timeout = options.testTimeoutMs ?? 30_000
  const prefix = options.prefix ?? 'perf-leader-suite'
  const dispose = options.dispose ?? ((election: LeaderElection) => election.close())
  const test = (name: string, count: number, fn: (election: Election) => Promise<void>): void => {
    runner.it(
      name,
      async () => {
        const election = newElection(factory, `${prefix}:${randomUUID()}`, leaseMs)
        try {
          for (let i = 0; i < count; i++) await election.join()
          await fn(election)
        } finally {
          election.stop()
          await Promise.allSettled(election.candidates.map(async (c) => dispose(c)))
        }
      },
      timeout,
    )
  }
  return {
    runner,
    options,
    leaseMs,
    candidates: options.candidates ?? 4,
    handoverMs: leaseMs * 4 + 1_000,
    test,
    testIf: (supported, reason, name, count, fn) =>
      supported ? test(name, count, fn) : skipWithReason(runner, name, reason),
  }
}

function newElection(factory: LeaderElectionFactory, name: string, leaseMs: number): Election & { stop(): void } {
  const candidates: LeaderElection[] = []
  const log: ElectionEvent[] = []
  let overlaps = 0
  const sampler = setInterval(() => {
    if (candidates.filter((c) => c.isLeader).length > 1) overlaps++
  }, 1)
  sampler.unref?.()
  return {
    candidates,
    log,
    get overlaps() {
      return overlaps
    },
    async join() {
      const candidate = await factory({ name, leaseMs })
      const who = candidates.push(candidate) - 1
      candidate.on('elected', ({ term }) =>
        log.push({
          at: Date.now(),
          who,
          event: 'elected',
          term,
          isLeader: candidate.isLeader,
          reported: candidate.term,
        }),
      )
      candidate.on('deposed', ({ term, reason }) =>
        log.push({
          at: Date.now(),
          who,
          event: 'deposed',
          term,
          reason,
          isLeader: candidate.isLeader,
          reported: candidate.term,
        }),
      )
      return candidate
    },
    leader() {
      const leaders = candidates.filter((c) => c.isLeader)
      return leaders.length === 1 ? leaders[0] : undefined
    },
    electedTerms: () => log.flatMap((e) => (e.event === 'elected' ? [e.term] : [])),
    stop: () => clearInterval(sampler),
  }
}

/** Polls `check` every 5 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`leaderElectionSuite: ${what} did not happen within ${timeoutMs} ms`)
    await delay(5)
  }
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Checks that `values` strictly increase and are safe integers (fences go to bigint columns). */
export function expectStrictlyIncreasing(runner: TestRunner, values: readonly number[]): void {
  for (let i = 1; i < values.length; i++) runner.expect(values[i]).toBeGreaterThan(values[i - 1] as number)
  runner.expect(values.every((v) => Number.isSafeInteger(v))).toBe(true)
}
