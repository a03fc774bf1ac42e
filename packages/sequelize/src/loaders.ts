import { BatchLoader, PerfError, type BatchLoaderOptions } from '@perf/core'
import type { FindOptions, Model, ModelStatic } from 'sequelize'
import { keysWhere } from './key-filter.js'

/** A primary-key value as Sequelize hands it back (BIGINT comes back as a string on PostgreSQL). */
export type PrimaryKey = string | number | bigint

/** Options of {@link pkLoader} and {@link associationLoader}: the BatchLoader's, plus the finder's. */
export interface ModelLoaderOptions<K, V> extends Omit<BatchLoaderOptions<K, V, string>, 'cacheKeyFn' | 'cacheMap'> {
  /**
   * Options of the one `findAll` each batch runs (`attributes`, `include`, `transaction`,
   * `paranoid`, `cache`, ...). Its `where` is combined with the batch's keys.
   * @default {}
   */
  find?: Omit<FindOptions, 'limit' | 'offset' | 'group'>
}

function primaryKeyOf(model: ModelStatic<Model>): string {
  const pk = model.primaryKeyAttribute
  if (typeof pk !== 'string' || pk === '')
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:sequelize] ${model.name} has no single-column primary key to load by`,
      {
        context: { model: model.name },
      },
    )
  return pk
}

/** Keys as one batch's distinct values, and each key's lookup string. */
function distinct<K>(keys: readonly K[], idOf: (key: K) => PrimaryKey): { ids: PrimaryKey[]; lookup: string[] } {
  const lookup = keys.map((k) => String(idOf(k)))
  const seen = new Map<string, PrimaryKey>()
  keys.forEach((k, i) => seen.set(lookup[i]!, idOf(k)))
  return { ids: [...seen.values()], lookup }
}

function where(
  model: ModelStatic<Model>,
  find: ModelLoaderOptions<unknown, unknown>['find'],
  pk: string,
  ids: PrimaryKey[],
): FindOptions['where'] {
  const keys = keysWhere(model, pk, ids)
  const own = find?.where
  return own === undefined ? keys : ({ ...(own as object), ...(keys as object) } as FindOptions['where'])
}

/**
 * A DataLoader-compatible loader of `model` rows by primary key: every `load(id)` made in the same
 * tick becomes one `findAll` (one statement per batch of at most `maxBatchSize`: on PostgreSQL
 * `WHERE "pk" = ANY('{…}')` with the keys as one array literal, elsewhere `IN (…)`), each resolving to its instance or `null`. Keys are compared as strings, so
 * `load(1)` and `load('1')` share a row. Make one per request: its memo cache is the request's.
 *
 * @throws PerfError INVALID_ARGUMENT for a model without a single-column primary key
 * @example
 * const users = pkLoader(User)
 * const authors = await Promise.all(posts.map((p) => users.load(p.authorId))) // one SELECT
 */
export function pkLoader<M extends Model>(
  model: ModelStatic<M>,
  options: ModelLoaderOptions<PrimaryKey, M | null> = {},
): BatchLoader<PrimaryKey, M | null, string> {
  const pk = primaryKeyOf(model as ModelStatic<Model>)
  const { find, ...loader } = options
  return new BatchLoader<PrimaryKey, M | null, string>(
    async (keys) => {
      const { ids, lookup } = distinct(keys, (k) => k)
      const rows = await model.findAll({
        ...find,
        where: where(model as ModelStatic<Model>, find, pk, ids),
      } as FindOptions)
      const byId = new Map(rows.map((row) => [String(row.get(pk)), row]))
      return lookup.map((id) => byId.get(id) ?? null)
    },
    { name: `${model.name}.pk`, ...loader, cacheKeyFn: (k) => String(k) },
  )
}

/**
 * A DataLoader-compatible loader of one association of `model` (belongsTo, hasOne, hasMany,
 * belongsToMany): `load(instanceOrId)` resolves to what `instance.get<Association>()` would
 * (an instance or `null`; an array for hasMany and belongsToMany), and every load of a tick is
 * one `findAll` of the owners with the association included: one statement per batch.
 *
 * @throws PerfError INVALID_ARGUMENT for an association `model` does not have
 * @example
 * const tagsOf = associationLoader(Post, 'tags')
 * const tags = await Promise.all(posts.map((p) => tagsOf.load(p))) // one SELECT ... JOIN
 */
export function associationLoader<M extends Model, V = unknown>(
  model: ModelStatic<M>,
  association: string,
  options: ModelLoaderOptions<M | PrimaryKey, V> = {},
): BatchLoader<M | PrimaryKey, V, string> {
  const pk = primaryKeyOf(model as ModelStatic<Model>)
  const assoc = (model.associations as Record<string, { isMultiAssociation?: boolean } | undefined>)[association]
  if (assoc === undefined) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:sequelize] associationLoader(): ${model.name} has no association "${association}" (known: ${Object.keys(model.associations).join(', ') || 'none'})`,
      { context: { model: model.name, association } },
    )
  }
  const many = assoc.isMultiAssociation === true
  const { find, ...loader } = options
  const idOf = (key: M | PrimaryKey): PrimaryKey =>
    typeof key === 'object' && key !== null ? ((key as Model).get(pk) as PrimaryKey) : key
  return new BatchLoader<M | PrimaryKey, V, string>(
    async (keys) => {
      const { ids, lookup } = distinct(keys, idOf)
      const include = [...((find?.include as unknown[] | undefined) ?? []), { association }]
      const owners = await model.findAll({
        attributes: [pk],
        ...find,
        include,
        where: where(model as ModelStatic<Model>, find, pk, ids),
      } as FindOptions)
      const byId = new Map(owners.map((owner) => [String(owner.get(pk)), owner.get(association) as V]))
      return lookup.map((id) => (byId.has(id) ? (byId.get(id) as V) : ((many ? [] : null) as V)))
    },
    { name: `${model.name}.${association}`, ...loader, cacheKeyFn: (k) => String(idOf(k)) },
  )
}
