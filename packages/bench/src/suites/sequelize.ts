import { createRequire } from 'node:module'
import type { Model, ModelStatic, Sequelize as SequelizeType } from 'sequelize'
import { formatPct, formatRatio } from '../harness/format.js'
import type { BenchCase } from '../harness/measure.js'
import { loadOrSkip, postgresOrSkip } from '../harness/services.js'
import type { Suite, SuiteContext } from '../harness/suite.js'
import { BenchDatabase, DATABASE_URL } from './prisma/database.js'
import { overheadTable, pairedOverhead } from './prisma/overhead.js'
import { accessOrder, sequentialCase, type Read } from './typeorm/cases.js'

type PerfSequelize = typeof import('@perf/sequelize')
type SequelizeModule = typeof import('sequelize')

const UNCACHED = 'findByPk (uncached)'
const AGAIN = 'findByPk again (A/A check)'
const L1_HIT = '@perf findByPk + cache — L1 (memory) hit'
const SIMPLE_HIT = 'sequelize-simple-cache findByPk hit'
const LIST_UNCACHED = 'findAll 50 rows + include (uncached)'
const LIST_L1 = '@perf findAll + include + cache — L1 hit'
const LIST_SIMPLE = 'sequelize-simple-cache findAll + include hit'
const INSTRUMENTED = 'instrument() findByPk (uncached)'
const HAND_WRITTEN = 'hand-written `= ANY($1)` (sequelize.query, mapToModel)'
const LOADER = 'pkLoader(Account), one load() per id in one tick'
const TTL = '10m'

interface Contender {
  sequelize: SequelizeType
  Account: ModelStatic<Model>
  Team: ModelStatic<Model>
}

/** Issue 11: @perf/sequelize cached finders vs uncached Sequelize and sequelize-simple-cache; overhead; loaders. */
const suite: Suite = {
  name: 'sequelize',
  title: 'Sequelize adapter: cached vs uncached finders, vs sequelize-simple-cache, overhead, loaders (issue 11)',
  libraries: ['@perf/core', '@perf/sequelize', 'sequelize', 'sequelize-simple-cache', 'pg'],
  async run(ctx) {
    if (!(await postgresOrSkip(ctx, DATABASE_URL))) return
    const perf = await loadOrSkip(ctx, '@perf/sequelize', () => import('@perf/sequelize'))
    if (!perf) return
    const lib = (await import('sequelize')) as SequelizeModule
    const core = await import('@perf/core')
    const rows = ctx.size(1_000, 100)
    const db = new BenchDatabase()
    const closers: Array<() => unknown> = []
    try {
      await db.create(rows)
      const open = async (): Promise<Contender> => {
        const c = contender(lib, db.schema)
        closers.push(() => c.sequelize.close())
        await c.sequelize.authenticate()
        return c
      }
      const plain = await open()
      await plain.Team.sync()
      await plain.Team.bulkCreate(Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `team ${i}` })))
      const l1 = await open()
      const cache = core.createCache()
      const monitor = core.createMonitor({ eventLoopDelay: false })
      closers.push(
        () => cache.close(),
        () => monitor.close(),
      )
      const l1Perf = perf.instrument(l1.sequelize, { cache, monitor })
      closers.push(() => l1Perf.uninstrument())
      const simple = await open()
      const SimpleCache = createRequire(import.meta.url)('sequelize-simple-cache') as new (
        config: Record<string, { ttl: number; limit: number }>,
        options: { debug: boolean },
      ) => { init<T>(model: T): T; clear(): void }
      const simpleCache = new SimpleCache({ Account: { ttl: 600, limit: rows * 2 } }, { debug: false })
      const SimpleAccount = simpleCache.init(simple.Account)
      closers.push(() => simpleCache.clear())

      ctx.text(
        `PostgreSQL ${await db.version()} on the same machine (database \`test\`, schema \`${db.schema}\` created for the run and dropped after); table \`Account\` with ${rows.toLocaleString('en-US')} rows (the prisma and typeorm suites' table) plus \`Team\` (1,000 rows, ids 0–999; \`Account.belongsTo(Team, { foreignKey: 'score' })\`, so every account has its team). Each contender is its own Sequelize instance (pool of 10) on the same schema. Cached: \`instrument(sequelize, { cache: createCache(), monitor })\` with \`cache: { ttl: '${TTL}' }\` on the call; sequelize-simple-cache: \`new SequelizeSimpleCache({ Account: { ttl: 600, limit: ${rows * 2} } }).init(Account)\`.`,
      )

      const byPk =
        (c: Contender, model: ModelStatic<Model>, cached: boolean): Read =>
        async (id) => {
          const row = await model.findByPk(id, cached ? { cache: { ttl: TTL } } : {})
          if (row?.get('id') !== id) throw new Error(`[bench] findByPk(${id}) returned ${JSON.stringify(row)}`)
          return row as never
        }
      const reads: Record<string, Read> = {
        [UNCACHED]: byPk(plain, plain.Account, false),
        [AGAIN]: byPk(plain, plain.Account, false),
        [L1_HIT]: byPk(l1, l1.Account, true),
        [SIMPLE_HIT]: byPk(simple, SimpleAccount, false),
        [INSTRUMENTED]: byPk(l1, l1.Account, false),
      }
      for (let id = 1; id <= rows; id++) {
        await reads[L1_HIT]!(id)
        await reads[SIMPLE_HIT]!(id)
      }
      const before = l1Perf.stats().statements
      for (let id = 1; id <= rows; id += 7) await reads[L1_HIT]!(id)
      const sent = l1Perf.stats().statements - before
      if (sent !== 0) ctx.text(`Warning: after warming, re-reading a sample of L1 hits still sent ${sent} statements.`)

      const order = accessOrder(rows, 9)
      const pk = await ctx.compare(
        'findByPk, cached vs uncached',
        [UNCACHED, AGAIN, L1_HIT, SIMPLE_HIT].map((name) => sequentialCase(name, reads[name] as Read, order)),
        {
          baseline: UNCACHED,
          note: 'Each call reads one row by primary key, ids drawn at random (seeded), after every row was read once, so each cached call is a hit. Both caches return model instances; sequelize-simple-cache hands back the very instance it stored (a caller mutating it changes the cache), ours builds a fresh instance per hit. The A/A row repeats the uncached call as a separate case: its distance from 1.00× is the noise floor of this table.',
        },
      )

      const list = (c: Contender, model: ModelStatic<Model>, cached: boolean) => async () => {
        const found = await model.findAll({
          include: [{ model: c.Team, as: 'team' }],
          order: [['id', 'ASC']],
          limit: 50,
          ...(cached ? { cache: { ttl: TTL } } : {}),
        })
        if (found.length !== Math.min(50, rows) || !(found[0]?.get('team') instanceof c.Team))
          throw new Error(`[bench] findAll returned ${found.length} rows without their team`)
      }
      const listCases: Record<string, () => Promise<void>> = {
        [LIST_UNCACHED]: list(plain, plain.Account, false),
        [LIST_L1]: list(l1, l1.Account, true),
        [LIST_SIMPLE]: list(simple, SimpleAccount, false),
      }
      for (const fn of Object.values(listCases)) await fn()
      const lists = await ctx.compare(
        'findAll of 50 rows with an include, cached vs uncached',
        Object.entries(listCases).map(([name, fn]) => unit(name, fn, 1)),
        {
          baseline: LIST_UNCACHED,
          note: "One call: `Account.findAll({ include: [{ model: Team, as: 'team' }], order: [['id', 'ASC']], limit: 50 })`, the same query every time (a hit after the first).",
        },
      )

      const pairs = ctx.size(5_000, 100)
      const call = (name: string) => async (id: number) => void (await (reads[name] as Read)(id))
      const paired = []
      for (const [i, name] of [INSTRUMENTED, AGAIN].entries()) {
        ctx.log(`overhead of ${name}: ${pairs} paired calls`)
        paired.push([name, await pairedOverhead(call(UNCACHED), call(name), pairs, rows, 31 + i)] as const)
      }
      overheadTable(ctx, paired, UNCACHED)

      const loads = await loaderCases(ctx, perf, lib, l1, rows, () => l1Perf.stats().statements)

      ctx.target(
        'L1 findByPk hit vs the same uncached call (times faster)',
        'speed',
        ctx.ratio(pk, L1_HIT, UNCACHED),
        '>=',
        30,
        formatRatio,
      )
      ctx.target(
        'L1 findAll 50 rows + include hit vs uncached (times faster)',
        'speed',
        ctx.ratio(lists, LIST_L1, LIST_UNCACHED),
        '>=',
        10,
        formatRatio,
      )
      ctx.text(
        `Against sequelize-simple-cache's hit on the same call: findByPk ${formatRatio(ctx.ratio(pk, L1_HIT, SIMPLE_HIT))}, findAll + include ${formatRatio(ctx.ratio(lists, LIST_L1, LIST_SIMPLE))} (above 1.00× means ours is faster).`,
      )
      ctx.target(
        'L1 findByPk hit vs sequelize-simple-cache hit (speed; ≥ 1.00× means faster)',
        'speed',
        ctx.ratio(pk, L1_HIT, SIMPLE_HIT),
        '>=',
        1,
      )
      ctx.target(
        'instrument() overhead on uncached findByPk (share of the call, paired per call)',
        'speed',
        paired[0]?.[1].share ?? Number.NaN,
        '<=',
        0.05,
        (v) => formatPct(v, 2),
      )
      ctx.target(
        `statements for ${Math.min(1000, rows)} loads through pkLoader`,
        'exact',
        loads.statements,
        '==',
        1,
        String,
      )
      ctx.target(
        'hand-written `= ANY($1)` time over loader time (loader ≤ 1.2× its latency)',
        'speed',
        ctx.ratio(loads.results, LOADER, HAND_WRITTEN),
        '>=',
        1 / 1.2,
      )
    } finally {
      for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined)
      await db.drop()
    }
  },
}

/** A Sequelize instance on the benchmark schema with `Account` (the shared table) and `Team`. */
function contender(lib: SequelizeModule, schema: string): Contender {
  const { DataTypes, Sequelize } = lib
  const sequelize = new Sequelize(DATABASE_URL, {
    dialect: 'postgres',
    logging: false,
    pool: { max: 10 },
    dialectOptions: { options: `-c search_path="${schema}"` },
  })
  const common = { timestamps: false, freezeTableName: true }
  const Team = sequelize.define(
    'Team',
    { name: { type: DataTypes.TEXT, allowNull: false } },
    { ...common, tableName: 'Team' },
  )
  const Account = sequelize.define(
    'Account',
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      email: { type: DataTypes.TEXT, allowNull: false },
      name: { type: DataTypes.TEXT, allowNull: false },
      active: { type: DataTypes.BOOLEAN, allowNull: false },
      score: { type: DataTypes.INTEGER, allowNull: false },
      role: { type: DataTypes.TEXT, allowNull: false },
      createdAt: { type: DataTypes.DATE(3), allowNull: false },
    },
    { ...common, tableName: 'Account' },
  )
  // Every account belongs to the team whose id is its score (scores are i % 1000, teams 0..999).
  Account.belongsTo(Team, { as: 'team', foreignKey: 'score', targetKey: 'id', constraints: false })
  return { sequelize, Account, Team }
}

function unit(name: string, fn: () => Promise<void>, opsPerCall: number): BenchCase {
  return {
    name,
    opsPerCall,
    async run(k) {
      for (let i = 0; i < k; i++) await fn()
    },
  }
}

/** 1000 primary-key loads through a fresh pkLoader vs the query one would write by hand; counts the loader's statements. */
async function loaderCases(
  ctx: SuiteContext,
  perf: PerfSequelize,
  lib: SequelizeModule,
  c: Contender,
  rows: number,
  statements: () => number,
) {
  const n = Math.min(1000, rows)
  const ids = Array.from({ length: n }, (_, i) => ((i * 7919) % rows) + 1)
  const check = (found: ReadonlyArray<Model | null | undefined>, name: string) => {
    for (let i = 0; i < n; i++)
      if (found[i]?.get('id') !== ids[i]) throw new Error(`[bench] ${name}: wrong row for id ${ids[i]}`)
  }
  const handWritten = async () => {
    const found = (await c.sequelize.query('SELECT * FROM "Account" WHERE "id" = ANY($1)', {
      bind: [ids],
      type: lib.QueryTypes.SELECT,
      model: c.Account,
      mapToModel: true,
    })) as Model[]
    const byId = new Map(found.map((row) => [row.get('id'), row]))
    check(
      ids.map((id) => byId.get(id)),
      HAND_WRITTEN,
    )
  }
  const viaLoader = async () => {
    const loader = perf.pkLoader(c.Account)
    check(await Promise.all(ids.map((id) => loader.load(id))), LOADER)
  }
  const before = statements()
  await viaLoader()
  const sent = statements() - before
  const results = await ctx.compare(
    `${n} loads by primary key`,
    [unit(HAND_WRITTEN, handWritten, n), unit(LOADER, viaLoader, n)],
    {
      baseline: HAND_WRITTEN,
      note: `ops/s counts loads: one unit is ${n} distinct ids, either one \`sequelize.query('SELECT * FROM "Account" WHERE "id" = ANY($1)', { bind: [ids], model: Account, mapToModel: true })\` mapped back to the order asked, or a fresh \`pkLoader(Account)\` with ${n} \`load()\` calls awaited together (on PostgreSQL its one statement carries the keys as one array literal, \`"id" = ANY('{…}')\`). Both on the instrumented instance, both return instances; each result is checked.`,
    },
  )
  return { results, statements: sent }
}

export default suite
