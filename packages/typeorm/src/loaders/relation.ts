import { PerfError } from '@perf/core'
import { compositeMemo } from './keys.js'
import { EntityKey } from './key-set.js'
import type { ColumnLike, EntityMetaLike, QueryBuilderLike, RelationLike, StatementSource } from './metadata.js'

/** How one relation is read in one statement: an optional join, and the SQL expression of the parent key. */
interface RelationPlan {
  toMany: boolean
  /** Adds the join (if any) to `qb` and returns the parent-key expression. */
  apply(qb: QueryBuilderLike, alias: string): string
}

const PARENT = 'perf_parent'
const JUNCTION = 'perf_junction'

function unsupported(where: string, why: string, relation: RelationLike): PerfError {
  return new PerfError('INVALID_ARGUMENT', `[perf:typeorm] ${where}: ${why}`, {
    context: { entity: relation.entityMetadata.name, relation: relation.propertyName },
  })
}

/** The single parent-side key column `columns` refer to; it must be the parent's primary key. */
function parentColumn(columns: readonly ColumnLike[], parent: EntityMetaLike, where: string, relation: RelationLike) {
  const [column] = columns
  const pk = parent.primaryColumns
  if (columns.length !== 1 || column === undefined || pk.length !== 1)
    throw unsupported(where, 'relations joined by more than one column (composite keys) are not supported', relation)
  if (column.referencedColumn !== undefined && column.referencedColumn.databaseName !== pk[0]?.databaseName)
    throw unsupported(
      where,
      `the relation references ${parent.name}.${column.referencedColumn.propertyName}, not its primary key; load it by that column with a BatchLoader of your own`,
      relation,
    )
  return column
}

/**
 * Plans the single statement of a relation loader. Many-to-one and owning one-to-one join the
 * parent table; one-to-many and inverse one-to-one filter the related table by its foreign key;
 * many-to-many join the junction table.
 * @throws PerfError INVALID_ARGUMENT for a relation keyed by several columns or not by the parent's primary key
 */
export function planRelation(relation: RelationLike, where: string): RelationPlan {
  const parent = relation.entityMetadata
  const type = relation.relationType
  if (type === 'many-to-one' || (type === 'one-to-one' && relation.isOwning)) {
    if (parent.primaryColumns.length !== 1)
      throw unsupported(
        where,
        `${parent.name} has a composite primary key; relation loaders need a single-column key`,
        relation,
      )
    const pk = parent.primaryColumns[0] as ColumnLike
    return {
      toMany: false,
      apply(qb, alias) {
        const on = relation.joinColumns
          .map(
            (c) =>
              `${qb.escape(PARENT)}.${qb.escape(c.databaseName)} = ${qb.escape(alias)}.${qb.escape(c.referencedColumn?.databaseName ?? '')}`,
          )
          .join(' AND ')
        qb.innerJoin(parent.target, PARENT, on)
        return `${qb.escape(PARENT)}.${qb.escape(pk.databaseName)}`
      },
    }
  }
  if (type === 'one-to-many' || type === 'one-to-one') {
    const inverse = relation.inverseRelation
    if (inverse === undefined) throw unsupported(where, 'the relation has no inverse side to join by', relation)
    const fk = parentColumn(inverse.joinColumns, parent, where, relation)
    return {
      toMany: type === 'one-to-many',
      apply: (qb, alias) => `${qb.escape(alias)}.${qb.escape(fk.databaseName)}`,
    }
  }
  const owning = relation.isOwning ? relation : relation.inverseRelation
  const junction = owning?.junctionEntityMetadata
  if (owning === undefined || junction === undefined)
    throw unsupported(where, 'the many-to-many relation has no junction table', relation)
  const parentSide = relation.isOwning ? owning.joinColumns : owning.inverseJoinColumns
  const relatedSide = relation.isOwning ? owning.inverseJoinColumns : owning.joinColumns
  const key = parentColumn(parentSide, parent, where, relation)
  return {
    toMany: true,
    apply(qb, alias) {
      const on = relatedSide
        .map(
          (c) =>
            `${qb.escape(JUNCTION)}.${qb.escape(c.databaseName)} = ${qb.escape(alias)}.${qb.escape(c.referencedColumn?.databaseName ?? '')}`,
        )
        .join(' AND ')
      // By name: a schema-qualified tablePath would be read as a relation path (alias.property).
      qb.innerJoin(junction.name, JUNCTION, on)
      return `${qb.escape(JUNCTION)}.${qb.escape(key.databaseName)}`
    },
  }
}

/**
 * The batch function of `loaders.relation(Entity, name)`: one SELECT of the related entities for
 * every parent key of the batch, grouped by parent key; `null` (to-one) or `[]` (to-many) for a
 * parent with none. To-many results are ordered by the related entity's primary key.
 */
export function relationBatch(
  ds: StatementSource,
  relation: RelationLike,
  plan: RelationPlan,
  parentKey: EntityKey,
  postgres: boolean,
  where: string,
) {
  const related = relation.inverseEntityMetadata
  const relatedKey = new EntityKey(related.primaryColumns, where)
  const alias = related.name
  const parentColumn = parentKey.columns[0] as EntityKey['columns'][number]
  return async (keys: readonly unknown[]): Promise<Array<object | object[] | null | Error>> => {
    const { params, slots, out } = parentKey.batch<object | object[] | null>(keys)
    if (plan.toMany) for (const at of slots.values()) for (const i of at) out[i] = []
    if (params.length > 0) {
      const qb = ds.createQueryBuilder(related.target, alias)
      const keyExpr = plan.apply(qb, alias)
      qb.addSelect(keyExpr, 'perf_key')
      relatedKey.columns.forEach((c, i) =>
        qb.addSelect(`${qb.escape(alias)}.${qb.escape(c.column.databaseName)}`, `perf_id${i}`),
      )
      if (postgres) qb.where(`${keyExpr} = ANY(:perf_keys)`, { perf_keys: params })
      else qb.where(`${keyExpr} IN (:...perf_keys)`, { perf_keys: params })
      if (plan.toMany) for (const c of relatedKey.columns) qb.addOrderBy(`${alias}.${c.column.propertyName}`)
      const { raw, entities } = await qb.getRawAndEntities()
      const byId = new Map<string, object>()
      for (const entity of entities) byId.set(relatedKey.memoOfEntity(entity), entity)
      for (const row of raw) {
        const memos = relatedKey.columns.map((c, i) => c.memoOf(row[`perf_id${i}`]))
        const entity = byId.get(relatedKey.composite ? compositeMemo(memos) : (memos[0] as string))
        const at = slots.get(parentColumn.memoOf(row.perf_key))
        if (entity === undefined || at === undefined) continue
        for (const i of at) {
          if (plan.toMany) (out[i] as object[]).push(entity)
          else out[i] = entity
        }
      }
    }
    for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = plan.toMany ? [] : null
    return out
  }
}
