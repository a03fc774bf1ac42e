import type { EntityKey } from './key-set.js'
import type { EntityMetaLike, StatementSource } from './metadata.js'

/**
 * The batch function of `loaders.byId(Entity)`: one SELECT for the batch's unique keys
 * (`= ANY($1)` on PostgreSQL, `IN (…)` on MySQL/MariaDB, `whereInIds` for composite keys),
 * results in key order, `null` for a key with no row.
 */
export function byIdBatch(ds: StatementSource, meta: EntityMetaLike, key: EntityKey, postgres: boolean) {
  const alias = meta.name
  return async (keys: readonly unknown[]): Promise<Array<object | null | Error>> => {
    const { params, slots, out } = key.batch<object | null>(keys)
    if (params.length > 0) {
      const qb = ds.createQueryBuilder(meta.target, alias)
      if (key.composite) qb.whereInIds(params)
      else {
        const path = `${alias}.${(key.columns[0] as EntityKey['columns'][number]).column.propertyName}`
        if (postgres) qb.where(`${path} = ANY(:perf_keys)`, { perf_keys: params })
        else qb.where(`${path} IN (:...perf_keys)`, { perf_keys: params })
      }
      for (const entity of await qb.getMany()) {
        const at = slots.get(key.memoOfEntity(entity))
        if (at !== undefined) for (const i of at) out[i] = entity
      }
    }
    for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = null
    return out
  }
}
