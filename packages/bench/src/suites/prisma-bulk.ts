import { postgresOrSkip } from '../harness/services.js'
import { INTERLEAVED_METHOD, interleaved, speedTable } from '../harness/rounds.js'
import type { Suite } from '../harness/suite.js'
import { loadPrismaClient, type AccountRow } from './prisma/client.js'
import { BenchDatabase, DATABASE_URL } from './prisma/database.js'

/** The delegate methods the suite uses, typed structurally (the client is generated at run time). */
interface BulkAccountDelegate {
  createMany(args: { data: AccountRow[] }): PromiseLike<{ count: number }>
  update(args: { where: { id: number }; data: Partial<AccountRow> }): PromiseLike<AccountRow>
  count(): PromiseLike<number>
  copyInsert(rows: AccountRow[]): Promise<{ rows: number }>
  bulkUpdate(rows: Array<Partial<AccountRow>>): Promise<{ rows: number }>
}
interface BulkClient {
  account: BulkAccountDelegate
  $transaction<T>(fn: (tx: BulkClient) => Promise<T>, options?: { timeout?: number }): Promise<T>
  $extends(extension: unknown): BulkClient
  $disconnect(): Promise<void>
  $perf?: { close(): Promise<void> }
}

const accounts = (n: number, round: number): AccountRow[] =>
  Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    email: `user${i}@mail.example.com`,
    name: `User ${i} round ${round}`,
    active: (i + round) % 3 !== 0,
    score: (i * 7 + round) % 1000,
    role: 'member',
    createdAt: new Date(1_735_689_600_000 + i * 60_000),
  }))

/** Issue 12: the bulk writes through @perf/prisma vs Prisma's own createMany and per-row updates. */
const suite: Suite = {
  name: 'prisma-bulk',
  title: 'Prisma bulk writes: db.<model>.copyInsert / bulkUpdate vs createMany and per-row update (issue 12)',
  libraries: ['@perf/prisma', '@perf/pg', '@prisma/client', '@prisma/adapter-pg', 'pg'],
  method: INTERLEAVED_METHOD,
  async run(ctx) {
    if (!(await postgresOrSkip(ctx, DATABASE_URL))) return
    let perfPrisma: typeof import('@perf/prisma')
    try {
      perfPrisma = await import('@perf/prisma')
    } catch (error) {
      ctx.skip(`@perf/prisma cannot be loaded (run \`pnpm build\` first): ${(error as Error).message}`)
      return
    }
    const PrismaClient = (await loadPrismaClient((m) => ctx.log(m))) as unknown as new (options: {
      adapter: unknown
    }) => BulkClient
    const { PrismaPg } = await import('@prisma/adapter-pg')
    const db = new BenchDatabase()
    try {
      await db.create(0)
      const pool = db.pool(4)
      const plain = new PrismaClient({ adapter: new PrismaPg(pool, { schema: db.schema }) })
      const wrapped = plain.$extends(perfPrisma.perf({ pool }))
      const admin = db.pool(1)
      const truncate = async () => void (await admin.query('TRUNCATE "Account"'))
      ctx.text(
        `PostgreSQL ${await db.version()} on the same machine; table \`Account { id, email, name, active, score, role, createdAt }\` (int, text ×3, boolean, int, timestamptz(3)) in a schema created for the run. Both clients share one pg.Pool (max 4) through @prisma/adapter-pg.`,
      )

      const n = ctx.size(50_000, 5_000)
      let round = 0
      let data = accounts(n, round)
      const inserted = await interleaved(ctx, ctx.size(5, 1), [
        {
          name: 'db.account.copyInsert',
          prepare: truncate,
          run: async () => void (await wrapped.account.copyInsert(data)),
        },
        {
          name: 'prisma.account.createMany',
          prepare: truncate,
          run: async () => void (await plain.account.createMany({ data })),
        },
      ])
      if ((await plain.account.count()) !== n) throw new Error('[bench prisma-bulk] row count differs after insert')
      speedTable(
        ctx,
        `insert ${n.toLocaleString('en-US')} rows through Prisma`,
        n,
        inserted,
        'db.account.copyInsert',
        'Median of the rounds, cases interleaved; the table is truncated before each run (untimed). createMany is Prisma 7 through @prisma/adapter-pg (multi-row INSERTs it chunks itself); copyInsert maps the fields and streams one COPY.',
      )
      ctx.target(
        'db.<model>.copyInsert ≥ 3× createMany',
        'speed',
        inserted.get('prisma.account.createMany')! / inserted.get('db.account.copyInsert')!,
        '>=',
        3,
      )

      const m = ctx.size(5_000, 500)
      await truncate()
      await wrapped.account.copyInsert(accounts(m, 0))
      const bump = async () => void (data = accounts(m, ++round))
      const updated = await interleaved(ctx, ctx.size(3, 1), [
        {
          name: 'db.account.bulkUpdate',
          prepare: bump,
          run: async () =>
            void (await wrapped.account.bulkUpdate(data.map(({ id, name, score }) => ({ id, name, score })))),
        },
        {
          name: 'update per row in $transaction',
          prepare: bump,
          run: async () =>
            void (await plain.$transaction(
              async (tx) => {
                for (const { id, name, score } of data)
                  await tx.account.update({ where: { id }, data: { name, score } })
              },
              { timeout: 600_000 },
            )),
        },
      ])
      speedTable(
        ctx,
        `update ${m.toLocaleString('en-US')} rows, each with its own values`,
        m,
        updated,
        'db.account.bulkUpdate',
        'Median of the rounds, cases interleaved, new values every run. Prisma has no per-row bulk update (updateMany sets one value for all), so the usual code is one update() per row inside an interactive transaction.',
      )
      await wrapped.$perf?.close()
      await plain.$disconnect()
    } finally {
      await db.drop()
    }
  },
}

export default suite
