import { PerfError } from '@perf/core'
import {
  type BulkProgress,
  type MappedBulkResult,
  type MappedBulkUpdateOptions,
  type MappedBulkUpsertOptions,
  type MappedCopyInsertOptions,
  mappedBulk,
  type PgQueryable,
} from '@perf/pg'
import type { DataSource, DeepPartial, EntityManager, EntityTarget, ObjectLiteral, QueryRunner } from 'typeorm'
import { type BulkTransactionOptions, resolveConnection } from './connection.js'
import { type EntityMetadataLike, entityBulkMapping, type PersistingDriver } from './entity-mapping.js'
import { type FlatRows, flatRows } from './flat-rows.js'
import { type BulkOperation, reportBulkWrite } from './report.js'

export type { BulkTransactionOptions } from './connection.js'

/** Rows of entity `E`: entity-shaped plain objects or entity instances, in memory or streamed. */
export type BulkEntityRows<E> = Iterable<DeepPartial<E>> | AsyncIterable<DeepPartial<E>>

/**
 * Options of {@link TypeormBulkWriter.copyInsert}: @perf/pg's `copyInsert` options, with `fields`
 * naming properties (`name`, `address.city`, `address`, `author`).
 */
export interface TypeormCopyInsertOptions extends MappedCopyInsertOptions, BulkTransactionOptions {}

/** Options of {@link TypeormBulkWriter.bulkUpdate}. */
export interface TypeormBulkUpdateOptions extends Omit<MappedBulkUpdateOptions, 'key'>, BulkTransactionOptions {
  /** The properties that find each row. Not updated. @default the entity's primary columns */
  key?: string | readonly string[]
}

/** Options of {@link TypeormBulkWriter.bulkUpsert}. */
export interface TypeormBulkUpsertOptions extends MappedBulkUpsertOptions, BulkTransactionOptions {}

/** What a bulk write did: rows written, statements, bytes, and the properties written. */
export type TypeormBulkResult = MappedBulkResult

/** Bulk writes of one entity, in TypeORM's terms; see {@link bulkWriter}. */
export interface TypeormBulkWriter<E> {
  /** The entity's name (`metadata.name`). */
  readonly entity: string
  /**
   * Inserts rows with `COPY … FROM STDIN`. Properties a row leaves out get the column default when
   * no row of the batch has them (the version column gets 1 and a single-table child its
   * discriminator, as `insert()` does).
   * @throws BulkWriteError naming the row and property of a value that cannot be written
   */
  copyInsert(rows: BulkEntityRows<E>, options?: TypeormCopyInsertOptions): Promise<TypeormBulkResult>
  /**
   * Updates rows found by `key` (the primary key by default), each with its own values, in one
   * `UPDATE … FROM unnest(…)` per chunk. Keys that match nothing are not an error.
   * @throws BulkWriteError naming the row and property of a value that cannot be written
   */
  bulkUpdate(rows: BulkEntityRows<E>, options?: TypeormBulkUpdateOptions): Promise<TypeormBulkResult>
  /**
   * Inserts rows, updating those whose `conflict` properties match a unique index, in one
   * `INSERT … SELECT FROM unnest(…) ON CONFLICT` per chunk. `update` defaults to every written
   * property outside `conflict` except the version and creation-date columns.
   * @throws BulkWriteError naming the row and property of a value that cannot be written
   */
  bulkUpsert(rows: BulkEntityRows<E>, options: TypeormBulkUpsertOptions): Promise<TypeormBulkResult>
}

interface DataSourceLike {
  isInitialized: boolean
  options: { type: string }
  driver: PersistingDriver & { master?: unknown }
  hasMetadata(target: unknown): boolean
  getMetadata(target: unknown): EntityMetadataLike
}

/**
 * Bulk writes of one entity through the PostgreSQL pool behind a TypeORM DataSource: rows are
 * entity-shaped objects keyed by property names, written with `COPY` (copyInsert) or one
 * `unnest` statement per chunk (bulkUpdate, bulkUpsert) — built on `mappedBulk()` of @perf/pg.
 * Columns come from the entity's metadata: renamed columns, embedded columns (`address.city`),
 * the join columns of owning relations (`author: { id }` or `author: 7`), transformers,
 * simple-json, simple-array, enums and dates are written as TypeORM writes them.
 *
 * When the DataSource is instrumented, each write invalidates the table tags `instrument()`
 * would drop for it (foreign-key widening included) and records one QueryEvent (`operation`
 * `copyInsert` | `bulkUpdate` | `bulkUpsert`) on its monitor — after a failure too, since with
 * `atomic: false` rows may have committed. Given `{ manager }` or `{ queryRunner }` of a
 * transaction, the write runs on its connection and the invalidation waits for its COMMIT (and
 * is dropped on ROLLBACK).
 *
 * Subscribers, listeners, cascades, `@BeforeInsert` hooks and `@UpdateDateColumn` /
 * `@VersionColumn` bumps on update do not run: these are table writes, like `insert()` without
 * the entity lifecycle.
 *
 * @throws PerfError INVALID_ARGUMENT for a DataSource that is not initialized, CLIENT_INVALID for
 * one whose driver is not `postgres`, UNKNOWN_MODEL for an entity the DataSource does not have
 * @example
 * const users = bulkWriter(dataSource, User)
 * await users.copyInsert(rows)                                 // [{ name, address: { city }, team: { id } }]
 * await users.bulkUpdate([{ id: 1, name: 'ann' }])              // key: the primary key
 * await users.bulkUpsert(rows, { conflict: ['email'] })
 * await dataSource.transaction((manager) => users.copyInsert(rows, { manager }))
 */
export function bulkWriter<E extends ObjectLiteral>(
  dataSource: DataSource,
  entity: EntityTarget<E>,
): TypeormBulkWriter<E> {
  const ds = dataSource as unknown as DataSourceLike
  if (typeof ds !== 'object' || ds === null || typeof ds.hasMetadata !== 'function')
    throw new PerfError('INVALID_ARGUMENT', '[perf:typeorm] bulkWriter(dataSource): expected a TypeORM DataSource')
  if (!ds.isInitialized)
    throw new PerfError('INVALID_ARGUMENT', '[perf:typeorm] bulkWriter(): call it after dataSource.initialize()')
  if (ds.options.type !== 'postgres') {
    throw new PerfError(
      'CLIENT_INVALID',
      `[perf:typeorm] bulkWriter(): bulk writes need the "postgres" driver (COPY and unnest); this DataSource uses "${ds.options.type}"`,
      { context: { type: ds.options.type } },
    )
  }
  if (!ds.hasMetadata(entity)) {
    const name = typeof entity === 'function' ? entity.name : String((entity as { name?: unknown })?.name ?? entity)
    throw new PerfError('UNKNOWN_MODEL', `[perf:typeorm] bulkWriter(): "${name}" is not an entity of this DataSource`, {
      context: { entity: name },
    })
  }
  const metadata = ds.getMetadata(entity)
  const map = entityBulkMapping(metadata, ds.driver)
  const bulk = mappedBulk(map.mapping)

  /** Validates, flattens the rows, runs `write` on the right connection and reports it. */
  async function run(
    operation: BulkOperation,
    rows: unknown,
    options:
      (BulkTransactionOptions & { fields?: readonly string[]; onProgress?: (p: BulkProgress) => void }) | undefined,
    inserting: boolean,
    write: (
      db: PgQueryable,
      rows: FlatRows['rows'],
      fields: string[],
      onProgress: (p: BulkProgress) => void,
    ) => Promise<TypeormBulkResult>,
  ): Promise<TypeormBulkResult> {
    if (rows === null || typeof rows !== 'object' || !(Symbol.iterator in rows || Symbol.asyncIterator in rows)) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:typeorm] ${operation}() rows must be an array or an (async) iterable of ${metadata.name} objects`,
        { context: { model: metadata.name, argument: 'rows' } },
      )
    }
    const given = options?.fields === undefined ? undefined : map.resolve(options.fields, 'fields')
    const connection = await resolveConnection(dataSource, options, operation)
    // Rows committed so far (atomic: false), for errors raised while a row is converted.
    let committed = 0
    const flat = await flatRows(rows as Iterable<unknown> | AsyncIterable<unknown>, (row, i) =>
      map.flatten(row, i, inserting, () => committed),
    )
    if (flat.first === undefined && given === undefined) return { rows: 0, batches: 0, bytes: 0, fields: [] }
    const fields = given ?? Object.keys(flat.first!)
    // The version and discriminator TypeORM fills on insert are written even when `fields` leaves them out.
    if (given !== undefined && inserting)
      for (const f of map.insertDefaults.keys()) if (!fields.includes(f)) fields.push(f)
    if (fields.length === 0) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:typeorm] ${operation}(): row 0 has no property of ${metadata.name} to write`,
        {
          context: { model: metadata.name, rowIndex: 0 },
        },
      )
    }
    const userProgress = options?.onProgress
    const onProgress = (p: BulkProgress) => {
      committed = p.committedRows
      userProgress?.(p)
    }
    const started = performance.now()
    const startedAt = Date.now()
    let result: TypeormBulkResult | undefined
    let error: unknown
    try {
      result = await write(connection.db, flat.rows, fields, onProgress)
      return result
    } catch (err) {
      error = err ?? new Error(`${operation} failed`)
      throw err
    } finally {
      await reportBulkWrite(dataSource, {
        operation,
        model: metadata.name,
        table: metadata.tableName,
        fires: operation === 'copyInsert' ? 'none' : 'update',
        connection,
        durationMs: performance.now() - started,
        startedAt,
        rows: result?.rows,
        error,
      })
    }
  }

  return {
    entity: metadata.name,
    copyInsert(rows, options = {}) {
      const { manager: _m, queryRunner: _q, fields: _f, ...rest } = options
      return run('copyInsert', rows, options, true, (db, flat, fields, onProgress) =>
        bulk.copyInsert(db, flat, { ...rest, fields, onProgress }),
      )
    },
    async bulkUpdate(rows, options = {}) {
      const key = options.key === undefined ? [...map.primary] : map.resolve(options.key, 'key')
      const { manager: _m, queryRunner: _q, fields: _f, key: _k, ...rest } = options
      return run('bulkUpdate', rows, options, false, (db, flat, fields, onProgress) =>
        bulk.bulkUpdate(db, flat, { ...rest, key, fields, onProgress }),
      )
    },
    async bulkUpsert(rows, options) {
      if (typeof options !== 'object' || options === null) {
        throw new PerfError(
          'INVALID_ARGUMENT',
          `[perf:typeorm] bulkUpsert() needs options with conflict: [property, …]`,
          {
            context: { model: metadata.name, argument: 'options' },
          },
        )
      }
      const conflict = map.resolve(options.conflict, 'conflict')
      const given = options.update === undefined ? undefined : map.resolve(options.update, 'update')
      const { manager: _m, queryRunner: _q, fields: _f, conflict: _c, update: _u, ...rest } = options
      return run('bulkUpsert', rows, options, true, (db, flat, fields, onProgress) => {
        const update = given ?? fields.filter((f) => !conflict.includes(f) && !map.keepOnConflict.has(f))
        return bulk.bulkUpsert(db, flat, { ...rest, conflict, update, fields, onProgress })
      })
    },
  }
}
