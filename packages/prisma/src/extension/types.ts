import type { AdaptiveBatchSize, Cache, CacheStats, HealthReport, Monitor } from '@perf/core'
import type { BulkProgress, MappedBulkResult } from '@perf/pg'
import type { Prisma } from '@prisma/client/extension'
import type { CacheStrategy } from '../read/cache-strategy.js'
import type { OperationCounters } from '../report/counters.js'
import type { WithPerfInfo } from '../read/perf-info.js'

/** The extra argument `perf()` adds to read operations. */
export interface PerfReadArgs {
  /**
   * Cache this read (Accelerate's shape: `ttl` and `swr` in seconds, or strings like `'30s'`).
   * `false` opts the call out of its model's default strategy.
   */
  cacheStrategy?: CacheStrategy | false
}

/** A PrismaPromise that can also resolve with where its result came from. */
export type PerfPrismaPromise<R> = Prisma.PrismaPromise<R> & {
  /** Runs the query and resolves `{ data, info }` (cache status, tier, age), like Accelerate's `withAccelerateInfo()`. */
  withPerfInfo(): Promise<WithPerfInfo<R>>
}

type ReadArgs<
  T,
  A,
  Op extends
    | 'findUnique'
    | 'findUniqueOrThrow'
    | 'findFirst'
    | 'findFirstOrThrow'
    | 'findMany'
    | 'count'
    | 'aggregate'
    | 'groupBy',
> = Prisma.Exact<A, Prisma.Args<T, Op> & PerfReadArgs>

/** Read operations as `perf()` types them: Prisma's own arguments plus `cacheStrategy`. */
export type PerfModelMethods = {
  findUnique<T, A>(this: T, args: ReadArgs<T, A, 'findUnique'>): PerfPrismaPromise<Prisma.Result<T, A, 'findUnique'>>
  findUniqueOrThrow<T, A>(
    this: T,
    args: ReadArgs<T, A, 'findUniqueOrThrow'>,
  ): PerfPrismaPromise<Prisma.Result<T, A, 'findUniqueOrThrow'>>
  findFirst<T, A>(this: T, args?: ReadArgs<T, A, 'findFirst'>): PerfPrismaPromise<Prisma.Result<T, A, 'findFirst'>>
  findFirstOrThrow<T, A>(
    this: T,
    args?: ReadArgs<T, A, 'findFirstOrThrow'>,
  ): PerfPrismaPromise<Prisma.Result<T, A, 'findFirstOrThrow'>>
  findMany<T, A>(this: T, args?: ReadArgs<T, A, 'findMany'>): PerfPrismaPromise<Prisma.Result<T, A, 'findMany'>>
  count<T, A>(this: T, args?: ReadArgs<T, A, 'count'>): PerfPrismaPromise<Prisma.Result<T, A, 'count'>>
  aggregate<T, A>(this: T, args: ReadArgs<T, A, 'aggregate'>): PerfPrismaPromise<Prisma.Result<T, A, 'aggregate'>>
  groupBy<T, A>(this: T, args: ReadArgs<T, A, 'groupBy'>): PerfPrismaPromise<Prisma.Result<T, A, 'groupBy'>>
}

/** One row as the model's `createMany({ data })` takes it: field names, Prisma's input types. */
export type CreateManyRow<T> =
  Prisma.Args<T, 'createMany'> extends { data: infer D } ? (D extends ReadonlyArray<infer R> ? R : D) : never

/** Rows of a bulk write: an array, any iterable, or an async iterable (streamed, memory bounded). */
export type BulkSource<R> = Iterable<R> | AsyncIterable<R>

/** A field name of a row type. */
type FieldOf<R> = Extract<keyof R, string>

/** Options every model-level bulk write takes. */
export interface PrismaBulkOptions<R> {
  /**
   * The fields to write. A row lacking one writes its `@default` (uuid(), cuid(), now(), a
   * literal) or NULL; `@updatedAt` fields are always written.
   * @default every field some row has (for a streamed source: its first row's)
   */
  fields?: readonly FieldOf<R>[]
  /**
   * All or nothing. With `false`, each batch commits on its own and a failure keeps the batches
   * before it (`BulkWriteError.committedRows`).
   * @default true
   */
  atomic?: boolean
  /** Called as rows are sent and committed. */
  onProgress?: (progress: BulkProgress) => void
  /** Cancels the write; the unfinished part rolls back and the call rejects with `ABORTED`. */
  signal?: AbortSignal
}

/** Options of `db.<model>.copyInsert()`. */
export interface PrismaCopyInsertOptions<R> extends PrismaBulkOptions<R> {
  /** Rows per COPY when `atomic: false`. @default 10000 */
  batchRows?: number
}

/** Options of `db.<model>.bulkUpdate()`. */
export interface PrismaBulkUpdateOptions<R> extends PrismaBulkOptions<R> {
  /** The field(s) that find each row; not updated. @default the model's `@id` / `@@id` fields */
  key?: FieldOf<R> | readonly FieldOf<R>[]
  /** Rows per statement, or an `AdaptiveBatchSize`. @default 5000 */
  batchSize?: number | AdaptiveBatchSize
}

/** Options of `db.<model>.bulkUpsert()`. */
export interface PrismaBulkUpsertOptions<R> extends PrismaBulkOptions<R> {
  /** Fields of a unique index (`@id`, `@unique`, `@@unique`): a row whose values exist there is updated. @default the `@id` fields */
  conflict?: readonly FieldOf<R>[]
  /** Fields overwritten on conflict; `[]` keeps the existing row. @default the rows' fields not in `conflict` (never a generated default) */
  update?: readonly FieldOf<R>[]
  /** Rows per statement, or an `AdaptiveBatchSize`. @default 5000 */
  batchSize?: number | AdaptiveBatchSize
}

/** What a bulk write did: rows written, statements run, COPY bytes sent, and the fields written. */
export type PrismaBulkResult = MappedBulkResult

/**
 * Bulk writes at COPY speed on every model (`db.user.copyInsert(rows)`), with field names,
 * `@map`/`@@map`, defaults and Prisma's value types (Decimal, BigInt, Json, Bytes, DateTime,
 * enums, lists). They run on `options.pool` (the pg.Pool behind `@prisma/adapter-pg`), outside
 * any interactive `$transaction`, and invalidate the model's cached reads when they finish.
 */
export type PerfBulkMethods = {
  /**
   * Inserts rows with `COPY … FROM STDIN`: 10× a multi-row INSERT, for any number of rows.
   * @throws BulkWriteError naming the failing row and field
   * @example
   * await db.event.copyInsert(readEvents(), { onProgress: (p) => log(p.rows) })
   */
  copyInsert<T>(
    this: T,
    rows: BulkSource<CreateManyRow<T>>,
    options?: PrismaCopyInsertOptions<CreateManyRow<T>>,
  ): Promise<PrismaBulkResult>
  /**
   * Updates many rows, each with its own values, in one statement per chunk (`UPDATE … FROM unnest(…)`).
   * @example
   * await db.product.bulkUpdate([{ id: 1, price: new Prisma.Decimal('9.90') }, …])
   */
  bulkUpdate<T>(
    this: T,
    rows: BulkSource<Partial<CreateManyRow<T>>>,
    options?: PrismaBulkUpdateOptions<CreateManyRow<T>>,
  ): Promise<PrismaBulkResult>
  /**
   * Inserts rows, updating those whose `conflict` fields exist (`INSERT … SELECT FROM unnest(…) ON CONFLICT`).
   * @example
   * await db.price.bulkUpsert(rows, { conflict: ['sku'] })
   */
  bulkUpsert<T>(
    this: T,
    rows: BulkSource<CreateManyRow<T>>,
    options?: PrismaBulkUpsertOptions<CreateManyRow<T>>,
  ): Promise<PrismaBulkResult>
}

/** A cached raw query's strategy: tags are required, since nothing else can invalidate it. */
export interface RawCacheStrategy extends CacheStrategy {
  /**
   * Tags for `db.$perf.invalidate({ tags })`. The entry is also tagged with the `table:<name>`
   * tag of every table the SQL reads, so writes to those tables (through any adapter) drop it;
   * tags are required only when the SQL names no table (`SELECT my_function()`).
   * @default []
   */
  tags?: readonly string[]
  /** Models whose writes should invalidate this entry. @default [] */
  models?: readonly string[]
}

/** A `Prisma.sql` template (or anything with its `sql` text and `values`). */
export interface RawQuery {
  readonly sql: string
  readonly values: readonly unknown[]
}

/** What `db.$perf.invalidate()` accepts; at least one field. */
export interface InvalidateTarget {
  /** Tags given in `cacheStrategy.tags`. */
  tags?: readonly string[]
  /** Model names: drops every cached read that touched them. */
  models?: readonly string[]
  /** Drops everything this client cached. */
  all?: boolean
}

/** `db.$perf.stats()`. */
export interface PerfStats {
  /** The cache's own statistics (hits per tier, misses, hit ratio, bytes, ...). */
  cache: CacheStats
  /** What this client did. */
  operations: OperationCounters
  /** Statements the instrumented pool ran (when `pool` was given). */
  pool?: { statements: number; errors: number; totalMs: number }
  /** The schema version in every cache key. */
  schemaVersion: string
}

/** `db.$perf`: the adapter's controls on the extended client. */
export interface PerfApi {
  /**
   * Drops cached reads by tag, by model, or all of them; resolves once the cache (and, with a bus,
   * other processes) has been told.
   * @throws PerfError INVALID_ARGUMENT for an empty target, UNKNOWN_MODEL for an unknown model
   */
  invalidate(target: InvalidateTarget): Promise<void>
  /** Cache and operation statistics. */
  stats(): PerfStats
  /** The monitor's 0–100 health score with the reasons that lowered it. */
  health(): HealthReport
  /** The cache behind this client. */
  readonly cache: Cache
  /** The monitor receiving this client's events (`monitor.scope()` for N+1 detection). */
  readonly monitor: Monitor
  /** Closes what `perf()` created itself (default cache and monitor, pool instrumentation). */
  close(): Promise<void>
}

/** Client-level members `perf()` adds. */
export type PerfClientMethods = {
  $perf: PerfApi
  /**
   * Runs a raw query through the cache. Raw queries are never cached implicitly; this one needs
   * explicit tags (and optionally the models whose writes invalidate it). Inside a transaction it
   * runs uncached.
   * @throws PerfError INVALID_CACHE_STRATEGY without tags
   * @example
   * const top = await db.$queryRawCached<{ id: number }[]>(Prisma.sql`SELECT id FROM "Post" ORDER BY score DESC LIMIT 10`, { ttl: 60, tags: ['top-posts'], models: ['Post'] })
   */
  $queryRawCached<R = unknown>(query: RawQuery, cacheStrategy: RawCacheStrategy): Promise<R>
}
