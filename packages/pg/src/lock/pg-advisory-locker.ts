import { randomUUID } from 'node:crypto'
import diagnosticsChannel from 'node:diagnostics_channel'
import { LockError, PerfError, runWithLock } from '@perf/core'
import type { AcquireOptions, Lock, LockEvent, Locker, UsingOptions } from '@perf/core'
import type pg from 'pg'
import { quoteTable } from '../identifiers.js'
import { assertQueryable, isPool, type PgQueryable } from '../queryable.js'
import { PgAdvisoryLock, type LockHost } from './advisory-lock.js'

/** Options of {@link pgAdvisoryLocker}. */
export interface PgAdvisoryLockerOptions {
  /** Names the locker in messages. @default 'pg-advisory' */
  name?: string
  /** Default wait before `LOCK_TIMEOUT`, ms. @default 10000 */
  waitMs?: number
  /** Default for `using()`: extend when this fraction of the TTL is left. @default 0.5 */
  extendAt?: number
  /**
   * The sequence fences are drawn from (created if missing; `'schema.name'` allowed). One
   * sequence gives every process sharing the database one increasing counter.
   * @default 'perf_lock_fence'
   */
  fenceSequence?: string
  /** Longest pause between two tries while another session holds a resource, ms. @default 100 */
  pollMs?: number
  /** Prepended to each resource before hashing it to a 64-bit advisory key. @default 'perf:' */
  keyPrefix?: string
}

interface Session {
  client: pg.ClientBase
  owned: boolean
  dead: boolean
  /** The last statement queued: statements run one at a time, in the order they were asked for. */
  tail: Promise<unknown>
}

/**
 * Queues a statement on the session. node-postgres queues concurrent queries itself today but
 * deprecates it (pg@9 removes it), and the order matters here: an unlock asked for before a try
 * must reach the server first.
 */
function run<R extends pg.QueryResultRow>(s: Session, sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
  const result = s.tail.then(() => s.client.query<R>(sql, params))
  s.tail = result.catch(() => undefined)
  return result
}

const MAX_TTL = 2 ** 31 - 1

function canonical(resources: string | readonly string[], name: string): string[] {
  const list = typeof resources === 'string' ? [resources] : resources
  if (!Array.isArray(list) || list.length === 0 || list.some((r) => typeof r !== 'string' || r.length === 0)) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:${name}] resources must be a non-empty string or a non-empty array of them`,
      {
        context: { argument: 'resources' },
      },
    )
  }
  return [...new Set(list)].sort()
}

/**
 * A `Locker` on PostgreSQL advisory locks, for applications that have PostgreSQL and no Redis.
 * Locks are session-level, held on one dedicated connection this locker checks out of the pool
 * (or the client you pass) until `close()`; resources are hashed to 64-bit keys with
 * `hashtextextended`. Fences come from a sequence, so they increase across every process that
 * shares the database. The TTL is enforced by this process (the server has no lock expiry): an
 * expired lock is unlocked by its holder's process, and a crashed process's locks are freed when
 * its connection closes. Waiting for a lock held by another process polls with `pg_try_advisory_lock`
 * (backing off to `pollMs`); waiting for one held in this process wakes on its release.
 *
 * @example
 * const locker = pgAdvisoryLocker(pool)
 * await locker.using(`invoice:${id}`, 10_000, async (signal, lock) => send(invoice, { fence: lock.fence, signal }))
 * @throws PerfError CLIENT_INVALID / INVALID_OPTION for a bad pool or option
 */
export function pgAdvisoryLocker(
  db: PgQueryable,
  options: PgAdvisoryLockerOptions = {},
): Locker & { close(): Promise<void> } {
  return new PgAdvisoryLocker(db, options)
}

class PgAdvisoryLocker implements Locker, LockHost {
  readonly name: string
  readonly #db: PgQueryable
  readonly #waitMs: number
  readonly #extendAt: number
  readonly #sequence: string
  readonly #pollMs: number
  readonly #prefix: string
  #session: Promise<Session> | undefined
  /** The session once connected, for statements that must be queued without an await. */
  #live: Session | undefined
  #closed = false
  /** Resources held here or being tried on the server: never tried twice at once (a session re-enters its own locks). */
  readonly #busy = new Map<string, PgAdvisoryLock | 'trying'>()
  readonly #waiters = new Set<() => void>()

  constructor(db: PgQueryable, options: PgAdvisoryLockerOptions) {
    assertQueryable(db, 'pgAdvisoryLocker')
    this.#db = db
    this.name = options.name ?? 'pg-advisory'
    this.#waitMs = option(options.waitMs ?? 10_000, 'waitMs', 0, MAX_TTL)
    const extendAt = options.extendAt ?? 0.5
    if (typeof extendAt !== 'number' || !(extendAt > 0 && extendAt < 1)) {
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:pg-advisory] option "extendAt" must be between 0 and 1 (exclusive), got ${String(extendAt)}`,
        {
          context: { option: 'extendAt', value: extendAt },
        },
      )
    }
    this.#extendAt = extendAt
    this.#pollMs = option(options.pollMs ?? 100, 'pollMs', 1, 60_000)
    this.#sequence = quoteTable(options.fenceSequence ?? 'perf_lock_fence')
    this.#prefix = options.keyPrefix ?? 'perf:'
  }

  #connect(): Promise<Session> {
    if (this.#session) return this.#session
    const session = (async (): Promise<Session> => {
      const owned = isPool(this.#db)
      const client = owned ? await (this.#db as pg.Pool).connect() : (this.#db as pg.ClientBase)
      const s: Session = { client, owned, dead: false, tail: Promise.resolve() }
      const gone = (): void => this.#sessionLost(s)
      client.on('error', gone)
      client.on('end', gone)
      try {
        await run(s, `CREATE SEQUENCE IF NOT EXISTS ${this.#sequence}`)
      } catch (error) {
        // Two processes creating it at once: one wins, the other sees a duplicate; both can go on.
        const code = (error as { code?: string }).code
        if (code !== '23505' && code !== '42P07') {
          this.#sessionLost(s)
          throw error
        }
      }
      this.#live = s
      return s
    })()
    this.#session = session
    session.catch(() => {
      if (this.#session === session) this.#session = undefined
    })
    return session
  }

  #sessionLost(s: Session): void {
    if (s.dead) return
    s.dead = true
    if (this.#live === s) this.#live = undefined
    if (this.#session)
      void this.#session.then(
        (current) => current === s && (this.#session = undefined),
        () => undefined,
      )
    for (const [resource, holder] of this.#busy) {
      if (holder !== 'trying') holder.lose('lost', false)
      this.#busy.delete(resource)
    }
    if (s.owned) (s.client as pg.PoolClient).release(true)
    this.#wake()
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }

  /** Waits for a local release, `ms`, or the signal, whichever comes first. */
  #pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      timer.unref?.()
      this.#waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  async acquire(resources: string | readonly string[], ttlMs: number, opts: AcquireOptions = {}): Promise<Lock> {
    const list = canonical(resources, this.name)
    if (typeof ttlMs !== 'number' || !(ttlMs > 0) || ttlMs > MAX_TTL) {
      throw new PerfError('INVALID_TTL', `[perf:${this.name}] ttlMs must be > 0 and <= 2^31-1, got ${String(ttlMs)}`, {
        context: { ttlMs },
      })
    }
    const waitMs = option(opts.waitMs ?? this.#waitMs, 'waitMs', 0, MAX_TTL)
    const owner = opts.owner ?? randomUUID()
    const { signal } = opts
    const started = Date.now()
    let backoff = 5
    for (;;) {
      if (signal?.aborted) throw aborted(signal, this.name)
      if (this.#closed)
        throw new PerfError('ABORTED', `[perf:${this.name}] acquire(${JSON.stringify(list)}): the locker was closed`)
      let remote = false
      if (list.every((r) => !this.#busy.has(r))) {
        for (const r of list) this.#busy.set(r, 'trying')
        let fence: number | undefined
        try {
          fence = await this.#try(list)
        } catch (error) {
          for (const r of list) if (this.#busy.get(r) === 'trying') this.#busy.delete(r)
          this.#wake()
          throw new LockError(
            'LOCK_BACKEND_ERROR',
            `[perf:${this.name}] acquire(${JSON.stringify(list)}) failed: ${(error as Error).message}`,
            {
              cause: error,
              context: { resources: list, owner },
            },
          )
        }
        if (fence !== undefined && !signal?.aborted && !this.#closed) {
          const lock = new PgAdvisoryLock(this, list, owner, fence, ttlMs)
          for (const r of list) this.#busy.set(r, lock)
          this.publish({
            type: 'acquire',
            locker: this.name,
            resources: list,
            owner,
            fence,
            ttlMs,
            durationMs: Date.now() - started,
          })
          return lock
        }
        if (fence !== undefined && this.#live) await this.#unlockKeys(this.#live, list).catch(() => undefined)
        for (const r of list) this.#busy.delete(r)
        this.#wake()
        remote = fence === undefined
      }
      const left = started + waitMs - Date.now()
      if (left <= 0) {
        const holder = list.map((r) => this.#busy.get(r)).find((h) => h !== undefined && h !== 'trying')
        const by =
          holder instanceof PgAdvisoryLock
            ? `owner "${holder.owner}" in this process (fence ${holder.fence})`
            : 'another session'
        this.publish({
          type: 'timeout',
          locker: this.name,
          resources: list,
          owner,
          resource: list[0]!,
          holder: holder instanceof PgAdvisoryLock ? holder.owner : undefined,
          durationMs: Date.now() - started,
        })
        const what =
          waitMs === 0
            ? 'was not free (waitMs=0 tries once)'
            : `timed out after ${Date.now() - started}ms (waitMs=${waitMs})`
        throw new LockError(
          'LOCK_TIMEOUT',
          `[perf:${this.name}] acquire(${JSON.stringify(list)}) ${what}, held by ${by}`,
          {
            context: { resources: list, resource: list[0], owner, waitMs },
          },
        )
      }
      await this.#pause(remote ? Math.min(backoff, left) : left, signal)
      if (remote) backoff = Math.min(backoff * 2, this.#pollMs)
    }
  }

  /** Tries every key at once; the fence when all were free, else undefined (and nothing kept). */
  async #try(list: string[]): Promise<number | undefined> {
    const session = await this.#connect()
    const { rows } = await run<{ got: string[] | null; fence: string | null }>(
      session,
      `WITH t AS MATERIALIZED (
         SELECT r, pg_try_advisory_lock(hashtextextended($2 || r, 0)) AS ok FROM unnest($1::text[]) WITH ORDINALITY AS u(r, n) ORDER BY n
       )
       SELECT (SELECT array_agg(r) FROM t WHERE ok) AS got,
              CASE WHEN (SELECT bool_and(ok) FROM t) THEN nextval($3::regclass)::text END AS fence`,
      [list, this.#prefix, this.#sequence],
    )
    const row = rows[0]
    if (row?.fence) return Number(row.fence)
    if (row?.got && row.got.length > 0) await this.#unlockKeys(session, row.got)
    return undefined
  }

  #unlockKeys(session: Session, list: readonly string[]): Promise<unknown> {
    return run(session, 'SELECT pg_advisory_unlock(hashtextextended($2 || r, 0)) FROM unnest($1::text[]) AS r', [
      list,
      this.#prefix,
    ])
  }

  async unlock(lock: PgAdvisoryLock): Promise<void> {
    const session = this.#live
    try {
      // Queued on the session before the resources are marked free, so a later try runs after it.
      const done = session ? this.#unlockKeys(session, lock.resources) : Promise.resolve()
      for (const r of lock.resources) if (this.#busy.get(r) === lock) this.#busy.delete(r)
      this.#wake()
      await done
    } catch (error) {
      throw new LockError(
        'LOCK_BACKEND_ERROR',
        `[perf:${this.name}] unlock of ${JSON.stringify(lock.resources)} failed`,
        { cause: error },
      )
    }
  }

  publish(event: LockEvent): void {
    const channel = diagnosticsChannel.channel('perf:lock')
    if (channel.hasSubscribers) channel.publish(event)
  }

  async ping(): Promise<void> {
    const session = await this.#connect()
    if (session.dead) throw new Error('session ended')
    await run(session, 'SELECT 1')
  }

  using<T>(
    resources: string | readonly string[],
    ttlMs: number,
    fn: (signal: AbortSignal, lock: Lock) => Promise<T>,
    opts: UsingOptions = {},
  ): Promise<T> {
    const { extendAt = this.#extendAt, ...acquireOptions } = opts
    return this.acquire(resources, ttlMs, acquireOptions).then((lock) =>
      runWithLock(lock, ttlMs, fn, { extendAt, signal: opts.signal, locker: this.name }),
    )
  }

  /** Frees every lock this locker holds (they count as lost) and returns its connection to the pool. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#wake()
    const session = await this.#session?.catch(() => undefined)
    const held = [...new Set([...this.#busy.values()].filter((h): h is PgAdvisoryLock => h !== 'trying'))]
    for (const lock of held) lock.lose('lost', false)
    this.#busy.clear()
    if (!session || session.dead) return
    session.dead = true
    if (session.owned) {
      // Ending the session frees its advisory locks; destroy rather than pool a connection that held them.
      ;(session.client as pg.PoolClient).release(true)
    } else {
      await run(session, 'SELECT pg_advisory_unlock_all()').catch(() => undefined)
    }
  }
}

function option(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new PerfError(
      'INVALID_OPTION',
      `[perf:pg-advisory] option "${name}" must be a number in [${min}, ${max}], got ${String(value)}`,
      {
        context: { option: name, value },
      },
    )
  }
  return value
}

function aborted(signal: AbortSignal, name: string): Error {
  const reason: unknown = signal.reason
  if (reason instanceof Error && reason.name !== 'AbortError') return reason
  return new PerfError('ABORTED', `[perf:${name}] acquire() was aborted`, { cause: reason })
}
