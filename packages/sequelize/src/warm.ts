import { PerfError } from '@perf/core'
import type { Model, ModelStatic, WhereOptions } from 'sequelize'
import type { CacheSettings } from './options.js'

/** Progress of {@link warm}, after each batch. */
export interface WarmProgress {
  /** Rows whose `findByPk` entry was loaded so far. */
  warmed: number
  /** Batches listed so far. */
  batches: number
  /** The last primary key warmed. */
  lastKey: unknown
}

/** Options of {@link warm}. */
export interface WarmOptions {
  /** Which rows to warm. @default every row */
  where?: WhereOptions
  /** Primary keys listed per statement (keyset pagination). @default 500 */
  batchSize?: number
  /** `findByPk` calls in flight at once. @default 4 */
  concurrency?: number
  /** The warmed entries' settings. @default true: the model's or the global settings */
  cache?: CacheSettings | true
  /** Called after each batch. */
  onProgress?: (progress: WarmProgress) => void
  /** Stops after the batch in flight. */
  signal?: AbortSignal
}

// Sequelize 6 operators are registered symbols, so this matches whichever copy the model uses.
const GT = Symbol.for('gt')

function positiveInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1)
    throw new PerfError('INVALID_OPTION', `[perf:sequelize] warm(): ${name} must be a positive integer`, {
      context: { option: name, value },
    })
  return value
}

/**
 * Fills the cache with `findByPk(id, { cache })` entries for the rows of `model` matching
 * `where`: lists primary keys in batches of `batchSize` (one statement each, keyset pagination,
 * never cached) and loads each row through the cached `findByPk` with `concurrency` calls at once,
 * so later `findByPk(id, { cache })` calls of the application are hits. Needs an instrumented
 * instance with a cache.
 *
 * @returns how many rows were warmed
 * @throws PerfError INVALID_OPTION for a bad batchSize/concurrency, INVALID_ARGUMENT for a model
 * without a single-column primary key; ABORTED when `signal` aborts
 * @example
 * await warm(Product, { where: { status: 'live' }, onProgress: (p) => log.info(p) })
 */
export async function warm<M extends Model>(model: ModelStatic<M>, options: WarmOptions = {}): Promise<number> {
  const pk = model.primaryKeyAttribute
  if (typeof pk !== 'string' || pk === '')
    throw new PerfError('INVALID_ARGUMENT', `[perf:sequelize] warm(): ${model.name} has no single-column primary key`)
  const batchSize = positiveInteger(options.batchSize, 'batchSize', 500)
  const concurrency = positiveInteger(options.concurrency, 'concurrency', 4)
  const cache = options.cache ?? true
  let warmed = 0
  let batches = 0
  let last: unknown
  for (;;) {
    if (options.signal?.aborted === true)
      throw new PerfError('ABORTED', `[perf:sequelize] warm(${model.name}) aborted after ${warmed} rows`, {
        cause: options.signal.reason,
      })
    const after = last === undefined ? {} : { [pk]: { [GT]: last } }
    const rows = (await model.findAll({
      attributes: [pk],
      where: { ...(options.where as object), ...after } as WhereOptions,
      order: [[pk, 'ASC']],
      limit: batchSize,
      raw: true,
      cache: false,
    })) as unknown as Record<string, unknown>[]
    if (rows.length === 0) break
    const ids = rows.map((row) => row[pk])
    let next = 0
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]
        await model.findByPk(id as never, { cache })
        warmed++
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker))
    batches++
    last = ids[ids.length - 1]
    options.onProgress?.({ warmed, batches, lastKey: last })
    if (rows.length < batchSize) break
  }
  return warmed
}
