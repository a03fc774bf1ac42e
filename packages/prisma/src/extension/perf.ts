import { ALL_TABLES_TAG, PerfError, sqlResultKey, sqlTables, tableTags, type HealthReport } from '@perf/core'
import { Prisma } from '@prisma/client/extension'
import { ALL_TAG } from '../model/cache-key.js'
import { cacheEntryOptions, resolveStrategy, validateStrategy } from '../read/cache-strategy.js'
import type {
  InvalidateTarget,
  PerfApi,
  PerfBulkMethods,
  PerfClientMethods,
  PerfModelMethods,
  PerfStats,
  RawCacheStrategy,
  RawQuery,
} from './types.js'
import { RAW_EXECUTE_OPERATIONS, RAW_QUERY_OPERATIONS, READ_OPERATIONS, WRITE_OPERATIONS } from '../model/operations.js'
import { PerfReadPromise, readPromiseClass } from './read-promise.js'
import { isTransactionClient, type AnyClient, type OperationParams } from './client-shape.js'
import { checkOptions, type PerfOptions } from '../options.js'
import { PerfRuntime } from '../perf-runtime.js'
import { readPlan } from '../read/read-sites.js'
import type { MappedBulk, MappedBulkResult, MappedRows, PgQueryable } from '@perf/pg'

/** The extension `perf()` returns, typed for `prisma.$extends()`. */
export type PerfExtension = ReturnType<
  typeof Prisma.defineExtension<{}, { $allModels: PerfModelMethods & PerfBulkMethods }, {}, PerfClientMethods>
>

function invalidate(runtime: PerfRuntime, target: InvalidateTarget): Promise<void> {
  if (
    target === null ||
    typeof target !== 'object' ||
    (!target.all && !target.tags?.length && !target.models?.length)
  ) {
    return Promise.reject(
      new PerfError('INVALID_ARGUMENT', '[perf:prisma] $perf.invalidate() needs { tags }, { models } or { all: true }'),
    )
  }
  try {
    const tags = [...(target.tags ?? []), ...runtime.writes.modelTags(target.models ?? [], 'invalidate({ models })')]
    if (target.all) tags.push(ALL_TAG)
    return runtime.writes.invalidateTags(tags)
  } catch (error) {
    return Promise.reject(error)
  }
}

function perfApi(runtime: PerfRuntime): PerfApi {
  return {
    invalidate: (target) => invalidate(runtime, target),
    stats: (): PerfStats => ({
      cache: runtime.cache.stats(),
      operations: { ...runtime.report.counters },
      pool: runtime.pg?.stats(),
      schemaVersion: runtime.graph.schemaVersion,
    }),
    health: (): HealthReport => runtime.monitor.health(),
    cache: runtime.cache,
    monitor: runtime.monitor,
    close: () => runtime.close(),
  }
}

async function queryRawCached(
  runtime: PerfRuntime,
  base: AnyClient,
  caller: AnyClient,
  query: RawQuery,
  strategy: RawCacheStrategy,
): Promise<unknown> {
  const checked = validateStrategy(strategy, 'cacheStrategy', ['models']) as RawCacheStrategy
  if (typeof query?.sql !== 'string' || !Array.isArray(query.values)) {
    throw new PerfError('INVALID_ARGUMENT', '[perf:prisma] $queryRawCached() needs a Prisma.sql`...` query')
  }
  const modelTags = runtime.writes.modelTags(checked.models ?? [], 'cacheStrategy.models')
  const touches = sqlTables(query.sql, { dialect: 'postgres' })
  if (touches.kind !== 'read') {
    throw new PerfError(
      'INVALID_CACHE_STRATEGY',
      `[perf:prisma] $queryRawCached() caches reads only; this statement ${touches.kind === 'write' ? 'writes' : 'may write'} (use $queryRaw)`,
    )
  }
  const tables = tableTags(touches.reads)
  if (tables.length === 0 && !checked.tags?.length && modelTags.length === 0) {
    throw new PerfError(
      'INVALID_CACHE_STRATEGY',
      '[perf:prisma] $queryRawCached() needs cacheStrategy.tags (or models) when the SQL reads no table: nothing else could invalidate it',
    )
  }
  // Inside a transaction the query must see the transaction's own writes: run it there, uncached.
  if (isTransactionClient(caller)) return caller.$queryRaw(query)
  const resolved = resolveStrategy(checked, undefined, 'cacheStrategy')
  const tags = [...(checked.tags ?? []), ...modelTags, ...tables, ALL_TAG, ALL_TABLES_TAG]
  const plan = readPlan(
    undefined,
    '$queryRaw',
    sqlResultKey(query.sql, query.values, `prisma:${runtime.graph.schemaVersion}`),
    tags,
  )
  plan.entry = cacheEntryOptions(resolved, tags)
  // The base client: the hook would record the statement a second time.
  return runtime.reads.cached(plan, query, () => base.$queryRaw(query))
}

/** Model-level read methods: typed `cacheStrategy`, `withPerfInfo()`, and cache hits without Prisma's request pipeline. */
function modelMethods(runtime: PerfRuntime): Record<string, unknown> {
  const classes = new Map<string, typeof PerfReadPromise>()
  const classFor = (model: string) => {
    let cls = classes.get(model)
    if (!cls) classes.set(model, (cls = readPromiseClass(runtime.graph.relationFields(model))))
    return cls
  }
  // Per model delegate, as reading `$name` goes through Prisma's proxies on every call.
  const delegates = new WeakMap<object, { model: string; fluent: typeof PerfReadPromise }>()
  const describe = (ctx: AnyClient) => {
    let known = delegates.get(ctx)
    if (known === undefined) {
      const model = ctx.$name as string
      known = { model, fluent: classFor(model) }
      delegates.set(ctx, known)
    }
    return known
  }
  const methods: Record<string, unknown> = {}
  for (const operation of BULK_OPERATIONS) {
    methods[operation] = function (this: unknown, rows: MappedRows, options?: Record<string, unknown>) {
      const ctx = Prisma.getExtensionContext(this) as AnyClient
      const { model } = describe(ctx)
      return runtime.bulk.run(model, operation, isTransactionClient(ctx.$parent), (bulk, pool) =>
        bulkCall(runtime, model, operation, bulk, pool, rows, options),
      )
    }
  }
  for (const operation of READ_OPERATIONS) {
    const fluent = FLUENT.has(operation)
    methods[operation] = function (this: unknown, args?: unknown) {
      const ctx = Prisma.getExtensionContext(this) as AnyClient
      const delegate = describe(ctx)
      const ReadPromise = fluent ? delegate.fluent : PerfReadPromise
      return new ReadPromise(runtime.reads, ctx, delegate.model, operation, args)
    }
  }
  return methods
}

const BULK_OPERATIONS = ['copyInsert', 'bulkUpdate', 'bulkUpsert'] as const

/** One model-level bulk write: Prisma's defaults for the key (`@id`) applied, then @perf/pg's mapped write. */
function bulkCall(
  runtime: PerfRuntime,
  model: string,
  operation: (typeof BULK_OPERATIONS)[number],
  bulk: MappedBulk,
  pool: PgQueryable,
  rows: MappedRows,
  options: Record<string, unknown> | undefined,
): Promise<MappedBulkResult> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:prisma] ${model}.${operation}() options must be an object`)
  }
  if (operation === 'copyInsert') return bulk.copyInsert(pool, rows, options)
  const id = () => {
    const fields = runtime.graph.idFields(model)
    if (fields.length === 0) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:prisma] ${model}.${operation}() needs option "${operation === 'bulkUpdate' ? 'key' : 'conflict'}": the model has no @id (or the schema text is not available)`,
        { context: { model, operation } },
      )
    }
    return fields
  }
  if (operation === 'bulkUpdate')
    return bulk.bulkUpdate(pool, rows, { ...options, key: (options?.key as string) ?? id() })
  return bulk.bulkUpsert(pool, rows, { ...options, conflict: (options?.conflict as string[]) ?? id() })
}

/** Operations whose promise offers Prisma's fluent relation methods. */
const FLUENT = new Set(['findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow'])

/** Write operations get the query hook; reads never pass through it (any query hook costs Prisma ~10 µs per request). */
function writeHooks(runtime: PerfRuntime): Record<string, unknown> {
  const hook = (params: OperationParams) => runtime.writes.handle(params)
  return Object.fromEntries(WRITE_OPERATIONS.map((operation) => [operation, hook]))
}

/**
 * Wraps an existing Prisma Client: cached reads (per call `cacheStrategy`, per model defaults),
 * invalidation on every write (nested and raw writes included, deferred to commit inside
 * transactions), one monitor event per operation, pool metrics and leak detection.
 *
 * @throws PerfError INVALID_OPTION for malformed options; at `$extends()`: UNKNOWN_MODEL for
 *   unknown model names, INVALID_CACHE_STRATEGY / INVALID_TTL for bad model defaults
 * @example
 * const cache = createCache({ codec: prismaCodec() })
 * const db = prisma.$extends(perf({ cache, monitor: createMonitor(), pool }))
 * const user = await db.user.findUnique({ where: { id }, cacheStrategy: { ttl: 60, swr: 30 } })
 */
export function perf(options: PerfOptions = {}): PerfExtension {
  checkOptions(options)
  const extension = (client: AnyClient) => {
    const runtime = new PerfRuntime(client, options)
    const originalTransaction = client.$transaction
    const hooked = client.$extends({
      name: '@perf/prisma',
      query: {
        $allModels: writeHooks(runtime),
        ...Object.fromEntries(
          [...RAW_EXECUTE_OPERATIONS, ...RAW_QUERY_OPERATIONS].map((operation) => [
            operation,
            (params: OperationParams) => runtime.writes.handle(params),
          ]),
        ),
      },
      client: {
        $perf: perfApi(runtime),
        $queryRawCached(this: unknown, query: RawQuery, strategy: RawCacheStrategy) {
          return queryRawCached(runtime, client, Prisma.getExtensionContext(this), query, strategy)
        },
        // Not typed by PerfClientMethods: callers keep Prisma's own $transaction signature.
        $transaction(this: unknown, ...args: unknown[]) {
          const caller = Prisma.getExtensionContext(this) as AnyClient
          return runtime.writes.transaction(isTransactionClient(caller), () => originalTransaction.apply(caller, args))
        },
      },
    })
    return hooked.$extends({ name: '@perf/prisma:models', model: { $allModels: modelMethods(runtime) } })
  }
  return Prisma.defineExtension(extension) as unknown as PerfExtension
}
