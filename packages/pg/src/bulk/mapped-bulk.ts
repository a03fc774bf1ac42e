import { PerfError } from '@perf/core'
import { BulkWriteError } from '../errors.js'
import type { TableName } from '../identifiers.js'
import type { PgQueryable } from '../queryable.js'
import { bulkUpdate } from './bulk-update.js'
import { bulkUpsert } from './bulk-upsert.js'
import { copyInsert, type BulkProgress, type BulkResult, type CopyInsertOptions } from './copy-insert.js'
import type { UnnestWriteOptions } from './unnest-writer.js'

/** How one field (property, attribute) of an ORM model is stored. */
export interface MappedField {
  /** The column it is stored in. */
  column: string
  /**
   * The column's PostgreSQL type as a cast target (`integer`, `numeric`, `jsonb`, `text[]`).
   * When every written field has one, the catalog is not read.
   * @default read from the catalog (once per pool and table)
   */
  type?: string
  /**
   * Turns the ORM's value into one node-postgres encodes (a Decimal into its string, a
   * transformer's `to`, an enum's stored form). Not called for `null` and `undefined`.
   * @default the value as given
   */
  toDatabase?: (value: unknown) => unknown
  /**
   * The value of a row that lacks the field (`undefined`) when inserting: `@default(uuid())`,
   * `defaultValue`, a creation timestamp. A field with `default` is always written by
   * `copyInsert` and on the insert side of `bulkUpsert` (never overwritten on conflict unless
   * listed in `update`). Without it, a row lacking a written field writes NULL.
   */
  default?: () => unknown
  /**
   * The value of a row that lacks the field when updating (`@updatedAt`, `updatedAt`): such a
   * field is always written by `bulkUpdate` and by `bulkUpsert` (on both sides).
   */
  onUpdate?: () => unknown
}

/** What an ORM adapter knows about one model: its table and how each field is stored. */
export interface BulkMapping {
  /** The model's name, for messages (`User`). */
  model: string
  /** The model's table (schema-qualified when it is not on the search path). */
  table: TableName
  /** Field name → how it is stored. Only these fields can be written. */
  fields: ReadonlyMap<string, MappedField>
  /** Prefix of error messages naming the adapter (`[perf:prisma]`). @default '[perf:pg]' */
  label?: string
}

/** Rows as the ORM's plain objects keyed by field name, in memory or streamed. */
export type MappedRows = Iterable<object> | AsyncIterable<object>

/** Which fields a mapped write sends. */
export interface MappedFieldsOption {
  /**
   * The fields to write, by field name. A row without one of them writes NULL there (COPY and
   * the unnest statements have no per-row DEFAULT).
   * @default every field some row has (for an array); for a streamed source, the fields of its
   * first row, and a later row with another field is refused (an empty source writes nothing)
   */
  fields?: readonly string[]
}

/** Options of {@link MappedBulk.copyInsert}. */
export type MappedCopyInsertOptions = Omit<CopyInsertOptions, 'types' | 'json'> & MappedFieldsOption

/** Options of {@link MappedBulk.bulkUpdate}. */
export interface MappedBulkUpdateOptions extends Omit<UnnestWriteOptions, 'types' | 'json'>, MappedFieldsOption {
  /** The field(s) that find each row, usually the primary key. Not updated. */
  key: string | readonly string[]
}

/** Options of {@link MappedBulk.bulkUpsert}. */
export interface MappedBulkUpsertOptions extends Omit<UnnestWriteOptions, 'types' | 'json'>, MappedFieldsOption {
  /** Fields of a unique index or constraint: a row whose values exist there is updated. */
  conflict: readonly string[]
  /**
   * Fields to overwrite on conflict; `[]` keeps the existing row (`DO NOTHING`).
   * @default the rows' fields (and `onUpdate` fields) not in `conflict`; fields only filled by
   *   their `default` (a generated id) keep their stored value
   */
  update?: readonly string[]
}

/** What a mapped write did: the bulk result and the fields it wrote (for invalidation). */
export interface MappedBulkResult extends BulkResult {
  /** The fields written, key and conflict fields included. */
  fields: readonly string[]
}

/** Bulk writes in a model's terms; see {@link mappedBulk}. */
export interface MappedBulk {
  /** {@link copyInsert} of rows keyed by field name. */
  copyInsert(db: PgQueryable, rows: MappedRows, options?: MappedCopyInsertOptions): Promise<MappedBulkResult>
  /** {@link bulkUpdate} of rows keyed by field name, found by `options.key`. */
  bulkUpdate(db: PgQueryable, rows: MappedRows, options: MappedBulkUpdateOptions): Promise<MappedBulkResult>
  /** {@link bulkUpsert} of rows keyed by field name, conflicting on `options.conflict`. */
  bulkUpsert(db: PgQueryable, rows: MappedRows, options: MappedBulkUpsertOptions): Promise<MappedBulkResult>
}

/**
 * The bulk writes of @perf/pg in an ORM model's terms: rows are keyed by field name, fields are
 * written to their columns (`@map`, `field:`, `name:`), values go through the field's
 * `toDatabase`, and errors name the model and field. What every ORM adapter's bulk API is built
 * on; the adapter supplies the mapping from its metadata and invalidates its cache afterwards.
 *
 * Rows are mapped one at a time as they are sent, so a streamed source stays streamed.
 *
 * @example
 * const users = mappedBulk({ model: 'User', table: 'users', fields: new Map([['createdAt', { column: 'created_at' }]]) })
 * await users.copyInsert(pool, [{ createdAt: new Date() }])
 * @throws PerfError INVALID_ARGUMENT naming the model and field for an unknown field (in `fields`,
 *   `key`, `conflict`, `update` or the first row), and BulkWriteError as the underlying write
 *   throws it, with `column` set to the field name
 */
export function mappedBulk(mapping: BulkMapping): MappedBulk {
  const label = mapping.label ?? '[perf:pg]'
  const unknownField = (field: string, where: string) =>
    new PerfError(
      'INVALID_ARGUMENT',
      `${label} ${mapping.model} has no field "${field}" (${where}); fields: ${[...mapping.fields.keys()].join(', ')}`,
      { context: { model: mapping.model, field, argument: where } },
    )
  const check = (fields: readonly string[], where: string): void => {
    if (!Array.isArray(fields)) {
      throw new PerfError('INVALID_ARGUMENT', `${label} ${where} must be an array of field names of ${mapping.model}`, {
        context: { model: mapping.model, argument: where },
      })
    }
    for (const f of fields) if (!mapping.fields.has(f)) throw unknownField(String(f), where)
  }
  const notAnObject = (index: number, committedRows = 0) =>
    new BulkWriteError('INVALID_ARGUMENT', `${label} row ${index} for ${mapping.model} is not an object`, {
      rowIndex: index,
      committedRows,
      table: mapping.model,
    })
  const columnsOf = (fields: readonly string[]) => fields.map((f) => mapping.fields.get(f)!.column)
  const typesOf = (fields: readonly string[]): Record<string, string> | undefined => {
    const types: Record<string, string> = {}
    for (const f of fields) {
      const { column, type } = mapping.fields.get(f)!
      if (type === undefined) return undefined
      types[column] = type
    }
    return types
  }

  /** Runs `write` on the rows as arrays in `fields` order, naming fields instead of columns in its errors. */
  async function run(
    fn: string,
    rows: MappedRows,
    options: (MappedFieldsOption & { onProgress?: (progress: BulkProgress) => void }) | undefined,
    required: readonly string[],
    kind: 'insert' | 'update' | 'upsert',
    write: (
      fields: readonly string[],
      arrays: AsyncIterable<unknown[]> | Iterable<unknown[]>,
      updatable: readonly string[],
      onProgress: (progress: BulkProgress) => void,
    ) => Promise<BulkResult>,
  ): Promise<MappedBulkResult> {
    if (rows === null || typeof rows !== 'object' || !(Symbol.iterator in rows || Symbol.asyncIterator in rows)) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `${label} ${fn}() rows must be an array or an (async) iterable of objects`,
        {
          context: { model: mapping.model, argument: 'rows' },
        },
      )
    }
    const peeked = await peek(rows)
    let fields: string[]
    // Only when the fields come from a streamed source's first row can a later row carry one more.
    let strictFrom: ReadonlySet<string> | undefined
    if (options?.fields !== undefined) {
      check(options.fields, 'fields')
      fields = [...options.fields]
    } else {
      if (peeked.first === undefined) return { rows: 0, batches: 0, bytes: 0, fields: [] }
      const seen = new Set<string>()
      const sample = Array.isArray(rows) ? (rows as unknown[]) : [peeked.first]
      for (let i = 0; i < sample.length; i++) {
        const row = sample[i]
        if (typeof row !== 'object' || row === null || Array.isArray(row)) throw notAnObject(i)
        for (const key of definedKeys(row)) {
          if (seen.has(key)) continue
          if (!mapping.fields.has(key)) throw unknownField(key, `row ${i}`)
          seen.add(key)
        }
      }
      fields = [...seen]
      if (!Array.isArray(rows)) strictFrom = seen
    }
    // Key (or conflict) fields first, in the order given: bulkUpdate takes array rows key-first.
    if (required.length > 0) fields = [...required, ...fields.filter((f) => !required.includes(f))]
    // Fields the ORM fills itself: timestamps on update, generated ids and defaults on insert.
    const updatable = [...fields]
    for (const [name, field] of mapping.fields) {
      if (fields.includes(name)) continue
      if (kind !== 'insert' && field.onUpdate) {
        fields.push(name)
        updatable.push(name)
      } else if (kind !== 'update' && field.default) fields.push(name)
    }
    const convert = fields.map((f) => mapping.fields.get(f)!.toDatabase)
    const fill = fields.map((f) => {
      const field = mapping.fields.get(f)!
      return kind === 'insert' ? field.default : kind === 'update' ? field.onUpdate : (field.onUpdate ?? field.default)
    })
    // Rows committed so far (atomic: false), for the errors of rows mapped later.
    let committed = 0
    const onProgress = (progress: BulkProgress) => {
      committed = progress.committedRows
      options?.onProgress?.(progress)
    }
    const toArray = (row: object, index: number): unknown[] => {
      if (typeof row !== 'object' || row === null || Array.isArray(row)) throw notAnObject(index, committed)
      if (strictFrom !== undefined && index > 0) {
        for (const key of definedKeys(row)) {
          if (!strictFrom.has(key)) {
            throw new BulkWriteError(
              'INVALID_ARGUMENT',
              `${label} row ${index} for ${mapping.model} has field "${key}", which the first row of the stream did not have; pass options.fields to write it`,
              { rowIndex: index, column: key, committedRows: committed, table: mapping.model },
            )
          }
        }
      }
      const out = new Array<unknown>(fields.length)
      for (let i = 0; i < fields.length; i++) {
        let value = (row as Record<string, unknown>)[fields[i]!]
        if (value === undefined && fill[i] !== undefined) value = fill[i]!()
        const to = convert[i]
        if (to === undefined || value === null || value === undefined) out[i] = value
        else {
          try {
            out[i] = to(value)
          } catch (error) {
            throw new BulkWriteError(
              'INVALID_ARGUMENT',
              `${label} row ${index} for ${mapping.model}, field "${fields[i]}": ${(error as Error)?.message ?? String(error)}`,
              { rowIndex: index, column: fields[i]!, committedRows: committed, table: mapping.model },
              { cause: error },
            )
          }
        }
      }
      return out
    }
    try {
      const result = await write(fields, mapRows(peeked, toArray), updatable, onProgress)
      return { ...result, fields }
    } catch (error) {
      throw renameColumn(error, fields, columnsOf(fields))
    }
  }

  return {
    copyInsert(db, rows, options = {}) {
      const { fields: _fields, ...rest } = options
      return run('copyInsert', rows, options, [], 'insert', (fields, arrays, _updatable, onProgress) =>
        copyInsert(db, mapping.table, columnsOf(fields), arrays, { ...rest, onProgress, types: typesOf(fields) }),
      )
    },
    async bulkUpdate(db, rows, options) {
      const keys = keyList(options?.key, 'key', label, mapping.model)
      check(keys, 'key')
      const { fields: _fields, key: _key, ...rest } = options
      return run('bulkUpdate', rows, options, keys, 'update', (fields, arrays, _updatable, onProgress) => {
        const set = fields.filter((f) => !keys.includes(f))
        if (set.length === 0) {
          throw new PerfError(
            'INVALID_ARGUMENT',
            `${label} ${mapping.model} bulkUpdate() has nothing to update: the rows carry only the key (${keys.join(', ')})`,
            { context: { model: mapping.model, key: keys } },
          )
        }
        return bulkUpdate(db, mapping.table, columnsOf(keys), columnsOf(set), arrays, {
          ...rest,
          onProgress,
          types: typesOf(fields),
        })
      })
    },
    async bulkUpsert(db, rows, options) {
      const conflict = keyList(options?.conflict, 'conflict', label, mapping.model)
      check(conflict, 'conflict')
      if (options.update !== undefined) check(options.update, 'update')
      const { fields: _fields, conflict: _conflict, update, ...rest } = options
      return run('bulkUpsert', rows, options, conflict, 'upsert', (fields, arrays, updatable, onProgress) =>
        bulkUpsert(db, mapping.table, columnsOf(fields), arrays, {
          ...rest,
          onProgress,
          types: typesOf(fields),
          conflict: columnsOf(conflict),
          update: columnsOf(update ?? updatable.filter((f) => !conflict.includes(f))),
        }),
      )
    },
  }
}

/** The keys of `row` whose value is not `undefined` (an `undefined` field is not written, as in the ORMs). */
function* definedKeys(row: object): Generator<string> {
  for (const key in row) {
    if (Object.hasOwn(row, key) && (row as Record<string, unknown>)[key] !== undefined) yield key
  }
}

function keyList(value: unknown, option: string, label: string, model: string): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value) && value.length > 0) return [...(value as string[])]
  throw new PerfError('INVALID_ARGUMENT', `${label} ${model}: option "${option}" must name at least one field`, {
    context: { model, option },
  })
}

/** A source with its first row already read (so the written fields can default to its keys). */
interface Peeked {
  first: object | undefined
  sync: Iterator<object> | undefined
  async: AsyncIterator<object> | undefined
  done: boolean
}

async function peek(rows: MappedRows): Promise<Peeked> {
  if (Symbol.asyncIterator in rows) {
    const async = (rows as AsyncIterable<object>)[Symbol.asyncIterator]()
    const step = await async.next()
    return { first: step.done ? undefined : step.value, sync: undefined, async, done: step.done === true }
  }
  const sync = (rows as Iterable<object>)[Symbol.iterator]()
  const step = sync.next()
  return { first: step.done ? undefined : step.value, sync, async: undefined, done: step.done === true }
}

/** The peeked rows as arrays, lazily; synchronous when the source was. */
function mapRows(
  peeked: Peeked,
  toArray: (row: object, index: number) => unknown[],
): Iterable<unknown[]> | AsyncIterable<unknown[]> {
  if (peeked.sync) {
    const source = peeked.sync
    return {
      *[Symbol.iterator]() {
        if (peeked.done) return
        let index = 0
        yield toArray(peeked.first!, index++)
        for (let step = source.next(); !step.done; step = source.next()) yield toArray(step.value, index++)
      },
    }
  }
  const source = peeked.async!
  return {
    async *[Symbol.asyncIterator]() {
      if (peeked.done) return
      let index = 0
      yield toArray(peeked.first!, index++)
      for (let step = await source.next(); !step.done; step = await source.next()) yield toArray(step.value, index++)
    },
  }
}

/** A BulkWriteError naming a column gets the field's name instead (`column` and the message). */
function renameColumn(error: unknown, fields: readonly string[], columns: readonly string[]): unknown {
  if (!(error instanceof BulkWriteError) || error.column === undefined) return error
  const i = columns.indexOf(error.column)
  if (i < 0 || fields[i] === columns[i]) return error
  const field = fields[i]!
  const renamed = new BulkWriteError(
    error.code as 'INVALID_ARGUMENT' | 'BATCH_FAILED',
    error.message.replace(`column "${error.column}"`, `field "${field}" (column "${error.column}")`),
    {
      rowIndex: error.rowIndex,
      failedRows: error.failedRows,
      column: field,
      committedRows: error.committedRows,
      table: String((error.context as { table?: unknown } | undefined)?.table ?? ''),
    },
    { cause: error.cause, context: { ...(error.context as object), dbColumn: error.column } },
  )
  return renamed
}
