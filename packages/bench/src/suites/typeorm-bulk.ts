import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type * as typeorm1 from 'typeorm'
import { postgresOrSkip } from '../harness/services.js'
import { INTERLEAVED_METHOD, interleaved, speedTable } from '../harness/rounds.js'
import type { Suite, SuiteContext } from '../harness/suite.js'
import { typeormLines } from './typeorm/setup.js'

type PerfTypeorm = typeof import('@perf/typeorm')
type PerfPg = typeof import('@perf/pg')
type PerfCore = typeof import('@perf/core')

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const CHUNK = 1000

interface Event {
  id?: number
  name: string
  amount: string
  at: Date
  kind: 'click' | 'view'
  payload: { n: number; tags: string[] }
  origin: { city: string; country: string }
}

/** Fresh rows every run: save() writes the generated ids back into the objects it is given. */
const rowsOf = (n: number, round: number): Event[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `event ${round}-${i} "quoted"\ttab`,
    amount: (((i * 37) % 100000) / 100).toFixed(2),
    at: new Date(1_700_000_000_000 + i * 1000),
    kind: i % 3 === 0 ? 'click' : 'view',
    payload: { n: i, tags: ['a', 'b'] },
    origin: { city: 'Paris', country: 'FR' },
  }))

/** Issue 12: bulkWriter(dataSource, Entity).copyInsert vs repository.insert() and save() in chunks of 1000. */
const suite: Suite = {
  name: 'typeorm-bulk',
  title: 'TypeORM bulk writes: bulkWriter().copyInsert vs repository.insert() and save() (issue 12)',
  libraries: ['@perf/typeorm', '@perf/pg', 'typeorm', 'pg'],
  method: INTERLEAVED_METHOD,
  async run(ctx) {
    if (!(await postgresOrSkip(ctx, DATABASE_URL))) return
    let perf: PerfTypeorm
    let perfPg: PerfPg
    let core: PerfCore
    try {
      perf = await import('@perf/typeorm')
      perfPg = await import('@perf/pg')
      core = await import('@perf/core')
    } catch (error) {
      ctx.skip(`@perf/typeorm cannot be loaded (run \`pnpm build\` first): ${(error as Error).message}`)
      return
    }
    const [line] = await typeormLines()
    if (line === undefined) {
      ctx.skip('typeorm is not installed')
      return
    }
    const schema = `perf_bench_tbulk_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: DATABASE_URL })
    await admin.connect()
    await admin.query(`CREATE SCHEMA "${schema}"`)
    const { typeorm } = line
    const Origin = new typeorm.EntitySchema<Event['origin']>({
      name: 'Origin',
      columns: { city: { type: String }, country: { type: String } },
    })
    const EventSchema = new typeorm.EntitySchema<Event>({
      name: 'Event',
      tableName: 'events',
      columns: {
        id: { type: Number, primary: true, generated: true },
        name: { type: String, name: 'event_name' },
        amount: { type: 'numeric', precision: 12, scale: 2 },
        at: { type: 'timestamptz' },
        kind: { type: 'enum', enum: ['click', 'view'] },
        payload: { type: 'jsonb' },
      },
      embeddeds: { origin: { schema: Origin, prefix: 'origin_' } },
    })
    const ds = new typeorm.DataSource({
      type: 'postgres',
      url: DATABASE_URL,
      schema,
      extra: { options: `-c search_path="${schema}"`, max: 4 },
      entities: [EventSchema],
      synchronize: true,
    })
    await ds.initialize()
    const cache = core.createCache({ tiers: [new core.MemoryStore()] })
    const instrumented = perf.instrument(ds, { cache })
    try {
      await insertCases(ctx, ds, instrumented.bulk(EventSchema), perfPg, line.version)
    } finally {
      instrumented.uninstrument()
      await cache.close()
      await ds.destroy()
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`)
      await admin.end()
    }
  },
}

async function insertCases(
  ctx: SuiteContext,
  ds: typeorm1.DataSource,
  writer: ReturnType<PerfTypeorm['bulkWriter']>,
  perfPg: PerfPg,
  version: string,
): Promise<void> {
  const n = ctx.size(100_000, 5_000)
  const repo = ds.getRepository<Event>('Event')
  const pool = (ds.driver as unknown as { master: pg.Pool }).master
  const metadata = ds.getMetadata('Event')
  const columns = ['name', 'amount', 'at', 'kind', 'payload', 'origin.city', 'origin.country'].map(
    (path) => metadata.findColumnWithPropertyPath(path)!.databaseName,
  )
  let round = 0
  let data: Event[] = []
  const prepare = async () => {
    await ds.query('TRUNCATE events')
    data = rowsOf(n, round++)
  }
  const results = await interleaved(ctx, ctx.size(3, 1), [
    {
      name: 'bulkWriter().copyInsert',
      prepare,
      run: async () => void (await writer.copyInsert(data)),
    },
    {
      name: '@perf/pg copyInsert (columns)',
      prepare,
      run: async () =>
        void (await perfPg.copyInsert(
          pool,
          'events',
          columns,
          data.map((e) => [e.name, e.amount, e.at, e.kind, e.payload, e.origin.city, e.origin.country]),
        )),
    },
    {
      name: `repository.insert() × ${CHUNK}`,
      prepare,
      async run() {
        for (let i = 0; i < data.length; i += CHUNK) await repo.insert(data.slice(i, i + CHUNK))
      },
    },
    {
      name: `repository.save() × ${CHUNK}`,
      prepare,
      async run() {
        for (let i = 0; i < data.length; i += CHUNK) await repo.save(data.slice(i, i + CHUNK))
      },
    },
  ])
  const count = Number((await ds.query('SELECT count(*)::int AS c FROM events'))[0].c)
  if (count !== n) throw new Error(`[bench typeorm-bulk] expected ${n} rows, found ${count}`)
  speedTable(
    ctx,
    `insert ${n.toLocaleString('en-US')} Event entities (TypeORM ${version}, instrumented)`,
    n,
    results,
    'bulkWriter().copyInsert',
    `Median of the rounds, cases interleaved; the table is truncated and fresh rows are built before each run (untimed). ` +
      `Entity: generated id, a renamed text column, numeric, timestamptz, enum, jsonb and an embedded of two columns; ` +
      `the DataSource is instrumented with an L1 cache, so every case also invalidates table:events. ` +
      `"@perf/pg copyInsert (columns)" is the same COPY given column arrays built by hand: the cost of the entity mapping is the difference. ` +
      `insert() and save() send ${CHUNK} rows per call (save() in its own transaction, reading back generated columns).`,
  )
  const base = results.get('bulkWriter().copyInsert')!
  ctx.target(
    `bulkWriter().copyInsert ≥ 3× repository.insert() × ${CHUNK}`,
    'speed',
    results.get(`repository.insert() × ${CHUNK}`)! / base,
    '>=',
    3,
  )
  ctx.target(
    `bulkWriter().copyInsert ≥ 0.8× @perf/pg copyInsert (mapping overhead ≤ 25 %)`,
    'speed',
    results.get('@perf/pg copyInsert (columns)')! / base,
    '>=',
    0.8,
  )
}

export default suite
