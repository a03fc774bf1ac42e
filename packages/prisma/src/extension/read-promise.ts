import { delegateName, isTransactionClient, type AnyClient } from './client-shape.js'
import type { PerfInfo, WithPerfInfo } from '../read/perf-info.js'
import type { Reads } from '../read/reads.js'

/**
 * What a read operation of a `perf()` client returns: a lazy PrismaPromise. Awaiting it runs the
 * read through the adapter; a cache hit never builds Prisma's own request (which costs ~20 µs).
 * Handed to `$transaction([...])`, it runs inside the batch through Prisma, uncached.
 */
export class PerfReadPromise<T = unknown> implements PromiseLike<T> {
  readonly [Symbol.toStringTag] = 'PrismaPromise'
  #result: Promise<T> | undefined

  constructor(
    protected readonly reads: Reads,
    /** The model delegate of the client the call was made on (Prisma's extension context). */
    protected readonly context: AnyClient,
    protected readonly model: string,
    protected readonly operation: string,
    protected readonly args: unknown,
  ) {}

  /**
   * Prisma's own PrismaPromise for `args` (the adapter's keys removed). Outside transactions it
   * comes from the client `perf()` extended, below the adapter's write hooks: any query
   * extension layer costs every request ~10 µs, and reads need none of ours.
   */
  protected inner(args: unknown, inTransaction = isTransactionClient(this.context.$parent)): AnyClient {
    const client = inTransaction ? this.context.$parent : this.reads.client
    return client[delegateName(this.model)][this.operation](args)
  }

  #run(info?: (info: PerfInfo) => void): Promise<T> {
    const inTransaction = this.reads.inTransactionContext(this.context)
    return this.reads.read(
      this.model,
      this.operation,
      this.args,
      inTransaction,
      (args) => this.inner(args, inTransaction),
      info,
    ) as Promise<T>
  }

  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.#result ??= this.#run()
    return this.#result.then(onFulfilled, onRejected)
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.then(undefined, onRejected)
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onFinally)
  }

  /** Called by `$transaction([...])`: the read joins the batch, uncached. */
  requestTransaction(batch: unknown): PromiseLike<unknown> {
    return this.reads.read(this.model, this.operation, this.args, true, (args) => {
      // The batch runs on the client $transaction was called on: keep Prisma's own chain.
      const promise = this.context.$parent[delegateName(this.model)][this.operation](args)
      return promise.requestTransaction ? promise.requestTransaction(batch) : promise
    })
  }

  /** Runs the read and resolves `{ data, info }`: cache status, tier and age (like Accelerate's `withAccelerateInfo()`). */
  async withPerfInfo(): Promise<WithPerfInfo<T>> {
    let info: PerfInfo = { status: 'none', tier: 'database', ageMs: 0 }
    const data = await this.#run((i) => (info = i))
    return { data, info }
  }
}

/**
 * The read promise of one model, with Prisma's fluent relation methods
 * (`db.user.findUnique(...).posts()`): they run through Prisma, uncached.
 */
export function readPromiseClass(relations: readonly string[]): typeof PerfReadPromise {
  class ModelReadPromise<T> extends PerfReadPromise<T> {}
  for (const relation of relations) {
    Object.defineProperty(ModelReadPromise.prototype, relation, {
      value(this: ModelReadPromise<unknown>, relationArgs?: unknown) {
        const { cacheStrategy: _ignored, ...args } = (this.args ?? {}) as Record<string, unknown>
        return this.inner(args)[relation](relationArgs)
      },
    })
  }
  return ModelReadPromise
}
