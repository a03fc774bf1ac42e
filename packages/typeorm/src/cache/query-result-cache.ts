import type { Cache, CacheLookup, Monitor, SqlDialect } from '@perf/core'
import { ALL_TABLES_TAG, sqlResultKey, sqlTables, tableTags } from '@perf/core'
import { dialectOf } from '../options.js'
import { cacheIdTag, cacheScopeTag } from './tags.js'

/** Options of {@link queryResultCache}. */
export interface QueryResultCacheProviderOptions {
  /**
   * Tag every entry with the tables its SQL reads (`table:<name>`), so that writes seen by
   * `instrument(dataSource, { cache })` drop it. `false` keeps TypeORM's built-in behaviour: expiry
   * by time only, `remove()`/`clear()` by id.
   * @default true
   */
  invalidateOnWrite?: boolean
  /**
   * Part of every key and of the scope `clear()` drops. Give DataSources that share one cache
   * namespace but not one database different salts, and change it when a schema change alters
   * what a statement returns.
   * @default ''
   */
  salt?: string
  /** Told about a cache call that failed; the query then runs uncached (fail open). @default undefined: counted only */
  onError?: (error: unknown, context: { operation: 'lookup' | 'store' | 'remove' | 'clear' }) => void
  /** Receives a QueryEvent (`cache: 'hit'`) per read answered from the cache. @default undefined */
  monitor?: Monitor
}

/** Counters of {@link PerfQueryResultCache.stats}. */
export interface QueryResultCacheStats {
  /** Reads answered from the cache. */
  hits: number
  /** Reads that ran the query. */
  misses: number
  /** Reads inside a transaction, which never use the cache. */
  bypasses: number
  /** Results stored. */
  stored: number
  /** Results not stored because an invalidation landed while the query ran (or the value could not be held). */
  refused: number
  /** Cache calls that failed (each one failed open). */
  errors: number
}

/** What TypeORM hands the provider: `QueryResultCacheOptions` (typed loosely: 0.3 and 1.x differ slightly). */
interface SavedOptions {
  identifier?: string
  time?: number
  duration: number
  query?: string
  result?: unknown
}

interface Stored {
  time: number
  duration: number
  result: unknown
}

interface RunnerLike {
  isTransactionActive?: boolean
  connection?: { options?: { type?: string } }
  dataSource?: { options?: { type?: string } }
}

const FILL = Symbol('perf.fill')
const HIT = Symbol('perf.hit')
type Marked = SavedOptions & { [FILL]?: Extract<CacheLookup<Stored>, { hit: false }>['fill']; [HIT]?: true }

/** Distinct statement texts whose tables are kept. */
const MAX_STATEMENTS = 2_000
/** TypeORM appends the parameters to the statement text it hands the provider. */
const PARAMETERS = ' -- PARAMETERS: '
/** Ids TypeORM derives from the user's id for the other statements of one call (#4277, #8243). */
const DERIVED_ID = /-(count|pagination)$/

/**
 * A TypeORM `QueryResultCache` on a `@perf/core` cache: `find({ cache })`, `QueryBuilder.cache()`,
 * `getManyAndCount()` and `dataSource.queryResultCache.remove()`/`clear()` use its tiers.
 * Build one with {@link queryResultCache}.
 */
export class PerfQueryResultCache {
  readonly #cache: Cache
  readonly #invalidateOnWrite: boolean
  readonly #salt: string
  readonly #onError: QueryResultCacheProviderOptions['onError']
  readonly #monitor: Monitor | undefined
  /** Table tags by statement text (TypeORM's parameterised SQL repeats; parameters are not part of it). */
  readonly #tables = new Map<string, string[]>()
  readonly #stats: QueryResultCacheStats = { hits: 0, misses: 0, bypasses: 0, stored: 0, refused: 0, errors: 0 }

  constructor(cache: Cache, options: QueryResultCacheProviderOptions = {}) {
    this.#cache = cache
    this.#invalidateOnWrite = options.invalidateOnWrite ?? true
    this.#salt = options.salt ?? ''
    this.#onError = options.onError
    this.#monitor = options.monitor
  }

  /** Nothing to open: the cache belongs to the caller. */
  async connect(): Promise<void> {}
  /** Nothing to close: the cache belongs to the caller, who closes it. */
  async disconnect(): Promise<void> {}
  /** Nothing to synchronize (no table, unlike TypeORM's `database` cache). */
  async synchronize(): Promise<void> {}

  /**
   * TypeORM's "do you have it?": a hit as TypeORM's saved-cache object, or (on a miss) an object
   * `isExpired()` reports expired and `storeInCache()` fills. Undefined inside a transaction and
   * when the cache failed.
   */
  async getFromCache(options: SavedOptions, queryRunner?: unknown): Promise<SavedOptions | undefined> {
    const runner = queryRunner as RunnerLike | undefined
    if (runner?.isTransactionActive === true) {
      this.#stats.bypasses++
      return undefined
    }
    const started = performance.now()
    let found: CacheLookup<Stored>
    try {
      found = await this.#cache.lookup<Stored>(this.#key(options), { tags: this.#tags(options, runner) })
    } catch (error) {
      this.#failed(error, 'lookup')
      return undefined
    }
    if (found.hit) {
      this.#stats.hits++
      this.#monitor?.record({
        source: 'typeorm',
        sql: statementOf(options.query),
        operation: 'queryResultCache',
        durationMs: performance.now() - started,
        cache: 'hit',
      })
      const { time, duration, result } = found.value
      return { identifier: options.identifier, query: options.query, time, duration, result, [HIT]: true } as Marked
    }
    this.#stats.misses++
    // TypeORM asks isExpired() next, runs the query and hands this object back to storeInCache().
    return { ...options, time: 0, [FILL]: found.fill } as Marked
  }

  /** A hit read by this provider is fresh (the cache applied the ttl); otherwise TypeORM's `time + duration` rule. */
  isExpired(savedCache: SavedOptions): boolean {
    const saved = savedCache as Marked
    if (saved[HIT] === true) return false
    if (saved[FILL] !== undefined) return true
    return (saved.time ?? 0) + saved.duration < Date.now()
  }

  /**
   * Stores what TypeORM loaded after a miss of {@link getFromCache}, for `duration` ms, unless an
   * invalidation of its key or tags landed since the lookup. Never rejects.
   */
  async storeInCache(
    options: SavedOptions,
    savedCache: SavedOptions | undefined,
    queryRunner?: unknown,
  ): Promise<void> {
    // Only a miss of getFromCache carries a fill: a transaction's reads and failed lookups store nothing.
    const fill = (savedCache as Marked | undefined)?.[FILL]
    if (fill === undefined) return
    try {
      const stored = await fill(
        { time: options.time ?? Date.now(), duration: options.duration, result: options.result },
        { ttl: Math.max(1, options.duration), tags: this.#tags(options, queryRunner as RunnerLike | undefined) },
      )
      if (stored) this.#stats.stored++
      else this.#stats.refused++
    } catch (error) {
      this.#failed(error, 'store')
    }
  }

  /** Drops every entry this provider wrote (in every instance sharing the cache), not the rest of the cache. */
  async clear(): Promise<void> {
    try {
      await this.#cache.invalidateTags([cacheScopeTag(this.#salt)])
    } catch (error) {
      this.#failed(error, 'clear')
    }
  }

  /** Drops the entries cached with these ids, including the `-count` and `-pagination` ones TypeORM derives. */
  async remove(identifiers: string[]): Promise<void> {
    if (identifiers.length === 0) return
    try {
      await this.#cache.invalidateTags(identifiers.map((id) => cacheIdTag(id)))
    } catch (error) {
      this.#failed(error, 'remove')
    }
  }

  /** Counters since creation. */
  stats(): QueryResultCacheStats {
    return { ...this.#stats }
  }

  #key(options: SavedOptions): string {
    // The id and the statement both go in the key: one id given to different statements (the
    // data, count and pagination queries of one call) must never share an entry (#4277, #8243, #5983).
    const id = options.identifier === '' ? undefined : options.identifier
    return sqlResultKey(options.query ?? '', [id ?? null], `typeorm:${this.#salt}`)
  }

  #tags(options: SavedOptions, runner: RunnerLike | undefined): string[] {
    const tags = [cacheScopeTag(this.#salt)]
    const id = options.identifier
    if (id !== undefined && id !== '') {
      tags.push(cacheIdTag(id))
      const base = id.replace(DERIVED_ID, '')
      if (base !== id && base !== '') tags.push(cacheIdTag(base))
    }
    if (this.#invalidateOnWrite) {
      const sql = statementOf(options.query)
      if (sql !== undefined) tags.push(...this.#tablesOf(sql, runner))
      else tags.push(ALL_TABLES_TAG)
    }
    return tags
  }

  #tablesOf(sql: string, runner: RunnerLike | undefined): string[] {
    let tags = this.#tables.get(sql)
    if (tags === undefined) {
      tags = [...tableTags(sqlTables(sql, { dialect: dialectOfRunner(runner) }).reads), ALL_TABLES_TAG]
      if (this.#tables.size >= MAX_STATEMENTS) this.#tables.clear()
      this.#tables.set(sql, tags)
    }
    return tags
  }

  #failed(error: unknown, operation: 'lookup' | 'store' | 'remove' | 'clear'): void {
    this.#stats.errors++
    try {
      this.#onError?.(error, { operation })
    } catch {
      // A throwing onError must not fail the query either.
    }
  }
}

function statementOf(query: string | undefined): string | undefined {
  if (query === undefined) return undefined
  const at = query.lastIndexOf(PARAMETERS)
  return at < 0 ? query : query.slice(0, at)
}

function dialectOfRunner(runner: RunnerLike | undefined): SqlDialect {
  const type = runner?.dataSource?.options?.type ?? runner?.connection?.options?.type
  return (type === undefined ? undefined : dialectOf(type)) ?? 'postgres'
}

/**
 * A TypeORM query-result-cache provider backed by `cache`: pass it as the DataSource's
 * `cache: { provider: () => queryResultCache(cache) }`. Keys hold both the cache id and the
 * statement; entries are tagged with the tables they read (unless `invalidateOnWrite: false`), the
 * id and this provider's scope. A cache failure never fails the query; reads inside a transaction
 * bypass the cache.
 *
 * @example
 * const ds = new DataSource({ ...options, cache: { provider: () => queryResultCache(cache) } })
 * await ds.initialize()
 * instrument(ds, { cache }) // writes invalidate the tables they touch
 * await ds.getRepository(User).find({ where: { active: true }, cache: { id: 'active-users', milliseconds: 30_000 } })
 * await ds.queryResultCache?.remove(['active-users'])
 */
export function queryResultCache(cache: Cache, options?: QueryResultCacheProviderOptions): PerfQueryResultCache {
  return new PerfQueryResultCache(cache, options)
}
