import type { Cache } from '../cache/cache.js'
import { createCache } from '../cache/cache.js'
import { MemoryStore } from '../cache/memory/memory-store.js'
import { createMonitor } from '../monitor/monitor.js'
import type { Monitor } from '../monitor/monitor.js'
import type { QueryEvent } from '../monitor/types.js'
import { chaosStore } from './chaos-store.js'
import { type TestRunner, skipWithReason } from './runner.js'

/**
 * The reads every ORM adapter serves through the cache, on the suite's schema (see
 * {@link ormSuiteSchema}): `userById` (arg: id), `allUsers`, `postsWithAuthors` (posts joined to
 * their authors), `tagsOfPost` (arg: post id; tags joined through `perf_post_tags`), `allTags`.
 */
export type OrmSuiteRead = 'userById' | 'allUsers' | 'postsWithAuthors' | 'tagsOfPost' | 'allTags'

/**
 * The writes every adapter must turn into invalidations, each through the ORM's own API unless
 * named raw: `insertUser` (id, name), `updateUserName` (id, name), `deleteUser` (id; a user without
 * posts), `upsertUser` (id, name; the row exists), `rawUpdateUserName` (id, name; the ORM's raw-SQL
 * call with an `UPDATE perf_users ...`), `linkTagToPost` (id: post, tagId; the ORM's relation API
 * writing `perf_post_tags`), `renameTag` (id, name).
 */
export type OrmSuiteWrite =
  'insertUser' | 'updateUserName' | 'deleteUser' | 'upsertUser' | 'rawUpdateUserName' | 'linkTagToPost' | 'renameTag'

/** Arguments of a write; which fields a write uses is listed on {@link OrmSuiteWrite}. */
export interface OrmSuiteWriteArgs {
  id: number
  name?: string
  tagId?: number
}

/** What runs inside a transaction: writes, uncached reads, and nested savepoints. */
export interface OrmSuiteTransaction {
  write(kind: OrmSuiteWrite, args: OrmSuiteWriteArgs): Promise<void>
  /** A read on the transaction's connection (adapters bypass the cache there). */
  read(name: OrmSuiteRead, arg?: number): Promise<unknown>
  /** A nested transaction (SAVEPOINT): rolled back to the savepoint when `fn` throws, the error rethrown. */
  savepoint(fn: (tx: OrmSuiteTransaction) => Promise<void>): Promise<void>
}

/** One adapter on a fresh database with the suite's schema and seed rows, bound to the suite's cache and monitor. */
export interface OrmAdapterHarness {
  /** The `source` the adapter puts on its QueryEvents (`'prisma'`, `'typeorm'`, ...). */
  source: string
  /**
   * A read through the adapter: with `cached` true the adapter's cache option is on (ttl of at
   * least a minute); with false it is the same call without caching. Return what the ORM returns.
   */
  read(name: OrmSuiteRead, cached: boolean, arg?: number): Promise<unknown>
  write(kind: OrmSuiteWrite, args: OrmSuiteWriteArgs): Promise<void>
  /** An ORM transaction: committed when `fn` resolves, rolled back (error rethrown) when it throws. */
  transaction(fn: (tx: OrmSuiteTransaction) => Promise<void>): Promise<void>
  /** SQL run around the adapter (no cache, no invalidation): the suite changes rows behind the cache's back. */
  sql(text: string): Promise<void>
  /** How many statements the adapter sent to the database since the harness was made (monotonic). */
  statements(): number
  /**
   * Optional: holds the next statement that reads `perf_users` after it returned its rows and
   * before the adapter sees them, so the suite can commit a write in between (the slow-reader race).
   */
  gateNextUserRead?(): { reached: Promise<void>; release(): void }
  close(): Promise<void>
}

/** What the suite hands the factory: the cache and monitor the adapter must use. */
export interface OrmAdapterContext {
  cache: Cache
  monitor: Monitor
}

export type OrmAdapterFactory = (ctx: OrmAdapterContext) => Promise<OrmAdapterHarness>

export interface OrmAdapterSuiteOptions {
  /** Builds the cache for each test (for example with a Redis tier). @default createCache({ tiers: [new MemoryStore()] }) */
  cache?: () => Cache
  /** Per-test timeout, ms. @default 30_000 */
  timeoutMs?: number
  /** The harness implements `gateNextUserRead`: run the slow-reader race (skipped visibly otherwise). @default false */
  gates?: boolean
}

/**
 * The schema and seed rows every harness creates before it returns (in a fresh schema or
 * database), one statement per entry. The adapter maps its models or entities onto these tables.
 *
 * Seed: users 1 `ann` (balance 10.50) and 2 `bob` with posts 10 and 11, user 3 `dee` without posts;
 * tags 100 `red` and 101 `blue`; post 10 tagged `red`.
 */
export function ormSuiteSchema(dialect: 'postgres' | 'mysql'): string[] {
  const pg = dialect === 'postgres'
  const json = pg ? 'jsonb' : 'json'
  const ts = pg ? 'timestamptz' : 'datetime(3)'
  return [
    `CREATE TABLE perf_users (id integer PRIMARY KEY, name varchar(100) NOT NULL, email varchar(200) NULL, balance numeric(12,2) NOT NULL DEFAULT 0, created_at ${ts} NOT NULL, profile ${json} NULL)`,
    `CREATE TABLE perf_posts (id integer PRIMARY KEY, author_id integer NOT NULL REFERENCES perf_users(id), title varchar(200) NOT NULL)`,
    `CREATE TABLE perf_tags (id integer PRIMARY KEY, name varchar(100) NOT NULL)`,
    `CREATE TABLE perf_post_tags (post_id integer NOT NULL REFERENCES perf_posts(id), tag_id integer NOT NULL REFERENCES perf_tags(id), PRIMARY KEY (post_id, tag_id))`,
    `INSERT INTO perf_users (id, name, email, balance, created_at, profile) VALUES (1, 'ann', 'ann@example.com', 10.50, '2024-01-02 03:04:05.678', '{"tier":"gold","tags":["a"]}'), (2, 'bob', NULL, 0, '2024-02-03 04:05:06.789', NULL), (3, 'dee', NULL, 1.25, '2024-03-04 05:06:07.000', '{"n":1}')`,
    `INSERT INTO perf_posts (id, author_id, title) VALUES (10, 1, 'hello'), (11, 2, 'world')`,
    `INSERT INTO perf_tags (id, name) VALUES (100, 'red'), (101, 'blue')`,
    `INSERT INTO perf_post_tags (post_id, tag_id) VALUES (10, 100)`,
  ]
}

const READS: readonly [OrmSuiteRead, number | undefined][] = [
  ['userById', 1],
  ['allUsers', undefined],
  ['postsWithAuthors', undefined],
  ['tagsOfPost', 10],
  ['allTags', undefined],
]

/** For each write: the reads that must show it at once, and a read that must stay cached (another table). */
const INVALIDATION: readonly {
  write: OrmSuiteWrite
  args: OrmSuiteWriteArgs
  refreshed: readonly [OrmSuiteRead, number | undefined][]
  untouched: readonly [OrmSuiteRead, number | undefined][]
}[] = [
  {
    write: 'insertUser',
    args: { id: 4, name: 'eve' },
    refreshed: [['allUsers', undefined]],
    untouched: [['allTags', undefined]],
  },
  {
    write: 'updateUserName',
    args: { id: 1, name: 'ann-2' },
    refreshed: [
      ['userById', 1],
      ['allUsers', undefined],
      ['postsWithAuthors', undefined],
    ],
    untouched: [['tagsOfPost', 10]],
  },
  { write: 'deleteUser', args: { id: 3 }, refreshed: [['allUsers', undefined]], untouched: [['allTags', undefined]] },
  {
    write: 'upsertUser',
    args: { id: 1, name: 'ann-3' },
    refreshed: [
      ['userById', 1],
      ['postsWithAuthors', undefined],
    ],
    untouched: [['allTags', undefined]],
  },
  {
    write: 'rawUpdateUserName',
    args: { id: 1, name: 'ann-raw' },
    refreshed: [
      ['userById', 1],
      ['postsWithAuthors', undefined],
    ],
    untouched: [['allTags', undefined]],
  },
  {
    write: 'linkTagToPost',
    args: { id: 10, tagId: 101 },
    refreshed: [['tagsOfPost', 10]],
    untouched: [['userById', 1]],
  },
  {
    write: 'renameTag',
    args: { id: 100, name: 'crimson' },
    refreshed: [
      ['tagsOfPost', 10],
      ['allTags', undefined],
    ],
    untouched: [['userById', 1]],
  },
]

/**
 * The conformance tests of an ORM adapter on a real database: hits without statements, cached
 * values equal to uncached ones, table tags across joins and join tables, invalidation on every
 * write kind (an unrelated table's entries survive), transactions (invalidated after commit only,
 * nothing on rollback, a rolled-back savepoint drops only its writes, reads inside bypass the
 * cache), the slow-reader race (with `gateNextUserRead`), fail-open on a broken cache tier without
 * running a statement twice, and monitor events. The factory is called once per test and must
 * return an adapter on a fresh database holding {@link ormSuiteSchema}.
 *
 * @example
 * import { describe, it, expect, afterEach } from 'vitest'
 * ormAdapterSuite({ describe, it, expect, afterEach }, async ({ cache, monitor }) => myHarness(cache, monitor))
 */
export function ormAdapterSuite(
  runner: TestRunner,
  factory: OrmAdapterFactory,
  options: OrmAdapterSuiteOptions = {},
): void {
  if (typeof runner?.describe !== 'function' || typeof runner.it !== 'function' || typeof runner.expect !== 'function')
    throw new TypeError('[perf:testing] ormAdapterSuite needs a runner { describe, it, expect }')
  if (typeof factory !== 'function') throw new TypeError('[perf:testing] ormAdapterSuite needs a factory function')
  const { expect } = runner
  const timeout = options.timeoutMs ?? 30_000

  /** Runs `fn` with a fresh harness; closes it and the cache afterwards. */
  const withHarness =
    (
      fn: (h: OrmAdapterHarness, ctx: OrmAdapterContext & { events: QueryEvent[] }) => Promise<void>,
      cache?: () => Cache,
    ) =>
    async () => {
      const c = (cache ?? options.cache ?? (() => createCache({ tiers: [new MemoryStore()] })))()
      const events: QueryEvent[] = []
      const monitor = createMonitor({ eventLoopDelay: false })
      const record = monitor.record.bind(monitor)
      monitor.record = (event: QueryEvent) => {
        events.push(event)
        record(event)
      }
      const h = await factory({ cache: c, monitor })
      try {
        await fn(h, { cache: c, monitor, events })
      } finally {
        await h.close()
        await c.close()
      }
    }

  /** Reads through the cache and returns the value with the number of statements it ran. */
  const counted = async (h: OrmAdapterHarness, name: OrmSuiteRead, arg?: number) => {
    const before = h.statements()
    const value = await h.read(name, true, arg)
    return { value, statements: h.statements() - before }
  }

  const expectHit = async (h: OrmAdapterHarness, name: OrmSuiteRead, arg?: number) => {
    const { value, statements } = await counted(h, name, arg)
    expect({ read: name, statements }).toEqual({ read: name, statements: 0 })
    return value
  }

  const expectFresh = async (h: OrmAdapterHarness, name: OrmSuiteRead, arg?: number) => {
    const cached = await h.read(name, true, arg)
    const fresh = await h.read(name, false, arg)
    expect({ read: name, value: cached }).toStrictEqual({ read: name, value: fresh })
  }

  runner.describe('ormAdapterSuite', () => {
    runner.describe('reads', () => {
      runner.it(
        'a repeated read is a hit: no statement, and the cached value equals the uncached one (types included)',
        withHarness(async (h) => {
          for (const [name, arg] of READS) {
            const miss = await counted(h, name, arg)
            expect({ read: name, statements: miss.statements > 0 }).toEqual({ read: name, statements: true })
            const hit = await expectHit(h, name, arg)
            const uncached = await h.read(name, false, arg)
            expect({ read: name, value: hit }).toStrictEqual({ read: name, value: uncached })
            expect({ read: name, value: miss.value }).toStrictEqual({ read: name, value: uncached })
          }
        }),
        timeout,
      )

      runner.it(
        'a change made around the adapter is not seen until the entry is invalidated (the read really is cached)',
        withHarness(async (h, { cache }) => {
          const before = await h.read('userById', true, 1)
          await h.sql(`UPDATE perf_users SET name = 'behind' WHERE id = 1`)
          expect(await expectHit(h, 'userById', 1)).toStrictEqual(before)
          await cache.invalidateTags(['table:perf_users'])
          await expectFresh(h, 'userById', 1)
          expect(await h.read('userById', true, 1)).not.toStrictEqual(before)
        }),
        timeout,
      )

      runner.it(
        'reads are tagged with every table they read: a join is invalidated by either table, a join table by its own tag',
        withHarness(async (h, { cache }) => {
          await h.read('postsWithAuthors', true)
          await h.read('tagsOfPost', true, 10)
          await cache.invalidateTags(['table:perf_users'])
          expect((await counted(h, 'postsWithAuthors')).statements).toBeGreaterThan(0)
          await expectHit(h, 'tagsOfPost', 10)
          await cache.invalidateTags(['table:perf_post_tags'])
          expect((await counted(h, 'tagsOfPost', 10)).statements).toBeGreaterThan(0)
          await expectHit(h, 'postsWithAuthors')
        }),
        timeout,
      )
    })

    runner.describe('invalidation on every write kind', () => {
      for (const c of INVALIDATION) {
        runner.it(
          `${c.write} refreshes ${c.refreshed.map((r) => r[0]).join(', ')} and leaves ${c.untouched.map((r) => r[0]).join(', ')} cached`,
          withHarness(async (h) => {
            for (const [name, arg] of [...c.refreshed, ...c.untouched]) await h.read(name, true, arg)
            await h.write(c.write, c.args)
            for (const [name, arg] of c.refreshed) await expectFresh(h, name, arg)
            for (const [name, arg] of c.untouched) await expectHit(h, name, arg)
          }),
          timeout,
        )
      }
    })

    runner.describe('transactions', () => {
      runner.it(
        'writes invalidate after commit only; reads inside the transaction bypass the cache',
        withHarness(async (h) => {
          const old = await h.read('userById', true, 1)
          await h.transaction(async (tx) => {
            await tx.write('updateUserName', { id: 1, name: 'in-tx' })
            // Outside the transaction the committed row is still the old one, and still cached.
            expect(await expectHit(h, 'userById', 1)).toStrictEqual(old)
            const inside = await tx.read('userById', 1)
            expect(inside).not.toStrictEqual(old)
          })
          await expectFresh(h, 'userById', 1)
          expect(await h.read('userById', true, 1)).not.toStrictEqual(old)
        }),
        timeout,
      )

      runner.it(
        'a rollback leaves the cache as it was, and what the transaction read is not cached',
        withHarness(async (h) => {
          const old = await h.read('userById', true, 1)
          await h.read('allTags', true)
          const boom = new Error('rollback')
          let thrown: unknown
          try {
            await h.transaction(async (tx) => {
              await tx.write('updateUserName', { id: 1, name: 'rolled-back' })
              await tx.write('renameTag', { id: 100, name: 'rolled-back' })
              await tx.read('userById', 1)
              throw boom
            })
          } catch (error) {
            thrown = error
          }
          expect(thrown).toBe(boom)
          expect(await expectHit(h, 'userById', 1)).toStrictEqual(old)
          await expectHit(h, 'allTags')
          expect(await h.read('userById', false, 1)).toStrictEqual(old)
        }),
        timeout,
      )

      runner.it(
        'a rolled-back savepoint drops only its own writes; the outer writes invalidate at commit',
        withHarness(async (h) => {
          await h.read('userById', true, 1)
          const tags = await h.read('allTags', true)
          await h.transaction(async (tx) => {
            await tx.write('updateUserName', { id: 1, name: 'outer' })
            await tx
              .savepoint(async (inner) => {
                await inner.write('renameTag', { id: 100, name: 'inner' })
                throw new Error('to the savepoint')
              })
              .catch(() => undefined)
          })
          await expectFresh(h, 'userById', 1)
          expect(await expectHit(h, 'allTags')).toStrictEqual(tags)
          expect(await h.read('allTags', false)).toStrictEqual(tags)
        }),
        timeout,
      )

      runner.it(
        'a released savepoint joins the outer transaction: its writes invalidate at the outer commit',
        withHarness(async (h) => {
          await h.read('allTags', true)
          await h.transaction(async (tx) => {
            await tx.savepoint(async (inner) => {
              await inner.write('renameTag', { id: 100, name: 'inner-kept' })
            })
            await expectHit(h, 'allTags')
          })
          await expectFresh(h, 'allTags')
        }),
        timeout,
      )
    })

    runner.describe('the slow-reader race', () => {
      const title = 'a read that loaded the pre-commit row cannot cache it after the commit invalidated its table'
      if (options.gates !== true)
        return skipWithReason(runner, title, 'the harness has no gateNextUserRead (options.gates)')
      runner.it(
        title,
        withHarness(async (h) => {
          if (h.gateNextUserRead === undefined)
            throw new Error('options.gates is set but the harness has no gateNextUserRead')
          const gate = h.gateNextUserRead()
          const slow = h.read('userById', true, 1)
          await gate.reached
          await h.transaction(async (tx) => tx.write('updateUserName', { id: 1, name: 'committed' }))
          gate.release()
          await slow
          await expectFresh(h, 'userById', 1)
        }),
        timeout,
      )
    })

    runner.describe('fail open', () => {
      runner.it(
        'a cache tier that throws on every call: reads return database values, one statement each, writes succeed',
        withHarness(
          async (h) => {
            for (const [name, arg] of READS) {
              const { value, statements } = await counted(h, name, arg)
              expect({ read: name, statements }).toEqual({ read: name, statements: 1 })
              expect(value).toStrictEqual(await h.read(name, false, arg))
            }
            await h.write('updateUserName', { id: 1, name: 'still-writes' })
            await expectFresh(h, 'userById', 1)
          },
          () => {
            const chaos = chaosStore(new MemoryStore())
            for (const op of ['get', 'getMany', 'set', 'delete', 'invalidateTags', 'clear'] as const) chaos.fail(op)
            return createCache({ tiers: [chaos.store] })
          },
        ),
        timeout,
      )
    })

    runner.describe('monitoring', () => {
      runner.it(
        'every read is a QueryEvent from the adapter, hits marked as hits, misses with their SQL',
        withHarness(async (h, { events }) => {
          await h.read('userById', true, 1)
          await h.read('userById', true, 1)
          const own = events.filter((e) => e.source === h.source)
          expect(own.some((e) => e.cache === 'hit')).toBe(true)
          const miss = own.find((e) => e.cache === 'miss' || (e.cache === undefined && e.sql !== undefined))
          expect(miss).toBeDefined()
          expect(typeof miss?.sql).toBe('string')
          expect(own.every((e) => typeof e.durationMs === 'number' && e.durationMs >= 0)).toBe(true)
        }),
        timeout,
      )
    })
  })
}
