/**
 * @perf/typeorm in five steps, against your PostgreSQL: a scratch schema `perf_tquickstart_<random>`
 * is created and dropped at the end. With a Redis URL the cache has a Redis tier behind the
 * in-memory one, and an invalidation bus.
 */
import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { createCache, createMonitor, MemoryStore, type CacheStore } from '@perf/core'
import { createRedisClient, redisBus, redisStore } from '@perf/redis'
import { instrument } from '@perf/typeorm'
import pg from 'pg'
import { DataSource, type Logger } from 'typeorm'
import { Author, Post } from './entities.js'

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
  /** After `update()`: statements of the next find, and the name it returned. */
  afterWriteStatements: number
  nameAfterWrite: string | undefined
  /** A rolled-back transaction leaves the cache as it was (0 statements, old price). */
  afterRollbackStatements: number
  priceAfterRollback: string | undefined
  /** A committed transaction invalidates the posts it changed. */
  afterCommitStatements: number
  priceAfterCommit: string | undefined
  /** Post.price is still a string and createdAt a Date when served from the cache. */
  typesKept: boolean
  invalidations: number
  /** The N+1 finding of step 5 and the loader the adapter's advisor suggests for it. */
  nPlusOne: { count: number; scope: string; suggestion: string | undefined } | undefined
  hitRatio: number | null
  ok: boolean
}

/** Counts the statements TypeORM sends (every query goes through the logger's logQuery). */
class StatementCounter implements Logger {
  count = 0
  logQuery(): void {
    this.count++
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/** Runs the five steps and returns what they observed. */
export async function quickstart(options: QuickstartOptions): Promise<QuickstartReport> {
  const log = options.log ?? ((line: string) => console.log(line))
  const schema = `perf_tquickstart_${randomBytes(4).toString('hex')}`
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

/** Steps 1–5 inside the scratch schema; closes what they opened. */
async function steps(
  options: QuickstartOptions,
  schema: string,
  log: (line: string) => void,
): Promise<QuickstartReport> {
  // 1. Your existing DataSource: entities with decorators, TypeORM 1.x on PostgreSQL.
  const counter = new StatementCounter()
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.databaseUrl,
    schema,
    entities: [Author, Post],
    synchronize: true,
    logger: counter,
  })
  await dataSource.initialize()

  // 2. A cache (memory L1, Redis L2 when given) and a monitor; instrument() after initialize().
  const redis = options.redisUrl ? createRedisClient(options.redisUrl) : undefined
  const tiers: CacheStore[] = [new MemoryStore({ maxBytes: 64 * 1024 * 1024 })]
  if (redis) tiers.push(redisStore(redis))
  const cache = createCache({ tiers, bus: redis ? redisBus(redis) : undefined, namespace: schema })
  const monitor = createMonitor()
  const perf = instrument(dataSource, { cache, monitor, defaults: { ttl: '60s' }, entities: { Post: { ttl: '30s' } } })
  log(`cache tiers: ${redis ? 'memory + redis' : 'memory (set REDIS_URL for a Redis tier)'}`)

  const statements = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const before = counter.count
    const value = await fn()
    return [value, counter.count - before]
  }

  try {
    const authors = dataSource.getRepository(Author)
    const posts = dataSource.getRepository(Post)
    const ada = await authors.save({ email: 'ada@example.com', name: 'Ada' })
    await posts.save([
      { title: 'Notes', price: '19.99', author: ada },
      { title: 'Engines', price: '9.50', author: ada },
    ])

    // 3. A cached find: TypeORM's own `cache` option; the second call is served from memory.
    const find = () =>
      authors.findOne({
        where: { id: ada.id },
        relations: { posts: true },
        order: { posts: { id: 'ASC' } },
        cache: 60_000,
      })
    const [first, firstFindStatements] = await statements(find)
    const [second, secondFindStatements] = await statements(find)
    log(`first find:  ${firstFindStatements} statement(s); second find: ${secondFindStatements} statement(s)`)
    const typesKept = typeof second?.posts[0]?.price === 'string' && second.posts[0].createdAt instanceof Date
    log(`cached post: price ${JSON.stringify(second?.posts[0]?.price)} (string), createdAt is a Date: ${typesKept}`)

    // 4. Writes invalidate the tables they touch: at once outside a transaction...
    await authors.update(ada.id, { name: 'Ada Lovelace' })
    const [afterWrite, afterWriteStatements] = await statements(find)
    log(`after update(): ${afterWriteStatements} statement(s), name ${afterWrite?.name}`)
    await find() // cached again

    // ...after COMMIT inside one, and never after ROLLBACK.
    await dataSource
      .transaction(async (manager) => {
        await manager.update(Post, { author: { id: ada.id } }, { price: '0.01' })
        throw new Error('changed my mind')
      })
      .catch(() => undefined)
    const [afterRollback, afterRollbackStatements] = await statements(find)
    log(
      `after a rolled-back transaction: ${afterRollbackStatements} statement(s), price ${afterRollback?.posts[0]?.price}`,
    )
    await dataSource.transaction(async (manager) => {
      await manager.update(Post, { author: { id: ada.id } }, { price: '24.99' })
    })
    const [afterCommit, afterCommitStatements] = await statements(find)
    log(`after a committed transaction: ${afterCommitStatements} statement(s), price ${afterCommit?.posts[0]?.price}`)

    // 5. The monitor: N+1 inside a request scope, top fingerprints, hit ratio, invalidations.
    await monitor.scope(
      async () => {
        for (let i = 0; i < 6; i++) await posts.count({ where: { author: { id: ada.id + i } } })
      },
      { name: 'GET /authors' },
    )
    const [finding] = monitor.nPlusOne()
    log(`N+1 found: ${finding ? `${finding.count} similar statements in ${finding.scope}` : 'none'}`)
    // instrument() registered typeormAdvisor(dataSource): findings name the loader that batches them.
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
      afterWriteStatements,
      nameAfterWrite: afterWrite?.name,
      afterRollbackStatements,
      priceAfterRollback: afterRollback?.posts[0]?.price,
      afterCommitStatements,
      priceAfterCommit: afterCommit?.posts[0]?.price,
      typesKept,
      invalidations,
      nPlusOne: finding
        ? { count: finding.count, scope: finding.scope ?? '', suggestion: finding.suggestion }
        : undefined,
      hitRatio,
      ok: false,
    }
    report.ok =
      first?.posts.length === 2 &&
      secondFindStatements === 0 &&
      afterWriteStatements > 0 &&
      report.nameAfterWrite === 'Ada Lovelace' &&
      afterRollbackStatements === 0 &&
      report.priceAfterRollback === '19.99' &&
      afterCommitStatements > 0 &&
      report.priceAfterCommit === '24.99' &&
      typesKept &&
      finding !== undefined
    log(report.ok ? 'quickstart: OK' : 'quickstart: UNEXPECTED cache behaviour (see above)')
    return report
  } finally {
    perf.uninstrument()
    if (redis) await cache.clear()
    await cache.close()
    monitor.close()
    await dataSource.destroy()
    await redis?.quit()
  }
}
