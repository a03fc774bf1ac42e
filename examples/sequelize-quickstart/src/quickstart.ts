/**
 * @perf/sequelize in five steps, against your PostgreSQL: a scratch schema `perf_squickstart_<random>`
 * is created and dropped at the end. With a Redis URL the cache has a Redis tier behind the
 * in-memory one, and an invalidation bus.
 */
import { randomBytes } from 'node:crypto'
import { createCache, createMonitor, MemoryStore, type CacheStore } from '@perf/core'
import { createRedisClient, redisBus, redisStore } from '@perf/redis'
import { instrument } from '@perf/sequelize'
import pg from 'pg'
import { DataTypes, Sequelize, type Model, type ModelStatic } from 'sequelize'

/** Where the quickstart runs and where it prints. */
export interface QuickstartOptions {
  databaseUrl: string
  /** Adds a Redis tier and the invalidation bus. @default undefined: memory only */
  redisUrl?: string | undefined
  /** @default console.log */
  log?: (line: string) => void
}

/** What each step observed; the test asserts on it. */
export interface QuickstartReport {
  tiers: string[]
  /** SQL statements sent by the first and the second identical find. */
  firstFindStatements: number
  secondFindStatements: number
  /** The cached author is a real Author instance and its posts Post instances. */
  instancesKept: boolean
  /** Post.price (DECIMAL) is still a string and createdAt a Date when served from the cache. */
  typesKept: boolean
  /** After `update()`: statements of the next find, and the name it returned. */
  afterWriteStatements: number
  nameAfterWrite: string | undefined
  /** A rolled-back transaction leaves the cache as it was (0 statements, old price). */
  afterRollbackStatements: number
  priceAfterRollback: string | undefined
  /** A committed transaction invalidates the posts it changed. */
  afterCommitStatements: number
  priceAfterCommit: string | undefined
  invalidations: number
  /** The N+1 finding of step 5. */
  nPlusOne: { count: number; scope: string } | undefined
  hitRatio: number | null
  ok: boolean
}

/** Runs the five steps and returns what they observed. */
export async function quickstart(options: QuickstartOptions): Promise<QuickstartReport> {
  const log = options.log ?? ((line: string) => console.log(line))
  const schema = `perf_squickstart_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: options.databaseUrl })
  await admin.connect()
  await admin.query(`CREATE SCHEMA "${schema}"`)
  try {
    return await steps(options, schema, log)
  } finally {
    await admin.query(`DROP SCHEMA "${schema}" CASCADE`)
    await admin.end()
  }
}

type Row = Model & Record<string, unknown>

/** Steps 1–5 inside the scratch schema; closes what they opened. */
async function steps(
  options: QuickstartOptions,
  schema: string,
  log: (line: string) => void,
): Promise<QuickstartReport> {
  // 1. Your existing Sequelize instance and models; `logging` counts the statements sent.
  let sent = 0
  const sequelize = new Sequelize(options.databaseUrl, {
    dialect: 'postgres',
    logging: () => void sent++,
    dialectOptions: { options: `-c search_path=${schema}` },
  })
  const Author = sequelize.define(
    'Author',
    { name: DataTypes.STRING, email: DataTypes.STRING },
    { tableName: 'authors' },
  )
  const Post = sequelize.define(
    'Post',
    { title: DataTypes.STRING, price: DataTypes.DECIMAL(10, 2) },
    { tableName: 'posts' },
  ) as ModelStatic<Row>
  Author.hasMany(Post, { as: 'posts', foreignKey: 'authorId' })
  Post.belongsTo(Author, { as: 'author', foreignKey: 'authorId' })
  await sequelize.sync()

  // 2. A cache (memory L1, Redis L2 when given) and a monitor; instrument() after the models exist.
  const redis = options.redisUrl ? createRedisClient(options.redisUrl) : undefined
  const tiers: CacheStore[] = [new MemoryStore({ maxBytes: 64 * 1024 * 1024 })]
  if (redis) tiers.push(redisStore(redis))
  const cache = createCache({ tiers, bus: redis ? redisBus(redis) : undefined, namespace: schema })
  const monitor = createMonitor()
  const perf = instrument(sequelize, { cache, monitor, models: { Post: { ttl: '30s' } } })
  log(`cache tiers: ${redis ? 'memory + redis' : 'memory (set REDIS_URL for a Redis tier)'}`)

  const statements = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const before = sent
    const value = await fn()
    return [value, sent - before]
  }

  try {
    const ada = (await Author.create({ name: 'Ada', email: 'ada@example.com' })) as Row
    const adaId = ada.get('id') as number
    await Post.bulkCreate([
      { title: 'Notes', price: '19.99', authorId: adaId },
      { title: 'Engines', price: '9.50', authorId: adaId },
    ])

    // 3. A cached finder: `cache` on the call; the second call is a hit (no SQL, no pool connection).
    const find = () =>
      Author.findByPk(adaId, {
        include: [{ model: Post, as: 'posts' }],
        order: [[{ model: Post, as: 'posts' }, 'id', 'ASC']],
        cache: { ttl: '60s' },
      }) as Promise<(Row & { posts: Row[] }) | null>
    const [first, firstFindStatements] = await statements(find)
    const [second, secondFindStatements] = await statements(find)
    log(`first find:  ${firstFindStatements} statement(s); second find: ${secondFindStatements} statement(s)`)
    const instancesKept = second instanceof Author && second.posts[0] instanceof Post
    const typesKept =
      typeof second?.posts[0]?.get('price') === 'string' && second.posts[0].get('createdAt') instanceof Date
    log(`cached author is an Author, its posts Posts: ${instancesKept}; price a string, createdAt a Date: ${typesKept}`)

    // 4. Writes invalidate the tables they touch: at once outside a transaction...
    await second!.update({ name: 'Ada Lovelace' })
    const [afterWrite, afterWriteStatements] = await statements(find)
    log(`after update(): ${afterWriteStatements} statement(s), name ${String(afterWrite?.get('name'))}`)
    await find() // cached again

    // ...after COMMIT inside one, and never after ROLLBACK.
    await sequelize
      .transaction(async (transaction) => {
        await Post.update({ price: '0.01' }, { where: { authorId: adaId }, transaction })
        throw new Error('changed my mind')
      })
      .catch(() => undefined)
    const [afterRollback, afterRollbackStatements] = await statements(find)
    const priceAfterRollback = afterRollback?.posts[0]?.get('price') as string | undefined
    log(`after a rolled-back transaction: ${afterRollbackStatements} statement(s), price ${priceAfterRollback}`)
    await sequelize.transaction(async (transaction) => {
      await Post.update({ price: '24.99' }, { where: { authorId: adaId }, transaction })
    })
    const [afterCommit, afterCommitStatements] = await statements(find)
    const priceAfterCommit = afterCommit?.posts[0]?.get('price') as string | undefined
    log(`after a committed transaction: ${afterCommitStatements} statement(s), price ${priceAfterCommit}`)

    // 5. The monitor: N+1 inside a request scope, top fingerprints, hit ratio, invalidations.
    await monitor.scope(
      async () => {
        for (let i = 0; i < 6; i++) await Post.count({ where: { authorId: adaId + i }, cache: false })
      },
      { name: 'GET /authors' },
    )
    const [finding] = monitor.nPlusOne()
    log(`N+1 found: ${finding ? `${finding.count} similar statements in ${finding.scope}` : 'none'}`)
    if (finding?.suggestion) log(`  suggestion: ${finding.suggestion}`)
    for (const f of monitor.fingerprints({ top: 3 }))
      log(`  ${f.calls}× ${f.meanMs.toFixed(2)} ms  ${f.fingerprint.slice(0, 90)}`)
    const { hitRatio } = monitor.totals().cache
    const { invalidations } = perf.stats()
    log(
      `cache hit ratio ${hitRatio === null ? '—' : `${(hitRatio * 100).toFixed(0)}%`}, ${invalidations} invalidation(s), health ${monitor.health().score}/100`,
    )

    const report: QuickstartReport = {
      tiers: redis ? ['memory', 'redis'] : ['memory'],
      firstFindStatements,
      secondFindStatements,
      instancesKept,
      typesKept,
      afterWriteStatements,
      nameAfterWrite: afterWrite?.get('name') as string | undefined,
      afterRollbackStatements,
      priceAfterRollback,
      afterCommitStatements,
      priceAfterCommit,
      invalidations,
      nPlusOne: finding ? { count: finding.count, scope: finding.scope ?? '' } : undefined,
      hitRatio,
      ok: false,
    }
    report.ok =
      first?.posts.length === 2 &&
      secondFindStatements === 0 &&
      instancesKept &&
      typesKept &&
      afterWriteStatements > 0 &&
      report.nameAfterWrite === 'Ada Lovelace' &&
      afterRollbackStatements === 0 &&
      priceAfterRollback === '19.99' &&
      afterCommitStatements > 0 &&
      priceAfterCommit === '24.99' &&
      finding !== undefined
    log(report.ok ? 'quickstart: OK' : 'quickstart: UNEXPECTED cache behaviour (see above)')
    return report
  } finally {
    perf.uninstrument()
    if (redis) await cache.clear()
    await cache.close()
    monitor.close()
    await sequelize.close()
    await redis?.quit()
  }
}
