import type { Cache, Monitor, QueryEvent } from '@perf/core'
import {
  type OrmAdapterHarness,
  type OrmSuiteRead,
  type OrmSuiteTransaction,
  type OrmSuiteWrite,
  type OrmSuiteWriteArgs,
  ormAdapterSuite,
  ormSuiteSchema,
} from '@perf/core/testing'
import type * as typeorm1 from 'typeorm'
import { describe, expect, it } from 'vitest'
import { instrument, queryResultCache } from '../src/index.js'
import { type InstDatabase, MATRIX } from './fixtures/inst-harness.js'

interface User {
  id: number
  name: string
  email: string | null
  balance: string
  createdAt: Date
  profile: unknown
}
interface Post {
  id: number
  title: string
  author?: User
  tags?: Tag[]
}
interface Tag {
  id: number
  name: string
  posts?: Post[]
}

/** The suite's tables (ormSuiteSchema) as TypeORM entities. */
function suiteEntities(typeorm: typeof typeorm1, dialect: 'postgres' | 'mysql', pgTimestamp: string) {
  const User = new typeorm.EntitySchema<User>({
    name: 'User',
    tableName: 'perf_users',
    columns: {
      id: { type: 'int', primary: true },
      name: { type: 'varchar', length: 100 },
      email: { type: 'varchar', length: 200, nullable: true },
      balance: { type: 'numeric', precision: 12, scale: 2, default: 0 },
      createdAt: {
        name: 'created_at',
        type: (dialect === 'postgres' ? pgTimestamp : 'datetime') as 'datetime',
        precision: 3,
      },
      profile: { type: dialect === 'postgres' ? 'jsonb' : 'json', nullable: true },
    },
  })
  const Post = new typeorm.EntitySchema<Post>({
    name: 'Post',
    tableName: 'perf_posts',
    columns: { id: { type: 'int', primary: true }, title: { type: 'varchar', length: 200 } },
    relations: {
      author: { type: 'many-to-one', target: 'User', joinColumn: { name: 'author_id' } },
      tags: {
        type: 'many-to-many',
        target: 'Tag',
        inverseSide: 'posts',
        joinTable: {
          name: 'perf_post_tags',
          joinColumn: { name: 'post_id', referencedColumnName: 'id' },
          inverseJoinColumn: { name: 'tag_id', referencedColumnName: 'id' },
        },
      },
    },
  })
  const Tag = new typeorm.EntitySchema<Tag>({
    name: 'Tag',
    tableName: 'perf_tags',
    columns: { id: { type: 'int', primary: true }, name: { type: 'varchar', length: 100 } },
    relations: { posts: { type: 'many-to-many', target: 'Post', inverseSide: 'tags' } },
  })
  return { User, Post, Tag }
}

type Gate = { reached: () => void; wait: Promise<void> }

/** Which caching the suite goes through: cached finds (the fast path) or the provider (QueryBuilder.cache()). */
type Path = 'finds' | 'provider'

async function harness(
  typeorm: typeof typeorm1,
  create: () => Promise<InstDatabase>,
  cache: Cache,
  monitor: Monitor,
  path: Path,
): Promise<OrmAdapterHarness> {
  const db = await create()
  const dialect = (db.options as { type: string }).type === 'postgres' ? 'postgres' : 'mysql'
  for (const statement of ormSuiteSchema(dialect)) await db.sql(statement)
  // The provider's hits go through TypeORM's JSON path, where TypeORM 0.3 leaves the `timestamptz`
  // alias a string (docs/typeorm.md, provider limits); the canonical type name hydrates to a Date.
  const pgTimestamp = path === 'provider' ? 'timestamp with time zone' : 'timestamptz'
  const { User, Post, Tag } = suiteEntities(typeorm, dialect, pgTimestamp)
  const ds = new typeorm.DataSource({
    ...db.options,
    entities: [User, Post, Tag],
    synchronize: false,
    ...(path === 'provider' ? { cache: { provider: () => queryResultCache(cache, { monitor }) } } : {}),
  } as unknown as typeorm1.DataSourceOptions)
  await ds.initialize()

  // Holds the next read of perf_users after its rows arrived (wrapped inside instrument()'s wrapper).
  let gate: Gate | undefined
  const driver = ds.driver as unknown as { createQueryRunner: (...a: unknown[]) => typeorm1.QueryRunner }
  const create0 = driver.createQueryRunner.bind(driver)
  driver.createQueryRunner = (...args: unknown[]) => {
    const runner = create0(...args)
    const query = runner.query.bind(runner) as (sql: string, ...rest: unknown[]) => Promise<unknown>
    runner.query = (async (sql: string, ...rest: unknown[]) => {
      const result = await query(sql, ...rest)
      const held = gate
      if (held !== undefined && /^\s*SELECT/i.test(sql) && sql.includes('perf_users')) {
        gate = undefined
        held.reached()
        await held.wait
      }
      return result
    }) as typeorm1.QueryRunner['query']
    return runner
  }

  let statements = 0
  const record = monitor.record.bind(monitor)
  monitor.record = (event: QueryEvent) => {
    if (event.sql !== undefined && event.cache !== 'hit') statements++
    record(event)
  }
  const perf = instrument(ds, { cache, monitor })

  const qbReads = (
    m: typeorm1.EntityManager,
    cached: boolean,
  ): Record<OrmSuiteRead, (arg?: number) => Promise<unknown>> => {
    const c = cached ? 60_000 : false
    return {
      userById: (id) => m.getRepository(User).createQueryBuilder('u').where('u.id = :id', { id }).cache(c).getOne(),
      allUsers: () => m.getRepository(User).createQueryBuilder('u').orderBy('u.id').cache(c).getMany(),
      postsWithAuthors: () =>
        m
          .getRepository(Post)
          .createQueryBuilder('p')
          .leftJoinAndSelect('p.author', 'a')
          .orderBy('p.id')
          .cache(c)
          .getMany(),
      tagsOfPost: (id) =>
        m
          .getRepository(Tag)
          .createQueryBuilder('t')
          .innerJoin('t.posts', 'p', 'p.id = :id', { id })
          .orderBy('t.id')
          .cache(c)
          .getMany(),
      allTags: () => m.getRepository(Tag).createQueryBuilder('t').orderBy('t.id').cache(c).getMany(),
    }
  }
  const reads = (
    m: typeorm1.EntityManager,
    cached: boolean,
  ): Record<OrmSuiteRead, (arg?: number) => Promise<unknown>> => {
    if (path === 'provider') return qbReads(m, cached)
    const c = cached ? 60_000 : false
    return {
      userById: (id) => m.getRepository(User).findOne({ where: { id }, cache: c }),
      allUsers: () => m.getRepository(User).find({ order: { id: 'ASC' }, cache: c }),
      postsWithAuthors: () =>
        m.getRepository(Post).find({ relations: { author: true }, order: { id: 'ASC' }, cache: c }),
      tagsOfPost: (id) => m.getRepository(Tag).find({ where: { posts: { id } }, order: { id: 'ASC' }, cache: c }),
      allTags: () => m.getRepository(Tag).find({ order: { id: 'ASC' }, cache: c }),
    }
  }
  const placeholder = (n: number) => (dialect === 'postgres' ? `$${n}` : '?')
  const writes = (m: typeorm1.EntityManager): Record<OrmSuiteWrite, (a: OrmSuiteWriteArgs) => Promise<unknown>> => ({
    insertUser: (a) => m.getRepository(User).insert({ id: a.id, name: a.name as string, createdAt: new Date() }),
    updateUserName: (a) => m.getRepository(User).update(a.id, { name: a.name as string }),
    deleteUser: (a) => m.getRepository(User).delete(a.id),
    upsertUser: (a) =>
      m.getRepository(User).upsert({ id: a.id, name: a.name as string, createdAt: new Date() }, ['id']),
    rawUpdateUserName: (a) =>
      m.query(`UPDATE perf_users SET name = ${placeholder(1)} WHERE id = ${placeholder(2)}`, [a.name, a.id]),
    linkTagToPost: (a) => m.createQueryBuilder().relation(Post, 'tags').of(a.id).add(a.tagId),
    renameTag: (a) => m.getRepository(Tag).update(a.id, { name: a.name as string }),
  })
  const wrapTx = (m: typeorm1.EntityManager): OrmSuiteTransaction => ({
    write: async (kind, args) => {
      await writes(m)[kind](args)
    },
    read: (name, arg) => reads(m, false)[name](arg),
    savepoint: (fn) => m.transaction((inner) => fn(wrapTx(inner))),
  })

  return {
    source: 'typeorm',
    read: (name, cached, arg) => reads(ds.manager, cached)[name](arg),
    write: async (kind, args) => {
      await writes(ds.manager)[kind](args)
    },
    transaction: (fn) => ds.transaction((m) => fn(wrapTx(m))),
    sql: async (text) => {
      await db.sql(text)
    },
    statements: () => statements,
    gateNextUserRead() {
      let reached!: () => void
      let release!: () => void
      const reachedP = new Promise<void>((r) => (reached = r))
      const wait = new Promise<void>((r) => (release = r))
      gate = { reached, wait }
      return { reached: reachedP, release }
    },
    async close() {
      perf.uninstrument()
      await ds.destroy().catch(() => undefined)
      await db.drop()
    },
  }
}

for (const { label, typeorm, up, create } of MATRIX) {
  for (const path of ['finds', 'provider'] as const) {
    const via = path === 'finds' ? 'cached finds' : 'queryResultCache'
    describe.skipIf(!up)(`@perf/typeorm conformance (${via}) — ${label}`, () => {
      ormAdapterSuite(
        { describe, it, expect },
        ({ cache, monitor }) => harness(typeorm, create, cache, monitor, path),
        {
          gates: true,
        },
      )
    })
  }
}
