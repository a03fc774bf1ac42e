import { randomUUID } from 'node:crypto'
import { PerfError, systemClock, toMs } from '@perf/core'
import type { Clock, Duration, LeaderElection, LeaderElectionEvents } from '@perf/core'
import { assertClient, lostConnectionError, type RedisClient } from '../internal/client.js'
import { withDeadline } from '../internal/deadline.js'
import { assertFinite, assertName, assertPrefix } from '../internal/validate.js'
import { CAMPAIGN, RENEW, RESIGN } from './scripts.js'

/** Options for {@link redisLeaderElection}. */
export interface RedisLeaderElectionOptions {
  /** Name of the election; instances with the same name (and prefix) compete. @default 'default' */
  name?: string
  /** Prefix of the lease and term keys. Must not contain `{` or `}`. @default 'perf:leader:' */
  prefix?: string
  /** Lease length in ms; a crashed leader is replaced at most this long after its last renewal. @default 10_000 */
  leaseMs?: Duration
  /** How often the leader renews, in ms. Must be well below leaseMs. @default leaseMs / 3 */
  renewEveryMs?: Duration
  /** How often a follower tries to take a free lease, in ms. @default leaseMs / 3 */
  retryEveryMs?: Duration
  /** Fraction of the lease this process gives up for clock drift. @default 0.01 */
  driftFactor?: number
  /** Constant milliseconds given up for drift. @default 2 */
  driftMs?: number
  /** This instance's identity (in the lease value, for debugging). @default a random UUID */
  id?: string
  /** Deadline of each Redis call in ms. @default 250 */
  commandTimeoutMs?: Duration
  /** Time source. @default systemClock */
  clock?: Clock
  /** Receives Redis errors of campaigns and renewals. Must not throw. */
  onError?: (error: unknown) => void
}

type Listener<E extends keyof LeaderElectionEvents> = (payload: LeaderElectionEvents[E]) => void

/**
 * Leader election on a Redis lease: `SET NX PX` to take it, Lua to renew and resign by owner, and a
 * term that grows with every election (use it as a fencing token). The leader trusts its lease only
 * until `start + leaseMs − drift` on its own clock, which ends before Redis can hand the lease to
 * anyone else, so two leaders never hold overlapping valid leases while Redis keeps the lease key.
 *
 * Terms are `max(last term + 1, Redis server TIME in µs)` (~1.8e15, below 2^53; store them in a
 * bigint column), so they keep growing when Redis restarts without persistence or a failover loses
 * the counter. Such a restart also drops the lease: a new leader can then be elected at once, while
 * the old one believes it leads until its next renewal finds the lease gone (within `renewEveryMs`
 * of Redis answering again) and never past its own lease (`leaseMs − drift` after its last renewal
 * began). The two never share a term, and the new one's is higher: fence with it.
 *
 * @example
 * const election = redisLeaderElection(redis, { name: 'scheduler', leaseMs: 5_000 })
 * election.on('elected', ({ term }) => startJobs(term))
 * election.on('deposed', () => stopJobs())
 * await election.start()
 */
export class RedisLeaderElection implements LeaderElection {
  readonly #client: RedisClient
  readonly #keys: [string, string]
  readonly #leaseMs: number
  readonly #renewMs: number
  readonly #retryMs: number
  readonly #driftMs: number
  readonly #timeoutMs: number
  readonly #value: string
  readonly #clock: Clock
  readonly #onError: (error: unknown) => void
  readonly #listeners = { elected: new Set<Listener<'elected'>>(), deposed: new Set<Listener<'deposed'>>() }
  #running = false
  #closed = false
  #term: number | undefined
  #leaseUntil = 0
  #timer: NodeJS.Timeout | undefined
  #expiry: NodeJS.Timeout | undefined

  constructor(client: RedisClient, options: RedisLeaderElectionOptions = {}) {
    this.#client = assertClient(client, 'redisLeaderElection')
    const prefix = assertPrefix(options.prefix ?? 'perf:leader:', 'redisLeaderElection', 'prefix')
    const name = assertName(options.name ?? 'default', 'name', 'redisLeaderElection')
    // One hash tag for both keys: the campaign script touches them together, also on a Cluster.
    this.#keys = [`${prefix}{${name}}`, `${prefix}{${name}}:term`]
    this.#leaseMs = toMs(options.leaseMs ?? 10_000, 'leaseMs', 'INVALID_OPTION')
    if (this.#leaseMs < 10) throw invalid('leaseMs', 'at least 10 ms', this.#leaseMs)
    this.#renewMs = toMs(options.renewEveryMs ?? this.#leaseMs / 3, 'renewEveryMs', 'INVALID_OPTION')
    if (this.#renewMs <= 0 || this.#renewMs >= this.#leaseMs / 2)
      throw invalid('renewEveryMs', `> 0 and below leaseMs / 2 (${this.#leaseMs / 2})`, this.#renewMs)
    this.#retryMs = toMs(options.retryEveryMs ?? this.#leaseMs / 3, 'retryEveryMs', 'INVALID_OPTION')
    const driftFactor = assertFinite(options.driftFactor ?? 0.01, 'driftFactor', 0, 0.5, 'redisLeaderElection')
    this.#driftMs =
      this.#leaseMs * driftFactor +
      assertFinite(options.driftMs ?? 2, 'driftMs', 0, this.#leaseMs / 2, 'redisLeaderElection')
    this.#timeoutMs = toMs(options.commandTimeoutMs ?? 250, 'commandTimeoutMs', 'INVALID_OPTION')
    this.#value = `${assertName(options.id ?? randomUUID(), 'id', 'redisLeaderElection')}|${randomUUID()}`
    this.#clock = options.clock ?? systemClock
    this.#onError = options.onError ?? (() => undefined)
  }

  get isLeader(): boolean {
    return this.#term !== undefined && this.#clock.now() < this.#leaseUntil
  }

  get term(): number | undefined {
    return this.isLeader ? this.#term : undefined
  }

  on<E extends keyof LeaderElectionEvents>(event: E, listener: Listener<E>): () => void {
    const set = this.#listeners[event] as Set<Listener<E>>
    set.add(listener)
    return () => void set.delete(listener)
  }

  async start(): Promise<void> {
    if (this.#closed)
      throw new PerfError('INVALID_ARGUMENT', '[perf:redis] redisLeaderElection.start() called after close()')
    if (this.#running) return
    this.#running = true
    await this.#campaign()
  }

  async resign(): Promise<void> {
    await this.#stop('resigned')
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#stop('closed')
  }

  async #campaign(): Promise<void> {
    if (!this.#running) return
    const started = this.#clock.now()
    let next = this.#retryMs
    try {
      const [kind, number] = (await this.#call(() =>
        CAMPAIGN.run(this.#client, this.#keys, [this.#value, Math.ceil(this.#leaseMs)]),
      )) as [number, number]
      if (kind === 0) next = Math.min(this.#retryMs, Math.max(1, number + 1))
      else if (this.#running) {
        this.#elected(Number(number), started)
        next = this.#renewMs
      } else await this.#release() // resigned while the campaign was in flight
    } catch (err) {
      this.#onError(err)
    }
    this.#schedule(next)
  }

  async #renew(): Promise<void> {
    const started = this.#clock.now()
    let next = this.#renewMs
    try {
      const renewed = Number(
        await this.#call(() => RENEW.run(this.#client, [this.#keys[0]], [this.#value, Math.ceil(this.#leaseMs)])),
      )
      if (!this.#running || this.#term === undefined) return
      if (renewed === 1) this.#extendLease(started)
      else this.#deposed('lost')
    } catch (err) {
      this.#onError(err)
      // Keep trying while the lease is still valid; the expiry timer deposes us if it runs out.
      if (this.#term !== undefined && !this.isLeader) this.#deposed('lost')
      next = Math.max(10, Math.min(this.#renewMs, (this.#leaseUntil - this.#clock.now()) / 3))
    }
    this.#schedule(next)
  }

  #elected(term: number, started: number): void {
    const fresh = this.#term !== term
    this.#term = term
    this.#extendLease(started)
    if (fresh && this.isLeader) this.#emit('elected', { term })
  }

  #extendLease(started: number): void {
    this.#leaseUntil = started + this.#leaseMs - this.#driftMs
    this.#watchExpiry()
  }

  // Timers may fire a millisecond early: re-arm until the lease has really ended.
  #watchExpiry(): void {
    clearTimeout(this.#expiry)
    this.#expiry = setTimeout(
      () => {
        if (this.#term === undefined) return
        if (this.isLeader) this.#watchExpiry()
        else this.#deposed('lost')
      },
      Math.max(1, this.#leaseUntil - this.#clock.now()),
    )
    this.#expiry.unref()
  }

  #deposed(reason: 'resigned' | 'lost' | 'closed'): void {
    const term = this.#term
    if (term === undefined) return
    this.#term = undefined
    this.#leaseUntil = 0
    clearTimeout(this.#expiry)
    this.#emit('deposed', { term, reason })
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer)
    if (!this.#running) return
    this.#timer = setTimeout(() => void (this.#term === undefined ? this.#campaign() : this.#renew()), ms)
    this.#timer.unref()
  }

  async #stop(reason: 'resigned' | 'closed'): Promise<void> {
    this.#running = false
    clearTimeout(this.#timer)
    const wasLeader = this.#term !== undefined
    this.#deposed(reason)
    if (!wasLeader) return
    await this.#release()
  }

  async #release(): Promise<void> {
    try {
      await this.#call(() => RESIGN.run(this.#client, [this.#keys[0]], [this.#value]))
    } catch (err) {
      this.#onError(err) // the lease then simply expires
    }
  }

  #emit<E extends keyof LeaderElectionEvents>(event: E, payload: LeaderElectionEvents[E]): void {
    for (const listener of this.#listeners[event] as Set<Listener<E>>) {
      try {
        listener(payload)
      } catch (err) {
        this.#onError(err)
      }
    }
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    const lost = lostConnectionError(this.#client, 'redisLeaderElection')
    if (lost !== undefined) throw lost
    return withDeadline(run(), this.#timeoutMs, 'redisLeaderElection')
  }
}

function invalid(option: string, rule: string, value: unknown): PerfError {
  return new PerfError(
    'INVALID_OPTION',
    `[perf:redis] redisLeaderElection option "${option}" must be ${rule}, got ${String(value)}`,
    { context: { option, value } },
  )
}

/**
 * Creates a {@link RedisLeaderElection} on the client you already have (it stays yours).
 * @throws PerfError CLIENT_INVALID, INVALID_OPTION
 * @example
 * const election = redisLeaderElection(redis, { name: 'cron' })
 * await election.start()
 * if (election.isLeader) runCron({ fence: election.term })
 */
export function redisLeaderElection(
  client: RedisClient,
  options: RedisLeaderElectionOptions = {},
): RedisLeaderElection {
  return new RedisLeaderElection(client, options)
}
