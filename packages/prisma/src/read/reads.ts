import {
  ALL_TABLES_TAG,
  isPerfError,
  type Cache,
  type CacheStatus,
  type LoaderContext,
  type PerfError,
  type WithMeta,
} from '@perf/core'
import { isTransactionClient, type AnyClient } from '../extension/client-shape.js'
import { ALL_TAG, modelTag, readKey, readKeyPart } from '../model/cache-key.js'
import type { ModelGraph } from '../model/model-graph.js'
import { deriveTags, planRead } from '../model/row-tags.js'
import { relatedModels } from '../model/touched-models.js'
import type { ResolvedPerfOptions } from '../options.js'
import type { OperationCounters } from '../report/counters.js'
import type { QueryRecorder } from '../report/query-recorder.js'
import type { Reporter } from '../report/reporter.js'
import { cacheEntryOptions, splitArgs, type CacheEntryOptions, type ResolvedStrategy } from './cache-strategy.js'
import { DecimalBoxes } from './decimal-box.js'
import { cachedInfo, uncachedInfo, type InfoSink } from './perf-info.js'
import { readPlan, ReadSites, type ReadPlan } from './read-sites.js'

/**
 * The read side of a client: resolves a read's strategy and plan, and serves it through the cache
 * (one `getOrSet`) or, without a strategy or inside a transaction, straight from the database.
 */
export class Reads {
  /** Per model operation: its strategies and, per cache key, its plan (planning costs more than a cache hit). */
  private readonly sites: ReadSites
  /** Per model delegate: whether it belongs to a transaction client (the check reads through Prisma's proxies). */
  private readonly transactionContexts = new WeakMap<object, boolean>()
  /** Decimal values in and out of the cache, whatever its codec. */
  private readonly decimals = new DecimalBoxes()
  /** The reporter's own counters and recorder, held directly: a hit touches both. */
  private readonly counters: OperationCounters
  private readonly recorder: QueryRecorder

  /**
   * @param client the client `perf()` extends (reads outside transactions run on it directly)
   */
  constructor(
    readonly client: AnyClient,
    private readonly graph: ModelGraph,
    private readonly cache: Cache,
    private readonly resolved: ResolvedPerfOptions,
    private readonly report: Reporter,
  ) {
    this.sites = new ReadSites(resolved.models)
    this.counters = report.counters
    this.recorder = report.recorder
  }

  /** Whether a model delegate (Prisma's extension context) belongs to an interactive-transaction client. */
  inTransactionContext(context: AnyClient): boolean {
    if ((typeof context !== 'object' && typeof context !== 'function') || context === null)
      return isTransactionClient(context?.$parent)
    let known = this.transactionContexts.get(context)
    if (known === undefined) this.transactionContexts.set(context, (known = isTransactionClient(context.$parent)))
    return known
  }

  /**
   * Runs one read: through the cache when a strategy applies and no transaction is involved,
   * straight to the database otherwise. `run` executes Prisma's own operation with the arguments
   * it is given (the adapter's keys removed); it is only called on a miss.
   */
  read(
    model: string,
    operation: string,
    rawArgs: unknown,
    inTransaction: boolean,
    run: (args: unknown) => PromiseLike<unknown>,
    info?: InfoSink,
  ): Promise<unknown> {
    const site = this.sites.get(model, operation)
    const { args, strategy: call } = splitArgs(rawArgs)
    let strategy: ResolvedStrategy | undefined
    try {
      strategy = site.strategies.resolve(call)
    } catch (error) {
      return Promise.reject(error)
    }
    this.counters.reads++
    if (strategy === undefined || inTransaction) {
      if (strategy) this.counters.bypassed++
      info?.(uncachedInfo(strategy ? 'bypass' : 'none'))
      return this.report.passThrough(model, operation, () => run(args), strategy ? 'bypass' : undefined)
    }
    let plan = site.findEquality(args)
    if (plan === undefined) {
      const part = readKeyPart(args)
      plan = site.memos.get(part) ?? this.sites.remember(site, part, this.plan(model, operation, part, args))
      site.indexEquality(args, plan)
    }
    if (plan.entryFor !== strategy || plan.entry === undefined) withEntry(plan, strategy)
    return this.cached(plan, args, run, info)
  }

  private plan(model: string, operation: string, part: string, args: unknown): ReadPlan {
    const key = readKey(this.graph.schemaVersion, model, operation, part)
    if (this.resolved.tableTags) {
      // Shared table tags: a write through any adapter drops this read (row precision would need tags other adapters never write).
      const models = relatedModels(this.graph, model, args).add(model)
      const tags = [...[...models].map(modelTag), ...this.graph.tableTagsOf(models), ALL_TAG, ALL_TABLES_TAG]
      return readPlan(model, operation, key, tags)
    }
    const plan = planRead(this.graph, model, args)
    const derive = plan.derive.length > 0 ? (value: unknown) => deriveTags(this.graph, plan, value) : undefined
    return readPlan(model, operation, key, [...plan.tags, ALL_TAG], derive)
  }

  /**
   * Serves a read through the cache with `plan` (its key and entry options); fails open to the
   * database when the cache cannot hold the value. `run(args)` executes the read on a miss.
   */
  async cached(
    plan: ReadPlan,
    args: unknown,
    run: (args: unknown) => PromiseLike<unknown>,
    info?: InfoSink,
  ): Promise<unknown> {
    const { model, operation } = plan
    const started = performance.now()
    let loaded: { value: unknown; sql?: string } | undefined
    const loader = async (ctx: LoaderContext) => {
      loaded = await this.recorder.execute(() => run(args))
      // Included rows are tagged by the keys in the result; the entry's load-start time still orders it against invalidations.
      if (plan.derive) ctx.addTags(plan.derive(loaded.value))
      return this.decimals.box(loaded.value)
    }
    let result: WithMeta<unknown>
    try {
      result = await this.cache.getOrSet(plan.key, loader, plan.entry as CacheEntryOptions)
    } catch (error) {
      // A closed cache is the one failure core cannot serve past: run the read (once) uncached.
      if (!isPerfError(error, 'CACHE_CLOSED')) {
        this.recorder.record({ model, operation, started, error, cache: 'miss', sql: loaded?.sql })
        throw error
      }
      return this.failOpen(error, plan, loaded, () => run(args), started, info)
    }
    const value = this.decimals.unbox(result.value)
    if (result.meta.error !== undefined && result.meta.status === 'miss') {
      // Core served the loaded value uncached (the codec cannot hold it): report it, no second run.
      this.report.failedOpen(result.meta.error)
      info?.(uncachedInfo('none'))
      this.recorder.record({ model, operation, started, value, cache: 'bypass', sql: loaded?.sql })
      return value
    }
    const status: CacheStatus = result.meta.status
    if (status === 'miss') {
      this.counters.cacheMisses++
      if (loaded?.sql) plan.sql = loaded.sql
    } else this.counters.cacheHits++
    info?.(cachedInfo(result.meta))
    // A hit carries the SQL of the miss that filled its entry: one fingerprint per query, hit or miss.
    const sql = status === 'miss' && loaded ? loaded.sql : plan.sql
    this.recorder.record({ model, operation, started, value, cache: status, sql })
    return value
  }

  private async failOpen(
    error: PerfError,
    { model, operation }: ReadPlan,
    loaded: { value: unknown; sql?: string } | undefined,
    run: () => PromiseLike<unknown>,
    started: number,
    info: InfoSink | undefined,
  ): Promise<unknown> {
    this.report.failedOpen(error)
    // The loaded value itself (never the box the cache was given).
    const executed = loaded ?? (await this.recorder.execute(run))
    info?.(uncachedInfo('none'))
    this.recorder.record({ model, operation, started, value: executed.value, cache: 'bypass', sql: executed.sql })
    return executed.value
  }
}

/** Gives `plan` its getOrSet options under `strategy`, built once per key and strategy (the strategy resolver returns one object for equal strategies). */
function withEntry(plan: ReadPlan, strategy: ResolvedStrategy): void {
  plan.entry = cacheEntryOptions(strategy, strategy.tags.length === 0 ? plan.tags : [...plan.tags, ...strategy.tags])
  plan.entryFor = strategy
}
