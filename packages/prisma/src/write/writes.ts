import { PerfError, type Cache } from '@perf/core'
import type { OperationParams } from '../extension/client-shape.js'
import { anyRowTag, modelTag } from '../model/cache-key.js'
import type { ModelGraph } from '../model/model-graph.js'
import { isWriteOperation } from '../model/operations.js'
import { writeTags } from '../model/row-tags.js'
import { writeEffect } from '../model/touched-models.js'
import type { ResolvedPerfOptions } from '../options.js'
import { splitArgs } from '../read/cache-strategy.js'
import type { Reporter } from '../report/reporter.js'
import { rawInvalidation } from './raw-invalidation.js'
import { TransactionScopes } from './transaction-scope.js'

/**
 * The write side of a client: runs writes and raw SQL, turns them into tag invalidations, and
 * defers those to commit inside a `$transaction` (dropped on rollback).
 */
export class Writes {
  private readonly scopes = new TransactionScopes()

  constructor(
    private readonly graph: ModelGraph,
    private readonly cache: Cache,
    private readonly resolved: ResolvedPerfOptions,
    private readonly report: Reporter,
  ) {}

  /** The query-extension hook for writes and raw SQL (reads come through the model layer, see {@link Reads}). */
  async handle(params: OperationParams): Promise<unknown> {
    const { model, operation } = params
    const inTransaction = params.__internalParams?.transaction !== undefined
    if (model === undefined) return this.handleRaw(operation, params.args, params.query, inTransaction)
    const { args, strategy } = splitArgs(params.args)
    if (strategy !== undefined) {
      throw new PerfError(
        'INVALID_CACHE_STRATEGY',
        `[perf:prisma] ${model}.${operation}() is a write; cacheStrategy is only accepted on reads (findUnique, findMany, count, ...)`,
        {
          context: { model, operation },
        },
      )
    }
    return isWriteOperation(operation)
      ? this.write(model, operation, args, params.query, inTransaction)
      : this.report.passThrough(model, operation, () => params.query(args))
  }

  private async write(
    model: string,
    operation: string,
    args: unknown,
    query: OperationParams['query'],
    inTransaction: boolean,
  ): Promise<unknown> {
    this.report.counters.writes++
    const effect = writeEffect(this.graph, model, operation, args)
    const tables = this.graph.tableTagsOf([model, ...effect.others])
    let result: unknown
    let failed = true
    try {
      result = await this.report.passThrough(model, operation, () => query(args))
      failed = false
      return result
    } finally {
      // Also after a failure (model-wide then): a timeout may hide a committed write, and an extra invalidation only costs a miss.
      await this.invalidateTags([...writeTags(this.graph, model, effect, result, failed), ...tables], inTransaction)
    }
  }

  private async handleRaw(
    operation: string,
    args: unknown,
    query: OperationParams['query'],
    inTransaction: boolean,
  ): Promise<unknown> {
    this.report.counters.raw++
    const tags = rawInvalidation(args, this.graph, this.resolved.rawTables)
    try {
      return await this.report.passThrough(undefined, operation, () => query(args))
    } finally {
      if (tags.length > 0) await this.invalidateTags(tags, inTransaction)
    }
  }

  /**
   * Invalidates `tags` now, or at commit when the operation ran inside a `$transaction` of this
   * client (dropped if it rolls back).
   */
  async invalidateTags(tags: readonly string[], inTransaction = false): Promise<void> {
    if (tags.length === 0) return
    const scope = inTransaction ? this.scopes.current() : undefined
    if (scope) {
      scope.buffer.add(tags)
      scope.buffered = true
      this.report.counters.deferredInvalidations++
      return
    }
    this.report.counters.invalidations++
    await this.cache.invalidateTags(tags)
  }

  /**
   * Runs a `$transaction` (`run`), buffering the invalidations of its writes and applying them
   * after commit (dropping them on rollback). A `nested` transaction's invalidations join its
   * parent's.
   */
  async transaction(nested: boolean, run: () => Promise<unknown>): Promise<unknown> {
    const { result, tags } = await this.scopes.run(nested, run, () => this.report.counters.droppedTransactions++)
    if (tags !== undefined && tags.length > 0) {
      this.report.counters.invalidations++
      await this.cache.invalidateTags(tags)
    }
    return result
  }

  /** Model names → the tags that drop every cached read of them, validating each name. @throws PerfError UNKNOWN_MODEL */
  modelTags(models: readonly string[], option: string): string[] {
    return models.flatMap((m) => {
      const model = this.graph.resolve(m, option)
      return [modelTag(model), anyRowTag(model), this.graph.tableTag(model)]
    })
  }
}
