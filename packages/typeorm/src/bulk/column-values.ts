/** How a column's values are prepared for PostgreSQL, as TypeORM prepares them. */

/** A TypeORM `ValueTransformer`: only `to` is used on the way in. */
export interface ValueTransformerLike {
  to(value: unknown): unknown
}

/** The part of TypeORM's driver the mapping calls. */
export interface PersistingDriver {
  preparePersistentValue(value: unknown, column: never): unknown
}

/** The part of TypeORM's `ColumnMetadata` the conversion reads. */
interface ConvertedColumn {
  type: unknown
  isArray?: boolean
  transformer?: ValueTransformerLike | ValueTransformerLike[]
}

const JSON_TYPES = new Set(['json', 'jsonb'])
/**
 * Column types whose values the postgres driver's `preparePersistentValue` returns as they are.
 * Skipping the call matters: it walks a long chain of type tests (allocating an array on the way)
 * per value, about half the cost of mapping a row.
 */
const AS_IS = new Set<unknown>([
  String,
  Number,
  'varchar',
  'character varying',
  'text',
  'char',
  'character',
  'citext',
  'uuid',
  'int',
  'int2',
  'int4',
  'int8',
  'integer',
  'smallint',
  'bigint',
  'numeric',
  'decimal',
  'float',
  'float4',
  'float8',
  'double precision',
  'real',
  'money',
  'bytea',
  'inet',
  'cidr',
  'macaddr',
  'interval',
])

function transformTo(transformer: ValueTransformerLike | ValueTransformerLike[], value: unknown): unknown {
  // TypeORM applies an array of transformers in order on the way in.
  return Array.isArray(transformer) ? transformer.reduce((v, t) => t.to(v), value) : transformer.to(value)
}

/** What TypeORM's driver does to a non-null value of `column` (after the transformer). */
function preparerOf(column: ConvertedColumn, driver: PersistingDriver): ((value: unknown) => unknown) | undefined {
  const type = column.type
  // json/jsonb stay objects: @perf/pg encodes them as JSON itself (the driver would stringify them).
  if (AS_IS.has(type) || (typeof type === 'string' && JSON_TYPES.has(type))) return undefined
  if ((type === 'enum' || type === 'simple-enum') && !column.isArray) return (value) => '' + (value as string)
  // The driver would apply the transformer again: give it a view of the column without one.
  const plain = Object.create(column, { transformer: { value: undefined } }) as never
  return (value) => driver.preparePersistentValue(value, plain)
}

/**
 * The conversion TypeORM applies before a value is sent: the column's transformer (null included),
 * then the driver's `preparePersistentValue` (simple-json → JSON text, simple-array → `a,b`, Date
 * types, enum, hstore, …).
 */
export function converterOf(column: ConvertedColumn, driver: PersistingDriver): (value: unknown) => unknown {
  const transformer = column.transformer
  const prepare = preparerOf(column, driver)
  if (transformer === undefined)
    return prepare === undefined ? (value) => value : (value) => (value === null ? value : prepare(value))
  return (value) => {
    value = transformTo(transformer, value)
    return value === null || value === undefined || prepare === undefined ? value : prepare(value)
  }
}
