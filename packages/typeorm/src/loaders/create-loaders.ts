import { BatchLoader, PerfError } from '@perf/core'
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm'
import { byIdBatch } from './by-id.js'
import { EntityKey } from './key-set.js'
import { entityMetadata, targetName, type LoaderDataSource, type StatementSource } from './metadata.js'
import { planRelation, relationBatch } from './relation.js'

/** Options of {@link createLoaders}. */
export interface CreateLoadersOptions {
  /** Most keys one statement asks for; a tick with more keys runs several statements. @default 1000 */
  maxBatchSize?: number
  /**
   * Memoize each key's result for the loaders' lifetime (dataloader's `cache`): a repeated
   * `load(key)` returns the same promise without a query. Turn it off for long-lived loaders.
   * @default true
   */
  cache?: boolean
  /**
   * Read through this EntityManager instead of the DataSource's default one: pass the manager
   * of `dataSource.transaction(async (manager) => …)` so the loaders see the transaction's rows.
   * @default undefined: the DataSource's own connections
   */
  manager?: EntityManager
}

/** A key of `byId()`: the primary-key value, or an object of every primary column for a composite key. */
export type EntityKeyValue = string | number | bigint | Record<string, unknown>

/** A parent key of `relation()`: the parent's primary-key value, or the parent entity itself. */
export type ParentKey = string | number | bigint | object

/** What `relation(Entity, name).load()` resolves to: the related entity or `null`, or an array for to-many. */
export type RelationValue<T> =
  Awaited<T> extends infer U ? (NonNullable<U> extends readonly (infer E)[] ? E[] : NonNullable<U> | null) : never

/** Per-request loaders over a DataSource's repositories; see {@link createLoaders}. */
export interface TypeormLoaders {
  /**
   * The loader of `entity` by primary key: resolves to the entity, or `null` when no row has
   * that key. The same loader is returned for the same entity.
   * @throws PerfError UNKNOWN_MODEL when `entity` is not an entity of the DataSource
   */
  byId<E extends ObjectLiteral>(entity: EntityTarget<E>): BatchLoader<EntityKeyValue, E | null, string>
  /**
   * The loader of `entity`'s relation `name` keyed by the parent's primary key (or the parent
   * entity): the related entity or `null` for many-to-one and one-to-one, an array (`[]` when
   * none, ordered by primary key) for one-to-many and many-to-many.
   * @throws PerfError UNKNOWN_MODEL for an unknown entity; INVALID_ARGUMENT for an unknown
   * relation, a composite parent key, or a relation keyed by several columns
   */
  relation<E extends ObjectLiteral, N extends keyof E & string>(
    entity: EntityTarget<E>,
    name: N,
  ): BatchLoader<ParentKey, RelationValue<E[N]>, string>
  /** Forgets every memoized result of every loader made so far (e.g. after a write). */
  clearAll(): void
}

const KNOWN_OPTIONS = new Set(['maxBatchSize', 'cache', 'manager'])

function invalid(option: string, rule: string, value: unknown): PerfError {
  return new PerfError('INVALID_OPTION', `[perf:typeorm] createLoaders(): ${option} must be ${rule}`, {
    context: { option, value },
  })
}

interface LoaderSettings {
  maxBatchSize: number
  cache: boolean
  manager: StatementSource | undefined
}

function readOptions(options: unknown): LoaderSettings {
  if (options === undefined) return { maxBatchSize: 1000, cache: true, manager: undefined }
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options)
  const o = options as Record<string, unknown>
  for (const key of Object.keys(o))
    if (!KNOWN_OPTIONS.has(key)) throw invalid(key, 'maxBatchSize, cache or manager (unknown option)', o[key])
  const { maxBatchSize = 1000, cache = true, manager } = o
  if (typeof maxBatchSize !== 'number' || !(maxBatchSize >= 1))
    throw invalid('maxBatchSize', 'a number >= 1', maxBatchSize)
  if (typeof cache !== 'boolean') throw invalid('cache', 'a boolean', cache)
  if (
    manager !== undefined &&
    typeof (manager as { createQueryBuilder?: unknown } | null)?.createQueryBuilder !== 'function'
  )
    throw invalid('manager', 'a TypeORM EntityManager', manager)
  return { maxBatchSize, cache, manager: manager as LoaderSettings['manager'] }
}

/**
 * Creates DataLoader-compatible loaders over the DataSource's repositories, meant to live for one
 * request: every `load()` issued in one tick becomes one SQL statement (`= ANY($1)` on
 * PostgreSQL, `IN (…)` on MySQL/MariaDB), results come back in key order, and each key is
 * memoized for the loaders' lifetime. Each loader is a core `BatchLoader`, so `load`,
 * `loadMany`, `clear`, `clearAll` and `prime` behave as in dataloader.
 *
 * Keys are checked against the primary column: integer columns take numbers, bigints or digit
 * strings (`7`, `7n` and `'7'` are one key), uuid columns uuid strings (compared lower-case),
 * string columns strings. A malformed key rejects with PerfError INVALID_ARGUMENT naming the
 * column, without failing the other keys of its batch.
 *
 * @throws PerfError INVALID_ARGUMENT when `dataSource` is not an initialized postgres/mysql/mariadb
 * DataSource; INVALID_OPTION for a malformed option
 * @example
 * app.use((req, _res, next) => { req.loaders = createLoaders(dataSource); next() })
 * // in a resolver: one query for every post's author of this tick
 * const author = await req.loaders.relation(Post, 'author').load(post.id)
 * const users = await req.loaders.byId(User).loadMany([1, 2, 3]) // [User, User, null]
 */
export function createLoaders(dataSource: DataSource, options?: CreateLoadersOptions): TypeormLoaders {
  const ds = dataSource as unknown as LoaderDataSource & { isInitialized?: boolean }
  if (typeof ds !== 'object' || ds === null || typeof ds.createQueryBuilder !== 'function')
    throw new PerfError('INVALID_ARGUMENT', '[perf:typeorm] createLoaders(dataSource): expected a TypeORM DataSource')
  if (ds.isInitialized !== true)
    throw new PerfError('INVALID_ARGUMENT', '[perf:typeorm] createLoaders(): call it after dataSource.initialize()')
  const type = ds.options.type
  const postgres = type === 'postgres' || type === 'aurora-postgres' || type === 'cockroachdb'
  if (!postgres && type !== 'mysql' && type !== 'mariadb' && type !== 'aurora-mysql')
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:typeorm] createLoaders(): DataSource type "${type}" is not supported (postgres, mysql, mariadb)`,
      { context: { type } },
    )
  const { maxBatchSize, cache, manager } = readOptions(options)
  // Statements go through the manager (a transaction's), metadata comes from the DataSource.
  const reader: StatementSource = manager ?? ds
  const loaders = new Map<string, BatchLoader<unknown, unknown, string>>()

  function make(id: string, batch: (keys: readonly unknown[]) => Promise<unknown[]>, key: EntityKey) {
    const loader = new BatchLoader<unknown, unknown, string>(batch, {
      maxBatchSize,
      cache,
      cacheKeyFn: (k) => key.cacheKey(k),
      name: `typeorm:${id}`,
    })
    loaders.set(id, loader)
    return loader
  }

  return {
    byId(entity) {
      const where = `loaders.byId(${targetName(entity)})`
      const meta = entityMetadata(ds, entity, where)
      const id = `${meta.name}.byId`
      const existing = loaders.get(id)
      if (existing !== undefined) return existing as never
      const key = new EntityKey(meta.primaryColumns, where)
      return make(id, byIdBatch(reader, meta, key, postgres), key) as never
    },
    relation(entity, name) {
      const where = `loaders.relation(${targetName(entity)}, '${String(name)}')`
      const meta = entityMetadata(ds, entity, where)
      const id = `${meta.name}.${String(name)}`
      const existing = loaders.get(id)
      if (existing !== undefined) return existing as never
      const relation = meta.relations.find((r) => r.propertyName === name)
      if (relation === undefined) {
        const names = meta.relations.map((r) => r.propertyName)
        throw new PerfError(
          'INVALID_ARGUMENT',
          `[perf:typeorm] ${where}: ${meta.name} has no relation "${String(name)}" (relations: ${names.join(', ') || 'none'})`,
          { context: { entity: meta.name, relation: name } },
        )
      }
      const plan = planRelation(relation, where)
      const key = new ParentEntityKey(meta.primaryColumns, where)
      return make(id, relationBatch(reader, relation, plan, key, postgres, where), key) as never
    },
    clearAll() {
      for (const loader of loaders.values()) loader.clearAll()
    },
  }
}

/** A parent key: the primary-key value, or a parent entity whose primary key is read. */
class ParentEntityKey extends EntityKey {
  override normalize(key: unknown) {
    if (typeof key === 'object' && key !== null && !this.composite) {
      const column = this.columns[0] as EntityKey['columns'][number]
      return super.normalize(column.column.getEntityValue(key))
    }
    return super.normalize(key)
  }
}
