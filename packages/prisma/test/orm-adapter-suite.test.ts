import { randomBytes } from 'node:crypto'
import type { Cache, Monitor } from '@perf/core'
import {
  ormAdapterSuite,
  ormSuiteSchema,
  type OrmAdapterHarness,
  type OrmSuiteRead,
  type OrmSuiteTransaction,
  type OrmSuiteWrite,
  type OrmSuiteWriteArgs,
} from '@perf/core/testing'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { perf } from '../src/index.js'
import { Prisma, PrismaClient } from './generated-suite/client.js'
import { DATABASE_URL, postgresAvailable } from './setup/database.js'

const available = await postgresAvailable()
const cached = { cacheStrategy: { ttl: 300 } }

async function harness(cache: Cache, monitor: Monitor): Promise<OrmAdapterHarness> {
  const schema = `perf_suite_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA "${schema}"`)
  await admin.query(`SET search_path TO "${schema}"`)
  for (const statement of ormSuiteSchema('postgres')) await admin.query(statement)
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, options: `-c search_path="${schema}"` })
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema }) })
  const db = prisma.$extends(perf({ cache, monitor, pool }))
  type Client = Omit<typeof db, '$perf' | '$queryRawCached'> & Partial<Pick<typeof db, '$queryRawCached'>>

  /** One statement each, so a fail-open read runs exactly one. The join goes through $queryRawCached (Prisma's include would run two). */
  const postsWithAuthors = Prisma.sql`SELECT p.id, p.title, u.name AS author FROM perf_posts p JOIN perf_users u ON u.id = p.author_id ORDER BY p.id`
  const read = (c: Client, name: OrmSuiteRead, withCache: boolean, arg?: number): Promise<unknown> => {
    const strategy = withCache ? cached : {}
    switch (name) {
      case 'userById':
        return c.suiteUser.findUnique({ where: { id: arg as number }, ...strategy })
      case 'allUsers':
        return c.suiteUser.findMany({ orderBy: { id: 'asc' }, ...strategy })
      case 'postsWithAuthors':
        return withCache && c.$queryRawCached
          ? c.$queryRawCached(postsWithAuthors, cached.cacheStrategy)
          : c.$queryRaw(postsWithAuthors)
      case 'tagsOfPost':
        return c.suiteTag.findMany({
          where: { posts: { some: { postId: arg as number } } },
          orderBy: { id: 'asc' },
          ...strategy,
        })
      case 'allTags':
        return c.suiteTag.findMany({ orderBy: { id: 'asc' }, ...strategy })
    }
  }
  const write = async (c: Client, kind: OrmSuiteWrite, a: OrmSuiteWriteArgs): Promise<void> => {
    const name = a.name ?? 'x'
    switch (kind) {
      case 'insertUser':
        await c.suiteUser.create({ data: { id: a.id, name, createdAt: new Date() } })
        return
      case 'updateUserName':
        await c.suiteUser.update({ where: { id: a.id }, data: { name } })
        return
      case 'deleteUser':
        await c.suiteUser.delete({ where: { id: a.id } })
        return
      case 'upsertUser':
        await c.suiteUser.upsert({
          where: { id: a.id },
          create: { id: a.id, name, createdAt: new Date() },
          update: { name },
        })
        return
      case 'rawUpdateUserName':
        await c.$executeRawUnsafe(`UPDATE "${schema}".perf_users SET name = $1 WHERE id = $2`, name, a.id)
        return
      case 'linkTagToPost':
        await c.suitePost.update({ where: { id: a.id }, data: { tags: { create: { tagId: a.tagId as number } } } })
        return
      case 'renameTag':
        await c.suiteTag.update({ where: { id: a.id }, data: { name } })
        return
    }
  }
  const wrapTx = (tx: Client): OrmSuiteTransaction => ({
    write: (kind, args) => write(tx, kind, args),
    read: (name, arg) => read(tx, name, false, arg),
    savepoint: async (fn) => {
      await (tx as unknown as typeof db).$transaction(async (inner) => fn(wrapTx(inner as unknown as Client)))
    },
  })
  return {
    source: 'prisma',
    read: (name, withCache, arg) => read(db, name, withCache, arg),
    write: (kind, args) => write(db, kind, args),
    transaction: async (fn) => {
      await db.$transaction(async (tx) => fn(wrapTx(tx as unknown as Client)))
    },
    sql: (text) => admin.query(text).then(() => undefined),
    statements: () => db.$perf.stats().pool?.statements ?? 0,
    async close() {
      await db.$perf.close()
      await prisma.$disconnect()
      await pool.end()
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`)
      await admin.end()
    },
  }
}

if (available) {
  // No gates: holding a statement's rows inside @prisma/adapter-pg did not work from a harness yet.
  // The same race runs in transactions.test.ts (the slow-reader tests, with a gated pg.Pool).
  ormAdapterSuite({ describe, it, expect }, ({ cache, monitor }) => harness(cache, monitor), { gates: false })
} else {
  describe.skip('ormAdapterSuite (PostgreSQL unavailable)', () => it('skipped', () => undefined))
}
