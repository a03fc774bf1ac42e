import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { thrown } from '../../__tests__/errors.js'
import { isPerfError } from '../../errors.js'
import type { LeaderElection, LeaderElectionEvents } from '../../resilience/types.js'
import { leaderElectionSuite } from '../leader-election-suite.js'
import type { TestRunner } from '../runner.js'
import { recordingRunner } from '../__tests__/collect.js'

type Listener = (payload: never) => void

/** The shared side of the test elections: one lease and one term counter per name, like a Redis key. */
class LeaseTable {
  readonly leases = new Map<string, { holder: object; until: number }>()
  readonly terms = new Map<string, number>()
  constructor(readonly resetTerms = false) {}
}

/**
 * A minimal in-process election to prove the suite on (core has no LeaderElection of its own). The
 * holder trusts its lease 2 ms less than the table keeps it. With `resetTerms`, every new instance
 * counts terms from 1 again: the issue-9 bug, which the suite must catch.
 */
class TableElection implements LeaderElection {
  readonly #listeners = { elected: new Set<Listener>(), deposed: new Set<Listener>() }
  readonly #self = {}
  #running = false
  #cut = false
  #term: number | undefined
  #until = 0
  #timer: NodeJS.Timeout | undefined
  #lastTerm = 0

  constructor(
    readonly table: LeaseTable,
    readonly name: string,
    readonly leaseMs: number,
  ) {}

  get isLeader(): boolean {
    return this.#term !== undefined && Date.now() < this.#until
  }

  get term(): number | undefined {
    return this.isLeader ? this.#term : undefined
  }

  on<E extends keyof LeaderElectionEvents>(event: E, listener: (payload: LeaderElectionEvents[E]) => void): () => void {
    this.#listeners[event].add(listener as Listener)
    return () => void this.#listeners[event].delete(listener as Listener)
  }

  async start(): Promise<void> {
    this.#running = true
    this.#tick()
  }

  async resign(): Promise<void> {
    this.#stop('resigned')
  }

  async close(): Promise<void> {
    this.#stop('closed')
  }

  cutOff(): void {
    this.#cut = true
  }

  #tick(): void {
    clearTimeout(this.#timer)
    if (!this.#running) return
    if (this.#term !== undefined && !this.isLeader) this.#deposed('lost')
    const now = Date.now()
    const lease = this.table.leases.get(this.name)
    if (!this.#cut && (lease === undefined || lease.until <= now || lease.holder === this.#self)) {
      this.table.leases.set(this.name, { holder: this.#self, until: now + this.leaseMs })
      this.#until = now + this.leaseMs - 2
      if (this.#term === undefined) {
        const last = this.table.resetTerms ? this.#lastTerm : (this.table.terms.get(this.name) ?? 0)
        this.#term = this.#lastTerm = last + 1
        this.table.terms.set(this.name, this.#term)
        this.#emit('elected', { term: this.#term })
      }
    }
    const next =
      this.#term === undefined ? this.leaseMs / 3 : Math.min(this.leaseMs / 3, Math.max(1, this.#until - Date.now()))
    this.#timer = setTimeout(() => this.#tick(), next)
  }

  #stop(reason: 'resigned' | 'closed'): void {
    this.#running = false
    clearTimeout(this.#timer)
    if (this.#term !== undefined && this.table.leases.get(this.name)?.holder === this.#self)
      this.table.leases.delete(this.name)
    this.#deposed(reason)
  }

  #deposed(reason: 'resigned' | 'lost' | 'closed'): void {
    const term = this.#term
    if (term === undefined) return
    this.#term = undefined
    this.#emit('deposed', { term, reason })
  }

  #emit<E extends keyof LeaderElectionEvents>(event: E, payload: LeaderElectionEvents[E]): void {
    for (const listener of this.#listeners[event]) (listener as (p: LeaderElectionEvents[E]) => void)(payload)
  }
}

const table = new LeaseTable()
leaderElectionSuite(
  'TableElection (in-process test double)',
  ({ name, leaseMs }) => new TableElection(table, name, leaseMs),
  { describe, it, expect, beforeEach, afterEach },
  { cutOff: (election) => (election as TableElection).cutOff() },
)

describe('leaderElectionSuite', () => {
  it('leaderElectionSuite() registers every group and skips the lease-loss test visibly without cutOff', () => {
    const rec = recordingRunner()
    leaderElectionSuite(rec.runner, ({ name, leaseMs }) => new TableElection(table, name, leaseMs))
    expect(rec.groups).toEqual(['leaderElectionSuite', 'election', 'terms', 'resign and close', 'lease loss', 'events'])
    expect(rec.tests.length).toBeGreaterThanOrEqual(11)
    expect(rec.skipped).toEqual([
      'a leader that cannot renew stops believing it leads before another candidate is elected (skipped: options.cutOff not provided)',
    ])
  })

  it('leaderElectionSuite() catches an election whose terms restart at 1 in a new instance (@see issue 9)', async () => {
    const rec = recordingRunner()
    const broken = new LeaseTable(true)
    leaderElectionSuite('broken', ({ name, leaseMs }) => new TableElection(broken, name, leaseMs), rec.runner)
    const test = rec.tests.find((t) => t.title.startsWith('a new instance (a restarted process)'))
    let failure: unknown
    try {
      await test?.fn()
    } catch (error) {
      failure = error
    }
    expect(String(failure)).toMatch(/expected 1 to be greater than 1/)
  })

  it('leaderElectionSuite() rejects a malformed runner or options with INVALID_ARGUMENT', () => {
    const factory = ({ name, leaseMs }: { name: string; leaseMs: number }) => new TableElection(table, name, leaseMs)
    const rec = recordingRunner()
    for (const call of [
      () => leaderElectionSuite('x', factory, {} as TestRunner),
      () => leaderElectionSuite(rec.runner, factory, { candidates: 1 }),
    ]) {
      const caught = thrown<unknown>(call)
      expect(isPerfError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
  })
})
