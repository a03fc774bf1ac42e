import type { Cache, CacheLookup, Duration, Monitor, SqlDialect } from '@perf/core'
import { ALL_TABLES_TAG, PerfError, sqlTables, stableKey, tableTags, toMs } from '@perf/core'
import { isInTransaction, withCacheStatus } from '../context.js'
import { dialectOf } from '../options.js'
import { EntityShape, type ShapeMetadata } from './entity-shape.js'
import {
  flatten,
  type Kind,
  MAX_SHAPES,
  optionsShape,
  rebuild,
  resolveCall,
  typeormDuration,
  withoutCache,
} from './find-call.js'
import { cacheIdTag } from './tags.js'
import { guardWrites } from './write-guard.js'

/** Caching of one entity's finds. */
export interface CachedFindsEntityOptions {
  /**
   * Ttl (ms or a duration string like `'30s'`) of this entity's finds that carry no `cache`
   * option of their own. `0` turns them off.
   * @default undefined: only finds with a `cache` option are cached
   */
  ttl?: Duration
}

/** Options of {@link installCachedFinds}. */
export interface CachedFindsOptions {
  /** The cache finds are served from. */
  cache: Cache
  /** Receives a QueryEvent (`cache: 'hit'`) per find answered from the cache. @default undefined */
  monitor?: Monitor
  /** Ttl of option-less finds of every entity (an entity's own ttl wins). @default undefined */
  defaults?: CachedFindsEntityOptions
  /** Per-entity settings keyed by entity name (`metadata.name`: the class name or EntitySchema name). @default {} */
  entities?: Record<string, CachedFindsEntityOptions>
}

/** The EntityManager methods served from the cache, with what they return and whether they take `where` only. */
const METHODS: readonly [method: string, kind: Kind, whereOnly: boolean][] = [
  ['find', 'many', false],
  ['findBy', 'many', true],
  ['findOne', 'one', false],
  ['findOneBy', 'one', true],
  ['findAndCount', 'count', false],
  ['findAndCountBy', 'count', true],
  ['count', 'number', false],
  ['countBy', 'number', true],
  ['exists', 'bool', false],
  ['existsBy', 'bool', true],
]

interface Metadata extends ShapeMetadata {
  name: string
  isJunction?: boolean
}

interface DataSourceLike {
  options: { type: string; cache?: unknown; relationLoadStrategy?: string; [k: string]: unknown }
  manager: ManagerLike
  entityMetadatas: readonly Metadata[]
  getMetadata(target: unknown): Metadata
}

type Method = (this: ManagerLike, target: unknown, arg?: unknown) => Promise<unknown>

interface ManagerLike {
  queryRunner?: { isTransactionActive?: boolean }
  createQueryBuilder(target: unknown, alias: string): { setFindOptions(o: unknown): { getQuery(): string } }
  [method: string]: unknown
}

/** What a find of one entity needs, computed once per target. */
interface Plan {
  name: string
  ttlMs: number | undefined
  prefix: string
  shape: EntityShape
  /** Tags of the last miss: a hint that lets a shared tier check them in the read's round trip. */
  hint: string[] | undefined
}

type Fill = Extract<CacheLookup<unknown>, { hit: false }>['fill']

/**
 * Serves the find family of `dataSource`'s default EntityManager (and so of every repository it
 * hands out) from `options.cache`: `find`, `findBy`, `findOne`, `findOneBy`, `findAndCount`,
 * `findAndCountBy`, `count`, `countBy`, `exists`, `existsBy`. A find is cached when a ttl applies:
 * its own `cache` option (`true`, ms, `{ id, milliseconds }`; `false` turns caching off), else
 * `entities[Name].ttl`, else `defaults.ttl`. Entries hold plain data tagged with every table the
 * find's SQL reads; a hit rebuilds entity instances without running SQL or TypeORM's hydration.
 * Transactional managers, entities with lazy relations or inheritance, and
 * `relationLoadStrategy: 'query'` are not served (they run as usual). `@AfterLoad` listeners and
 * subscribers' `afterLoad` run on misses only: a hit returns the entity as they left it.
 * Saves and removes given a `cache` option reject with INVALID_CACHE_STRATEGY.
 * `instrument(dataSource, { cache })` calls it; returns a function that undoes it.
 *
 * @throws PerfError UNKNOWN_MODEL for an `entities` name the DataSource does not have, INVALID_TTL
 * for a negative or unparsable ttl (a find given one rejects with it too)
 * @example
 * const undo = installCachedFinds(dataSource, { cache, entities: { User: { ttl: '30s' } } })
 * await dataSource.getRepository(User).findOneBy({ id: 1 }) // cached for 30 s
 */
export function installCachedFinds(dataSource: unknown, options: CachedFindsOptions): () => void {
  const ds = dataSource as DataSourceLike
  const { cache, monitor } = options
  const entityTtl = validate(ds, options)
  const defaultTtl = options.defaults?.ttl === undefined ? undefined : toMs(options.defaults.ttl, 'defaults.ttl')
  const dialect: SqlDialect = dialectOf(ds.options.type) ?? 'postgres'
  const typeormDefaultMs = typeormDuration(ds.options.cache)
  const queryStrategy = ds.options.relationLoadStrategy === 'query'
  const database = stableKey([
    'typeorm',
    ds.options.type,
    ds.options.host,
    ds.options.port,
    ds.options.database,
    ds.options.schema,
  ])
  const shapes = new Map<ShapeMetadata, EntityShape>()
  const plans = new Map<unknown, Plan | null>()

  function planOf(target: unknown): Plan | null {
    let plan = plans.get(target)
    if (plan !== undefined) return plan
    let metadata: Metadata
    try {
      metadata = ds.getMetadata(target)
    } catch {
      return null // TypeORM's own call reports the unknown entity
    }
    plan = null
    if (!queryStrategy && EntityShape.supports(metadata)) {
      const ttlMs = entityTtl.get(metadata.name) ?? defaultTtl
      const columns = (metadata as unknown as { columns?: { propertyPath: string; type: unknown }[] }).columns ?? []
      const version = stableKey(columns.map((c) => [c.propertyPath, String(c.type)]))
      plan = {
        name: metadata.name,
        ttlMs,
        prefix: `typeorm:f:${database}:${metadata.name}:${version}:`,
        shape: EntityShape.of(metadata, shapes),
        hint: undefined,
      }
    }
    plans.set(target, plan)
    return plan
  }

  /** Table tags by entity and options shape: which tables a find reads depends on keys and nesting, not values. */
  const tagMemo = new Map<string, string[]>()
  function tablesOf(self: ManagerLike, target: unknown, plan: Plan, findOptions: Record<string, unknown>): string[] {
    const shape = `${plan.name}:${optionsShape(findOptions, 0)}`
    let tags = tagMemo.get(shape)
    if (tags !== undefined) return tags
    try {
      const sql = self.createQueryBuilder(target, plan.name).setFindOptions(findOptions).getQuery()
      tags = [...tableTags(sqlTables(sql, { dialect }).reads), ALL_TABLES_TAG]
    } catch {
      return [ALL_TABLES_TAG] // cannot tell which tables: only a write of anything drops it
    }
    if (tagMemo.size >= MAX_SHAPES) tagMemo.clear()
    tagMemo.set(shape, tags)
    return tags
  }

  const manager = ds.manager
  const restores: (() => void)[] = []
  for (const [method, kind, whereOnly] of METHODS) {
    const original = manager[method] as Method | undefined
    if (typeof original !== 'function') continue // exists/existsBy are missing before 0.3.11
    const hadOwn = Object.prototype.hasOwnProperty.call(manager, method)
    const patched: Method = function (this: ManagerLike, target, arg) {
      if (this !== manager || isInTransaction(this.queryRunner)) return original.call(this, target, arg)
      const plan = planOf(target)
      if (plan === null) return original.call(this, target, arg)
      const findOptions = (whereOnly ? undefined : arg) as Record<string, unknown> | undefined
      // Relations loaded by separate queries: the main statement's tables would miss theirs.
      // Locking reads must reach the database.
      if (findOptions?.relationLoadStrategy === 'query' || findOptions?.lock !== undefined)
        return original.call(this, target, arg)
      let call: ReturnType<typeof resolveCall>
      try {
        call = resolveCall(findOptions?.cache, plan, typeormDefaultMs, method)
      } catch (error) {
        return Promise.reject(error)
      }
      if (call === undefined) return original.call(this, target, arg)
      const keyed = whereOnly ? { where: arg } : withoutCache(findOptions)
      return cachedCall(this, original, target, whereOnly ? arg : keyed, keyed, plan, kind, method, call)
    }
    manager[method] = patched
    restores.push(() => {
      if (manager[method] !== patched) return
      if (hadOwn) manager[method] = original
      else delete manager[method]
    })
  }
  restores.push(guardWrites(manager))

  async function cachedCall(
    self: ManagerLike,
    original: Method,
    target: unknown,
    arg: unknown,
    findOptions: Record<string, unknown>,
    plan: Plan,
    kind: Kind,
    method: string,
    call: { ttlMs: number; id: string | undefined },
  ): Promise<unknown> {
    const started = performance.now()
    let fill: Fill | undefined
    let key: string
    try {
      key = plan.prefix + method + ':' + stableKey(findOptions)
      const found = await cache.lookup<unknown>(key, plan.hint === undefined ? undefined : { tags: plan.hint })
      if (found.hit) {
        const value = rebuild(plan.shape, kind, found.value)
        monitor?.record({
          source: 'typeorm',
          model: plan.name,
          operation: method,
          durationMs: performance.now() - started,
          cache: 'hit',
        })
        return value
      }
      fill = found.fill
    } catch {
      // An argument the key cannot hold (a Raw() operator's function) or a closed cache: run uncached.
      return original.call(self, target, arg)
    }
    const result = await withCacheStatus('miss', () => original.call(self, target, arg))
    let tags = tablesOf(self, target, plan, findOptions)
    plan.hint = tags
    if (call.id !== undefined) tags = [...tags, cacheIdTag(call.id)]
    // fill never rejects for tier failures or unstorable values; it refuses after an invalidation.
    await fill(flatten(plan.shape, kind, result), { ttl: call.ttlMs, tags }).catch(() => false)
    return result
  }

  return () => {
    for (const restore of restores.splice(0)) restore()
  }
}

function validate(ds: DataSourceLike, options: CachedFindsOptions): Map<string, number | undefined> {
  if (typeof options?.cache?.lookup !== 'function')
    throw new PerfError(
      'INVALID_OPTION',
      '[perf:typeorm] installCachedFinds(): cache must be a Cache from createCache()',
      {
        context: { option: 'cache' },
      },
    )
  const names = new Set(ds.entityMetadatas.filter((m) => m.isJunction !== true).map((m) => m.name))
  const ttls = new Map<string, number | undefined>()
  for (const [name, entry] of Object.entries(options.entities ?? {})) {
    if (!names.has(name)) {
      throw new PerfError(
        'UNKNOWN_MODEL',
        `[perf:typeorm] installCachedFinds(): entities.${name} names no entity of this DataSource (known: ${[...names].join(', ') || 'none'})`,
        { context: { option: 'entities', entity: name } },
      )
    }
    ttls.set(name, entry?.ttl === undefined ? undefined : toMs(entry.ttl, `[perf:typeorm] entities.${name}.ttl`))
  }
  return ttls
}
