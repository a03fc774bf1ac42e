import { PerfError, isPerfError, tableTags, type Monitor } from '@perf/core'
import type {
  MappedBulk,
  MappedBulkResult,
  MappedBulkUpdateOptions,
  MappedBulkUpsertOptions,
  MappedCopyInsertOptions,
  MappedRows,
  PgQueryable,
} from '@perf/pg'
import type { Attributes, Model, ModelStatic, Transaction } from 'sequelize'
import { attributesOf, bulkMapping, tableOf, type ModelMeta } from './bulk-mapping.js'
import { normalizedRows, type BulkKind as Kind, type Complete } from './bulk-rows.js'
import { widenWrites } from './references.js'
import type { StatementRunner } from './statement.js'

/** An attribute name of model `M`. */
export type AttributeName<M extends Model> = keyof Attributes<M> & string

/** One row of a bulk write: a plain object keyed by attribute name, or a model instance. */
export type SequelizeBulkRow<M extends Model> = Partial<Attributes<M>> | M

/** The rows of a bulk write, in memory or streamed (read one at a time as they are sent). */
export type SequelizeBulkRows<M extends Model> = Iterable<SequelizeBulkRow<M>> | AsyncIterable<SequelizeBulkRow<M>>

/** Options every bulk write takes. */
export interface SequelizeBulkOptions<M extends Model> {
  /**
   * Runs the write on this transaction's connection; the cache is invalidated when it commits
   * (never if it rolls back). `null` opts out of a CLS transaction.
   * @default the CLS transaction when `Sequelize.useCLS()` is on, else none (a connection of the pool)
   */
  transaction?: Transaction | null
  /**
   * The attributes to write. A row without one of them writes NULL there (there is no per-row
   * DEFAULT); attributes with a `defaultValue` and the timestamps are filled instead.
   * @default every attribute some row has (for an array); for a stream, the first row's
   */
  fields?: readonly AttributeName<M>[]
}

/** Options of {@link SequelizeBulk.copyInsert}. */
export interface SequelizeCopyInsertOptions<M extends Model>
  extends SequelizeBulkOptions<M>, Omit<MappedCopyInsertOptions, 'fields'> {}

/** Options of {@link SequelizeBulk.bulkUpdate}. */
export interface SequelizeBulkUpdateOptions<M extends Model>
  extends SequelizeBulkOptions<M>, Omit<MappedBulkUpdateOptions, 'fields' | 'key'> {
  /** The attribute(s) that find each row; not updated. @default the primary key */
  key?: AttributeName<M> | readonly AttributeName<M>[]
  /** Keeps the rows' `updatedAt` as given, as `silent` does for `Model.update`. @default false: set to now */
  silent?: boolean
}

/** Options of {@link SequelizeBulk.bulkUpsert}. */
export interface SequelizeBulkUpsertOptions<M extends Model>
  extends SequelizeBulkOptions<M>, Omit<MappedBulkUpsertOptions, 'fields' | 'conflict' | 'update'> {
  /** Attributes of a unique index or constraint: a row whose values exist there is updated. @default the primary key */
  conflict?: readonly AttributeName<M>[]
  /**
   * Attributes to overwrite on conflict; `[]` keeps the existing row (`DO NOTHING`).
   * @default the rows' attributes and `updatedAt`, not `conflict`, not `createdAt` nor attributes only filled by their `defaultValue`
   */
  update?: readonly AttributeName<M>[]
  /** Keeps the rows' `updatedAt` as given. @default false: set to now */
  silent?: boolean
}

/** What a bulk write did: rows written, statements, bytes of COPY data, attributes written. */
export interface SequelizeBulkResult extends MappedBulkResult {}

/**
 * Bulk writes of one model through the Sequelize instance's own pool, in attribute names:
 * `COPY` for inserts, one `unnest` statement per chunk for updates and upserts. What
 * {@link SequelizePerf.bulk} returns.
 */
export interface SequelizeBulk<M extends Model> {
  /**
   * Inserts rows with `COPY … FROM STDIN`, the fastest way in (no RETURNING: generated ids are
   * not read back).
   * @throws BulkWriteError naming the row and attribute of a value that cannot be written
   */
  copyInsert(rows: SequelizeBulkRows<M>, options?: SequelizeCopyInsertOptions<M>): Promise<SequelizeBulkResult>
  /**
   * Updates many rows, each with its own values, found by `key` (the primary key by default).
   * @throws BulkWriteError naming the row (and attribute when known) the database refused
   */
  bulkUpdate(rows: SequelizeBulkRows<M>, options?: SequelizeBulkUpdateOptions<M>): Promise<SequelizeBulkResult>
  /**
   * Inserts rows, updating those whose `conflict` key exists (`INSERT … ON CONFLICT DO UPDATE`).
   * @throws BulkWriteError naming the row the database refused
   */
  bulkUpsert(rows: SequelizeBulkRows<M>, options?: SequelizeBulkUpsertOptions<M>): Promise<SequelizeBulkResult>
}

/** The parts of an instrumented instance the bulk writes use. */
export interface BulkContext {
  sequelize: {
    options: { dialect?: string }
    models: Record<string, unknown>
    connectionManager: {
      getConnection(options?: object): Promise<unknown>
      releaseConnection(connection: unknown): unknown
    }
    constructor: unknown
  }
  runner: StatementRunner
  monitor: Monitor | undefined
  /** False after uninstrument(): transactions are no longer followed, so writes are refused. */
  isActive(): boolean
}

interface TransactionLike {
  sequelize?: unknown
  connection?: object
  finished?: string
  afterCommit?(fn: () => unknown): void
}

const OPERATION: Record<Kind, 'copyInsert' | 'bulkUpdate' | 'bulkUpsert'> = {
  insert: 'copyInsert',
  update: 'bulkUpdate',
  upsert: 'bulkUpsert',
}

/**
 * The bulk writer of `model` on an instrumented instance (see {@link SequelizePerf.bulk}).
 * @throws PerfError INVALID_ARGUMENT for a dialect other than postgres or something that is not a
 *   model class; UNKNOWN_MODEL for a model of another Sequelize instance
 */
export function modelBulk<M extends Model>(ctx: BulkContext, model: ModelStatic<M>): SequelizeBulk<M> {
  const m = model as unknown as ModelMeta
  if (typeof (model as unknown) !== 'function' || typeof m.getTableName !== 'function' || typeof m.name !== 'string') {
    throw new PerfError(
      'INVALID_ARGUMENT',
      '[perf:sequelize] bulk(model): expected a model class (sequelize.define, Model.init)',
      {
        context: { argument: 'model' },
      },
    )
  }
  const dialect = ctx.sequelize.options.dialect ?? ''
  if (dialect !== 'postgres') {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:sequelize] bulk(${m.name}): bulk writes need PostgreSQL (COPY, unnest); this Sequelize instance's dialect is "${dialect}"`,
      { context: { model: m.name, dialect } },
    )
  }
  if (m.sequelize !== ctx.sequelize) {
    throw new PerfError(
      'UNKNOWN_MODEL',
      `[perf:sequelize] bulk(${m.name}): the model belongs to another Sequelize instance`,
      {
        context: { model: m.name },
      },
    )
  }

  const primaryKey = (option: string): string[] => {
    const keys = [...(m.primaryKeyAttributes ?? [])]
    if (keys.length > 0) return keys
    throw new PerfError('INVALID_OPTION', `[perf:sequelize] ${m.name} has no primary key: pass options.${option}`, {
      context: { model: m.name, option },
    })
  }
  const keyOf = (options: { key?: unknown } | undefined): string[] => {
    const key = options?.key
    return key === undefined ? primaryKey('key') : typeof key === 'string' ? [key] : Array.isArray(key) ? [...key] : []
  }

  const write = async (
    kind: Kind,
    rows: SequelizeBulkRows<M>,
    options: (SequelizeBulkOptions<M> & { silent?: boolean; atomic?: boolean; key?: unknown }) | undefined,
    run: (bulk: MappedBulk, db: PgQueryable, source: MappedRows) => Promise<MappedBulkResult>,
  ): Promise<SequelizeBulkResult> => {
    const operation = OPERATION[kind]
    if (!ctx.isActive()) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:sequelize] ${m.name}.${operation}(): this instrumentation was removed (uninstrument()); bulk writes need it to invalidate`,
        { context: { model: m.name } },
      )
    }
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new PerfError('INVALID_OPTION', `[perf:sequelize] ${m.name}.${operation}(): options must be an object`, {
        context: { model: m.name, option: 'options' },
      })
    }
    const transaction = transactionOf(ctx, m.name, operation, options?.transaction)
    const { mappedBulk, BulkWriteError } = await loadPg()
    const bulk = mappedBulk(bulkMapping(m, new Date(), options?.silent === true))
    const complete: Complete | undefined =
      kind !== 'update'
        ? undefined
        : {
            fields: options?.fields,
            key: keyOf(options),
            missing: (index, attribute) =>
              new BulkWriteError(
                'INVALID_ARGUMENT',
                `[perf:sequelize] row ${index} for ${m.name} has no "${attribute}", which bulkUpdate writes (other rows or options.fields have it): a missing value would write NULL over the stored one; give null to mean NULL, or split the call`,
                { rowIndex: index, column: attribute, committedRows: 0, table: m.name },
              ),
          }
    const source = normalizedRows(m, kind, rows, options?.silent === true, complete)
    let connection: object
    let release: (() => void) | undefined
    if (transaction !== undefined) connection = transaction.connection!
    else {
      const manager = ctx.sequelize.connectionManager
      connection = (await manager.getConnection({ type: 'INSERT' })) as object
      release = () => void manager.releaseConnection(connection)
    }
    const started = performance.now()
    let result: MappedBulkResult | undefined
    let failure: unknown
    try {
      result = await run(bulk, connection as PgQueryable, source)
    } catch (error) {
      failure = error
    } finally {
      release?.()
    }
    const durationMs = performance.now() - started
    const table = tableOf(m)
    ctx.monitor?.record({
      source: 'sequelize',
      model: m.name,
      operation,
      durationMs,
      tables: [table.name],
      inTransaction: transaction !== undefined,
      ...(result === undefined ? {} : { rows: result.rows }),
      ...(failure === undefined ? {} : { error: failure }),
    })
    // atomic: false commits batch by batch, and an error raised while rows are mapped says 0.
    if (result !== undefined || options?.atomic === false || mayHaveWritten(failure)) {
      const columns = columnsWritten(m, result?.fields)
      const tags = tableTags(
        widenWrites(
          ctx.sequelize.models,
          [{ table: { schema: table.schema, name: table.name }, kind: 'rows' }],
          statementFor(kind, table.name, columns),
        ),
      )
      const label = `${operation} ${m.name}`
      if (transaction === undefined) await ctx.runner.invalidate(tags, label)
      else if (!ctx.runner.defer(transaction.connection!, tags)) {
        // A transaction begun before instrument(): its COMMIT is not followed, Sequelize's hook is.
        transaction.afterCommit?.(() => ctx.runner.invalidate(tags, label))
      }
    }
    if (failure !== undefined) throw failure
    return result!
  }

  const rest = <O extends object>(options: O | undefined, ...drop: string[]) => {
    const out: Record<string, unknown> = { ...options }
    for (const key of ['transaction', 'silent', ...drop]) delete out[key]
    return out
  }

  return {
    copyInsert(rows, options) {
      return write('insert', rows, options, (bulk, db, source) =>
        bulk.copyInsert(db, source, rest(options) as MappedCopyInsertOptions),
      )
    },
    bulkUpdate(rows, options) {
      return write('update', rows, options, (bulk, db, source) =>
        bulk.bulkUpdate(db, source, {
          ...(rest(options, 'key') as Omit<MappedBulkUpdateOptions, 'key'>),
          key: options?.key === undefined ? primaryKey('key') : (options.key as string | readonly string[]),
        }),
      )
    },
    bulkUpsert(rows, options) {
      return write('upsert', rows, options, (bulk, db, source) =>
        bulk.bulkUpsert(db, source, {
          ...(rest(options, 'conflict') as Omit<MappedBulkUpsertOptions, 'conflict'>),
          conflict: (options?.conflict ?? primaryKey('conflict')) as readonly string[],
        }),
      )
    },
  }
}

/**
 * @perf/pg, loaded on first use: it needs `pg`, which MariaDB and MySQL applications do not
 * install. `require` in the CommonJS build, so a CommonJS application gets the same copy (and the
 * same `BulkWriteError` class) as its own `require('@perf/pg')`.
 */
function loadPg(): Promise<typeof import('@perf/pg')> {
  // `module` exists only in the CommonJS build (a bundler rewrites `require`, not `module`).
  if (typeof module === 'object' && module !== null && typeof module.require === 'function')
    return Promise.resolve(module.require('@perf/pg') as typeof import('@perf/pg'))
  return import('@perf/pg')
}

/** The transaction to write in: the one given, else the CLS one; checked to be usable. */
function transactionOf(
  ctx: BulkContext,
  model: string,
  operation: string,
  given: Transaction | null | undefined,
): TransactionLike | undefined {
  const cls = (ctx.sequelize.constructor as { _cls?: { get(key: string): unknown } } | undefined)?._cls
  const t = (given === undefined ? cls?.get('transaction') : given) as TransactionLike | null | undefined
  if (t === undefined || t === null) return undefined
  const fail = (why: string) =>
    new PerfError('INVALID_OPTION', `[perf:sequelize] ${model}.${operation}(): option "transaction" ${why}`, {
      context: { model, option: 'transaction' },
    })
  if (typeof t !== 'object' || typeof t.connection !== 'object' || t.connection === null) {
    throw fail('is not a started Sequelize transaction')
  }
  if (t.sequelize !== ctx.sequelize) throw fail('belongs to another Sequelize instance')
  if (t.finished !== undefined) throw fail(`has already finished (${t.finished})`)
  return t
}

/** Whether a failed write may have changed rows: anything but a refusal before or of an atomic write. */
function mayHaveWritten(error: unknown): boolean {
  if (!isPerfError(error)) return true
  const committed =
    (error as { committedRows?: unknown }).committedRows ??
    (error.context as { committedRows?: unknown } | undefined)?.committedRows
  return typeof committed === 'number' && committed > 0
}

/** The columns a write set (all the model's when unknown), for the foreign keys it may fire. */
function columnsWritten(model: ModelMeta, fields: readonly string[] | undefined): string[] {
  const attributes = attributesOf(model)
  const names = fields ?? Object.keys(attributes)
  return names.map((n) => attributes[n]?.field ?? n)
}

/** The statement's shape, as `widenWrites` reads it to tell which referential actions may fire. */
function statementFor(kind: Kind, table: string, columns: readonly string[]): string {
  const set = columns.map((c) => `"${c.replaceAll('"', '""')}" = v.x`).join(', ')
  if (kind === 'insert') return `INSERT INTO "${table}" VALUES (1)`
  if (kind === 'update') return `UPDATE "${table}" SET ${set}`
  return `INSERT INTO "${table}" VALUES (1) ON CONFLICT DO UPDATE SET ${set}`
}
