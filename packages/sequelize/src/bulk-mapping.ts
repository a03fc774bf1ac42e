import type { BulkMapping, MappedField } from '@perf/pg'

/** What the bulk writes read of a Sequelize 6 attribute (`Model.getAttributes()`). */
export interface AttributeMeta {
  field?: string
  type?: DataTypeMeta
  defaultValue?: unknown
  autoIncrement?: boolean
}

interface DataTypeMeta {
  key?: string
  values?: readonly unknown[]
  type?: DataTypeMeta
}

/** What the bulk writes read of a Sequelize 6 model class. */
export interface ModelMeta {
  name: string
  sequelize?: unknown
  getTableName(): unknown
  getAttributes?(): Record<string, AttributeMeta>
  rawAttributes?: Record<string, AttributeMeta>
  primaryKeyAttributes?: readonly string[]
  options?: { timestamps?: boolean; createdAt?: unknown; updatedAt?: unknown; paranoid?: boolean }
  /** Sequelize's own resolved timestamp attribute names (private in v6, stable since 4). */
  _timestampAttributes?: { createdAt?: string; updatedAt?: string; deletedAt?: string }
  /** Attribute → its `defaultValue` as `build()` applies it (NOW, UUIDV4, literals cloned). */
  _defaultValues?: Record<string, () => unknown>
}

/** The attributes of `model`, as Sequelize resolved them. */
export function attributesOf(model: ModelMeta): Record<string, AttributeMeta> {
  return (typeof model.getAttributes === 'function' ? model.getAttributes() : model.rawAttributes) ?? {}
}

/** `{ schema, name }` of the model's table (`getTableName()` is a string or `{ tableName, schema }`). */
export function tableOf(model: ModelMeta): { schema?: string; name: string } {
  const table = model.getTableName()
  if (typeof table === 'string') return { name: table }
  const { tableName, schema } = (table ?? {}) as { tableName?: unknown; schema?: unknown }
  return typeof schema === 'string' && schema !== '' ? { schema, name: String(tableName) } : { name: String(tableName) }
}

/** The createdAt and updatedAt attribute names of a model with timestamps (renamed ones included). */
export function timestampsOf(model: ModelMeta): { createdAt?: string; updatedAt?: string } {
  const resolved = model._timestampAttributes
  if (resolved !== undefined && resolved !== null)
    return { createdAt: resolved.createdAt, updatedAt: resolved.updatedAt }
  const o = model.options ?? {}
  if (o.timestamps !== true) return {}
  const name = (option: unknown, fallback: string) =>
    option === false ? undefined : typeof option === 'string' ? option : fallback
  return { createdAt: name(o.createdAt, 'createdAt'), updatedAt: name(o.updatedAt, 'updatedAt') }
}

/**
 * The @perf/pg mapping of a model: every stored attribute (not VIRTUAL) to its column (`field`,
 * so `underscored: true` is followed), its value turned into what PostgreSQL reads the way
 * Sequelize would send it, `defaultValue` applied on insert as `build()` applies it, and
 * createdAt/updatedAt filled with `now` (one instant per call, as `bulkCreate` does); updates
 * set updatedAt to `now` unless `silent`.
 */
export function bulkMapping(model: ModelMeta, now: Date, silent = false): BulkMapping {
  const attributes = attributesOf(model)
  const { createdAt, updatedAt } = timestampsOf(model)
  const defaults = model._defaultValues ?? {}
  const fields = new Map<string, MappedField>()
  for (const [name, attribute] of Object.entries(attributes)) {
    if (attribute?.type?.key === 'VIRTUAL') continue
    const field: MappedField = { column: attribute.field ?? name, toDatabase: converterFor(attribute.type) }
    const own = typeof defaults[name] === 'function' ? defaults[name] : undefined
    if (name === createdAt || name === updatedAt) field.default = own ?? (() => now)
    else if (own !== undefined) field.default = own
    if (name === updatedAt && !silent) field.onUpdate = () => now
    fields.set(name, field)
  }
  return { model: model.name, table: tableOf(model), fields, label: '[perf:sequelize]' }
}

const NUMERIC = new Set([
  'INTEGER',
  'BIGINT',
  'SMALLINT',
  'MEDIUMINT',
  'TINYINT',
  'FLOAT',
  'DOUBLE',
  'DOUBLE PRECISION',
  'REAL',
  'DECIMAL',
  'NUMBER',
])
/** Types whose values Sequelize turns into SQL itself (GeoJSON, ranges, hstore): only their text form goes through. */
const TEXT_FORM_ONLY = new Set(['GEOMETRY', 'GEOGRAPHY', 'RANGE', 'HSTORE'])
/** Sequelize's SQL expressions (`fn`, `literal`, `col`, `cast`, `where`, `json`): they are SQL, not values. */
const SQL_EXPRESSIONS = new Set(['Fn', 'Literal', 'Col', 'Cast', 'Where', 'Json', 'SequelizeMethod'])

type Convert = (value: unknown) => unknown

/** A value's description for messages, without quoting long values whole. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (value instanceof Date) return 'Invalid Date'
  if (typeof value === 'object' && value !== null) {
    const name = value.constructor?.name
    return name === undefined || name === 'Object' ? 'an object' : `a ${name}`
  }
  return String(value)
}

/** @throws Error for an `fn()`/`literal()`/`col()`: the message becomes the BulkWriteError's. */
function refuseExpression(value: object): void {
  const name = value.constructor?.name
  if (name !== undefined && SQL_EXPRESSIONS.has(name)) {
    throw new Error(
      `a Sequelize ${name.toLowerCase()}() is SQL, which bulk writes cannot send (COPY and unnest take values); give the value itself`,
    )
  }
}

/** Objects the driver cannot take as numbers (Decimal.js, Big.js) as their text. */
function numeric(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  refuseExpression(value)
  const text = (value as { toString?: unknown }).toString
  if (typeof text === 'function' && text !== Object.prototype.toString) return String(value)
  throw new Error(`expected a number, a numeric string, a bigint or a Decimal, got ${shown(value)}`)
}

function date(value: unknown): unknown {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error('Invalid Date')
    return value
  }
  if (typeof value === 'number') return new Date(value)
  if (typeof value === 'object' && value !== null) {
    refuseExpression(value)
    // moment, dayjs, Luxon (toJSDate): what Sequelize's DATE accepts besides Date.
    const m = value as { toDate?: () => unknown; toJSDate?: () => unknown }
    const d = typeof m.toDate === 'function' ? m.toDate() : typeof m.toJSDate === 'function' ? m.toJSDate() : undefined
    if (d instanceof Date) return date(d)
    throw new Error(`expected a Date, got ${shown(value)}`)
  }
  // Strings go as they are: PostgreSQL reads them in the session time zone Sequelize set.
  return value
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

function dateOnly(value: unknown): unknown {
  const d = date(value)
  // The local calendar day, as Sequelize's DATEONLY writes a Date (moment(date).format('YYYY-MM-DD')).
  return d instanceof Date ? `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` : d
}

function anyValue(value: unknown): unknown {
  if (typeof value === 'object' && value !== null) refuseExpression(value)
  return value
}

/** How a value of `type` becomes what node-postgres and COPY encode as Sequelize would have written it. */
function converterFor(type: DataTypeMeta | undefined): Convert {
  const key = type?.key ?? ''
  if (NUMERIC.has(key)) return numeric
  switch (key) {
    case 'DATE':
      return date
    case 'DATEONLY':
      return dateOnly
    case 'ENUM': {
      const values = new Set((type?.values ?? []).map(String))
      const list = [...values].map((v) => `"${v}"`).join(', ')
      return (value) => {
        if (typeof value === 'object' && value !== null) refuseExpression(value)
        if (!values.has(String(value))) throw new Error(`${shown(value)} is not one of the ENUM's values (${list})`)
        return value
      }
    }
    case 'ARRAY': {
      const element = converterFor(type?.type)
      // ARRAY(ARRAY(x)) converts its inner arrays itself; ARRAY(x) may be given a
      // multi-dimensional array (a PostgreSQL array of x has any number of dimensions).
      const nested = type?.type?.key === 'ARRAY'
      const each = (value: unknown): unknown => {
        if (!Array.isArray(value)) {
          if (typeof value === 'object' && value !== null) refuseExpression(value)
          throw new Error(`expected an array, got ${shown(value)}`)
        }
        return value.map((v) =>
          v === null || v === undefined ? v : !nested && Array.isArray(v) ? each(v) : element(v),
        )
      }
      return each
    }
    case 'BLOB':
      return (value) => {
        if (typeof value === 'string') return Buffer.from(value)
        if (value instanceof Uint8Array) return value
        if (typeof value === 'object' && value !== null) refuseExpression(value)
        throw new Error(`expected a Buffer or a string, got ${shown(value)}`)
      }
    default:
      if (TEXT_FORM_ONLY.has(key)) {
        return (value) => {
          if (typeof value === 'string') return value
          throw new Error(
            `${key} values are turned into SQL by Sequelize; bulk writes take only their PostgreSQL text form (a string)`,
          )
        }
      }
      return anyValue
  }
}
