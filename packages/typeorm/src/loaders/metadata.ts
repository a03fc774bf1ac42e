import { PerfError } from '@perf/core'

/** The parts of TypeORM's ColumnMetadata the loaders read (same on 0.3 and 1.x). */
export interface ColumnLike {
  propertyName: string
  databaseName: string
  type: unknown
  generationStrategy?: string
  referencedColumn?: ColumnLike
  entityMetadata: EntityMetaLike
  getEntityValue(entity: object): unknown
}

/** The parts of TypeORM's RelationMetadata the loaders read. */
export interface RelationLike {
  propertyName: string
  relationType: 'one-to-one' | 'one-to-many' | 'many-to-one' | 'many-to-many'
  isOwning: boolean
  joinColumns: ColumnLike[]
  inverseJoinColumns: ColumnLike[]
  inverseRelation?: RelationLike
  inverseEntityMetadata: EntityMetaLike
  entityMetadata: EntityMetaLike
  junctionEntityMetadata?: EntityMetaLike
}

/** The parts of TypeORM's EntityMetadata the loaders read. */
export interface EntityMetaLike {
  name: string
  target: unknown
  tableName: string
  tablePath: string
  isJunction: boolean
  primaryColumns: ColumnLike[]
  relations: RelationLike[]
}

/** The parts of a DataSource the loaders use. */
export interface LoaderDataSource {
  options: { type: string }
  entityMetadatas: readonly EntityMetaLike[]
  hasMetadata(target: unknown): boolean
  getMetadata(target: unknown): EntityMetaLike
  createQueryBuilder(target: unknown, alias: string): QueryBuilderLike
}

/** What the batch functions run statements through: the DataSource or an EntityManager. */
export type StatementSource = Pick<LoaderDataSource, 'createQueryBuilder'>

/** The QueryBuilder calls the loaders make. */
export interface QueryBuilderLike {
  escape(name: string): string
  where(condition: string, parameters?: Record<string, unknown>): QueryBuilderLike
  whereInIds(ids: unknown[]): QueryBuilderLike
  innerJoin(target: unknown, alias: string, condition: string): QueryBuilderLike
  addSelect(selection: string, alias: string): QueryBuilderLike
  addOrderBy(sort: string): QueryBuilderLike
  getMany(): Promise<object[]>
  getRawAndEntities(): Promise<{ raw: Record<string, unknown>[]; entities: object[] }>
}

/** A printable name for an entity target (class, EntitySchema, or name). */
export function targetName(target: unknown): string {
  if (typeof target === 'function') return target.name || '(anonymous class)'
  if (typeof target === 'string') return target
  const schemaName = (target as { options?: { name?: unknown } } | null)?.options?.name
  return typeof schemaName === 'string' ? schemaName : String(target)
}

/**
 * The entity metadata of `target`.
 * @throws PerfError UNKNOWN_MODEL when the DataSource has no such entity
 */
export function entityMetadata(ds: LoaderDataSource, target: unknown, call: string): EntityMetaLike {
  let known = false
  try {
    known = target !== null && target !== undefined && ds.hasMetadata(target)
  } catch {
    known = false
  }
  const meta = known ? ds.getMetadata(target) : undefined
  if (meta === undefined || meta.isJunction) {
    const names = ds.entityMetadatas.filter((m) => !m.isJunction).map((m) => m.name)
    throw new PerfError(
      'UNKNOWN_MODEL',
      `[perf:typeorm] ${call}: "${targetName(target)}" is not an entity of this DataSource (known: ${names.join(', ') || 'none'})`,
      { context: { entity: targetName(target) } },
    )
  }
  return meta
}
