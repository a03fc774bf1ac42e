import { PerfError } from '@perf/core'
import {
  mappedBulk,
  type MappedBulk,
  type MappedBulkResult,
  type MappedField,
  type MappedRows,
  type PgQueryable,
} from '@perf/pg'
import type { ModelGraph } from '../model/model-graph.js'
import type { Reporter } from '../report/reporter.js'
import { fieldFill } from './field-defaults.js'
import type { Writes } from './writes.js'

const LABEL = '[perf:prisma]'

/** Prisma's null sentinels (`Prisma.DbNull`, `Prisma.JsonNull`, `Prisma.AnyNull`) by name, else undefined. */
function nullSentinel(value: object): string | undefined {
  const v = value as { _getNamespace?: () => string; _getName?: () => string }
  return typeof v._getNamespace === 'function' && v._getNamespace() === 'NullTypes' ? v._getName?.() : undefined
}

/** JSON `null` (not SQL NULL): the encoder JSON-encodes json columns' values, and this encodes as `null`. */
const JSON_NULL = Object.freeze({ toJSON: () => null })

/** Decimal.js (Prisma.Decimal) and lookalikes: their exact text, never exponent notation. */
function decimalToDatabase(value: unknown): unknown {
  if (typeof value === 'object' && typeof (value as { toFixed?: unknown }).toFixed === 'function') {
    return (value as { toFixed(): string }).toFixed()
  }
  return value
}

function jsonToDatabase(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  switch (nullSentinel(value)) {
    case undefined:
      return value
    case 'DbNull':
      return null
    case 'JsonNull':
      return JSON_NULL
    default:
      throw new Error('Prisma.AnyNull is a filter; write Prisma.DbNull or Prisma.JsonNull')
  }
}

/**
 * The model-level bulk writes of a `perf()` client: @perf/pg's COPY and unnest statements with
 * Prisma's field names, `@map`/`@@map`, defaults and value types, invalidating the cache after.
 */
export class BulkWrites {
  private readonly mappings = new Map<string, MappedBulk>()

  constructor(
    private readonly graph: ModelGraph,
    private readonly pool: PgQueryable | undefined,
    private readonly writes: Writes,
    private readonly report: Reporter,
  ) {}

  /** The mapping of one model, built once from the schema. */
  private mapping(model: string): MappedBulk {
    let bulk = this.mappings.get(model)
    if (bulk) return bulk
    const fields = new Map<string, MappedField>()
    for (const field of this.graph.storedFields(model)) {
      const fill = fieldFill(field)
      fields.set(field.name, {
        column: field.column,
        toDatabase: field.type === 'Decimal' ? decimalToDatabase : field.type === 'Json' ? jsonToDatabase : undefined,
        default: fill?.insert,
        onUpdate: fill?.update,
      })
    }
    bulk = mappedBulk({ model, table: this.graph.tableOf(model), fields, label: LABEL })
    this.mappings.set(model, bulk)
    return bulk
  }

  /**
   * Runs one bulk write of `model` on the pool, as one monitor event, and invalidates what it
   * wrote afterwards (also after a failure: with `atomic: false` some batches may have committed).
   */
  async run(
    model: string,
    operation: 'copyInsert' | 'bulkUpdate' | 'bulkUpsert',
    inTransaction: boolean,
    write: (bulk: MappedBulk, pool: PgQueryable) => Promise<MappedBulkResult>,
  ): Promise<MappedBulkResult> {
    if (inTransaction) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `${LABEL} ${model}.${operation}() cannot join an interactive $transaction: it writes on its own connection of options.pool. Call it on the extended client (atomic: true makes it all-or-nothing)`,
        { context: { model, operation } },
      )
    }
    if (this.pool === undefined) {
      throw new PerfError(
        'INVALID_OPTION',
        `${LABEL} ${model}.${operation}() needs option "pool": the pg.Pool given to @prisma/adapter-pg`,
        { context: { option: 'pool', model, operation } },
      )
    }
    const bulk = this.mapping(model)
    const pool = this.pool
    this.report.counters.writes++
    let written: readonly string[] = []
    try {
      const result = (await this.report.passThrough(
        model,
        operation,
        () => write(bulk, pool),
        undefined,
        (value) => (value as MappedBulkResult).rows,
      )) as MappedBulkResult
      written = result.fields
      return result
    } finally {
      // Foreign keys that follow the written fields (ON UPDATE CASCADE) change other models' rows;
      // after a failure, every stored field may have been written.
      const fields = written.length > 0 ? written : this.graph.storedFields(model).map((f) => f.name)
      const others = operation === 'copyInsert' ? [] : this.graph.updateDependents(model, fields)
      await this.writes.invalidateTags([
        ...this.writes.modelTags([model, ...others], `${model}.${operation}()`),
        ...this.graph.tableTagsOf([model, ...others]),
      ])
    }
  }
}

export type { MappedRows }
