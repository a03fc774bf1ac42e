import { PerfError } from '@perf/core'
import { type BulkMapping, BulkWriteError, type MappedField } from '@perf/pg'
import { converterOf, type PersistingDriver, type ValueTransformerLike } from './column-values.js'

export type { PersistingDriver } from './column-values.js'

const LABEL = '[perf:typeorm]'

/** The part of TypeORM's `ColumnMetadata` the mapping reads. */
export interface ColumnMetadataLike {
  propertyName: string
  propertyPath: string
  databaseName: string
  type: unknown
  transformer?: ValueTransformerLike | ValueTransformerLike[]
  isVirtualProperty?: boolean
  isVersion: boolean
  isCreateDate: boolean
  relationMetadata?: unknown
  referencedColumn?: unknown
  embeddedMetadata?: unknown
  getEntityValue(entity: object): unknown
}

interface RelationMetadataLike {
  propertyName: string
  propertyPath: string
  isLazy: boolean
  joinColumns: readonly ColumnMetadataLike[]
}

interface EmbeddedMetadataLike {
  propertyName: string
  propertyPath: string
  columns: readonly ColumnMetadataLike[]
  relations: readonly RelationMetadataLike[]
  embeddeds: readonly EmbeddedMetadataLike[]
}

/** The part of TypeORM's `EntityMetadata` the mapping reads. */
export interface EntityMetadataLike {
  name: string
  tableName: string
  schema?: string
  columns: readonly ColumnMetadataLike[]
  primaryColumns: readonly ColumnMetadataLike[]
  relations: readonly RelationMetadataLike[]
  embeddeds: readonly EmbeddedMetadataLike[]
  relationIds?: ReadonlyArray<{ propertyName: string }>
  /** TypeORM 0.3 only (`@RelationCount` is gone in 1.x). */
  relationCounts?: ReadonlyArray<{ propertyName: string }>
  versionColumn?: ColumnMetadataLike
  discriminatorColumn?: ColumnMetadataLike
  discriminatorValue?: string
}

/**
 * What a row object may hold at each level: a stored property, an embedded object (its own
 * shape), or a property TypeORM does not store in this table (skipped, as `repository.insert()` does).
 */
type Shape = Map<string, 'stored' | 'skipped' | Shape>

/** One writable field: a column, keyed by its property path. */
interface Field {
  column: ColumnMetadataLike
  /** The row's value, as `column.getEntityValue(row)` reads it (embedded paths, relation objects or keys). */
  get: (row: object) => unknown
  /** The row's value in the form node-postgres (and @perf/pg's encoders) take. */
  convert: (value: unknown) => unknown
}

/** An entity's table and fields as bulk writes need them. */
export interface EntityBulkMapping {
  /** For {@link mappedBulk}. */
  mapping: BulkMapping
  /** Fields of the primary key: the default `key` of bulkUpdate. */
  primary: readonly string[]
  /** Fields TypeORM fills on insert when a row leaves them out: the version (1), the discriminator. */
  insertDefaults: ReadonlyMap<string, unknown>
  /** Fields an upsert keeps on conflict unless told otherwise: the version and the creation date. */
  keepOnConflict: ReadonlySet<string>
  /**
   * Property names in options (`fields`, `key`, `conflict`, `update`) as field names: a field
   * (`address.city`), an embedded (`address`: all its fields) or a relation (`author`: its join columns).
   * @throws PerfError INVALID_ARGUMENT naming the entity and the property
   */
  resolve(names: readonly string[] | string, option: string): string[]
  /**
   * A row (entity-shaped object or entity instance) as an object keyed by field name, holding the
   * fields the row defines (converted). `inserting` adds {@link insertDefaults}.
   * @throws BulkWriteError INVALID_ARGUMENT naming the row and property for a property the entity
   * does not have, or a value its transformer or TypeORM's conversion refuses
   */
  flatten(row: unknown, rowIndex: number, inserting: boolean, committedRows: () => number): Record<string, unknown>
}

function shapeOf(
  columns: readonly ColumnMetadataLike[],
  relations: readonly RelationMetadataLike[],
  embeddeds: readonly EmbeddedMetadataLike[],
): Shape {
  const shape: Shape = new Map()
  for (const c of columns) shape.set(c.propertyName, c.isVirtualProperty === true ? 'skipped' : 'stored')
  for (const r of relations) {
    if (!shape.has(r.propertyName)) shape.set(r.propertyName, r.joinColumns.length > 0 ? 'stored' : 'skipped')
    // A lazy relation keeps its promise and loaded flag on the instance under these names.
    if (r.isLazy) {
      shape.set(`__${r.propertyName}__`, 'skipped')
      shape.set(`__has_${r.propertyName}__`, 'skipped')
    }
  }
  for (const e of embeddeds) shape.set(e.propertyName, shapeOf(e.columns, e.relations, e.embeddeds))
  return shape
}

/** Throws for a key `shape` does not know; `path` is the property path of `value` so far. */
function checkKeys(
  value: object,
  shape: Shape,
  path: string,
  entity: string,
  rowIndex: number,
  committedRows: () => number,
): void {
  for (const key of Object.keys(value)) {
    const entry = shape.get(key)
    const v = (value as Record<string, unknown>)[key]
    if (entry === undefined) {
      if (v === undefined) continue
      const property = path + key
      // A BulkWriteError even though nothing is wrong with the database: rows are read while the
      // write runs, and only this error type passes through the COPY stream as it is.
      throw new BulkWriteError(
        'INVALID_ARGUMENT',
        `${LABEL} row ${rowIndex} for ${entity} has property "${property}", which ${entity} does not have ` +
          `(properties: ${[...shape.keys()].filter((k) => !k.startsWith('__')).join(', ')})`,
        { rowIndex, column: property, committedRows: committedRows(), table: entity },
        { context: { model: entity, property } },
      )
    }
    if (typeof entry === 'object' && typeof v === 'object' && v !== null && !Array.isArray(v))
      checkKeys(v, entry, `${path}${key}.`, entity, rowIndex, committedRows)
  }
}

/**
 * Reads what bulk writes need from an entity's TypeORM metadata: its table (schema-qualified when
 * the entity names a schema), each column keyed by property path (`address.city` for an embedded
 * column, `author.id` for the join column of relation `author`), the conversions TypeORM applies
 * and the primary key.
 */
export function entityBulkMapping(metadata: EntityMetadataLike, driver: PersistingDriver): EntityBulkMapping {
  const entity = metadata.name
  const fields = new Map<string, Field>()
  for (const column of metadata.columns) {
    if (column.isVirtualProperty === true) continue
    // A plain column is a property read; TypeORM's getter (embeddeds, relations) costs more per row.
    const get =
      column.embeddedMetadata === undefined && column.referencedColumn === undefined
        ? (row: object) => (row as Record<string, unknown>)[column.propertyName]
        : (row: object) => column.getEntityValue(row)
    fields.set(column.propertyPath, { column, get, convert: converterOf(column, driver) })
  }
  const fieldOf = (column: ColumnMetadataLike) => column.propertyPath

  // Names that stand for several fields: each embedded, and each relation with join columns.
  const aliases = new Map<string, string[]>()
  const addEmbedded = (e: EmbeddedMetadataLike) => {
    const prefix = `${e.propertyPath}.`
    aliases.set(
      e.propertyPath,
      [...fields.keys()].filter((f) => f.startsWith(prefix)),
    )
    e.embeddeds.forEach(addEmbedded)
  }
  metadata.embeddeds.forEach(addEmbedded)
  for (const r of metadata.relations)
    if (r.joinColumns.length > 0 && !fields.has(r.propertyPath))
      aliases.set(
        r.propertyPath,
        r.joinColumns.map(fieldOf).filter((f) => fields.has(f)),
      )

  const insertDefaults = new Map<string, unknown>()
  if (metadata.versionColumn !== undefined) insertDefaults.set(fieldOf(metadata.versionColumn), 1)
  if (metadata.discriminatorColumn !== undefined && metadata.discriminatorValue !== undefined)
    insertDefaults.set(fieldOf(metadata.discriminatorColumn), metadata.discriminatorValue)
  const keepOnConflict = new Set<string>()
  for (const { column } of fields.values())
    if (column.isVersion || column.isCreateDate) keepOnConflict.add(fieldOf(column))

  const shape = shapeOf(
    metadata.columns.filter((c) => c.embeddedMetadata === undefined),
    metadata.relations.filter((r) => !r.propertyPath.includes('.')),
    metadata.embeddeds,
  )
  for (const r of [...(metadata.relationIds ?? []), ...(metadata.relationCounts ?? [])])
    shape.set(r.propertyName, 'skipped')

  const mappedFields = new Map<string, MappedField>()
  for (const [name, { column }] of fields) mappedFields.set(name, { column: column.databaseName })
  const entries = [...fields.entries()]

  return {
    mapping: {
      model: entity,
      table: metadata.schema ? { schema: metadata.schema, name: metadata.tableName } : metadata.tableName,
      fields: mappedFields,
      label: LABEL,
    },
    primary: metadata.primaryColumns.map(fieldOf),
    insertDefaults,
    keepOnConflict,
    resolve(names, option) {
      const list = typeof names === 'string' ? [names] : names
      if (!Array.isArray(list) || list.some((n) => typeof n !== 'string')) {
        throw new PerfError('INVALID_ARGUMENT', `${LABEL} ${entity}: option "${option}" must be property names`, {
          context: { model: entity, option },
        })
      }
      const out: string[] = []
      for (const name of list) {
        const resolved = fields.has(name) ? [name] : aliases.get(name)
        if (resolved === undefined || resolved.length === 0) {
          throw new PerfError(
            'INVALID_ARGUMENT',
            `${LABEL} ${entity} has no property "${name}" to write (${option}); properties: ${[...fields.keys()].join(', ')}`,
            { context: { model: entity, property: name, option } },
          )
        }
        for (const f of resolved) if (!out.includes(f)) out.push(f)
      }
      return out
    },
    flatten(row, rowIndex, inserting, committedRows) {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw new BulkWriteError(
          'INVALID_ARGUMENT',
          `${LABEL} row ${rowIndex} for ${entity} is ${row === null ? 'null' : Array.isArray(row) ? 'an array' : typeof row}, not an object`,
          { rowIndex, committedRows: committedRows(), table: entity },
        )
      }
      checkKeys(row, shape, '', entity, rowIndex, committedRows)
      const out: Record<string, unknown> = {}
      for (const [name, { get, convert }] of entries) {
        let value = get(row)
        if (value === undefined) {
          if (!inserting || !insertDefaults.has(name)) continue
          value = insertDefaults.get(name)
        }
        try {
          out[name] = convert(value)
        } catch (error) {
          throw new BulkWriteError(
            'INVALID_ARGUMENT',
            `${LABEL} row ${rowIndex} for ${entity}, property "${name}": ${(error as Error)?.message ?? String(error)}`,
            { rowIndex, column: name, committedRows: committedRows(), table: entity },
            { cause: error },
          )
        }
      }
      return out
    },
  }
}
