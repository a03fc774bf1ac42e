import { AsyncLocalStorage } from 'node:async_hooks'
import { TransactionInvalidations } from '@perf/core'

/** The invalidations one top-level `$transaction` buffers (core's frame stack: nested transactions are savepoints). */
export interface TransactionScope {
  readonly buffer: TransactionInvalidations
  /** Something was buffered since the transaction began (a rollback then drops work: counted). */
  buffered: boolean
}

/**
 * Tracks which `$transaction` the running code belongs to. Reads and writes of a transaction are
 * recognised by Prisma's own transaction marker; this scope only holds their deferred
 * invalidations, found through AsyncLocalStorage because Prisma calls our hook from inside the
 * transaction callback. A nested `tx.$transaction()` (a savepoint) opens a frame on its parent's
 * buffer: committing it merges into the parent, rolling it back drops only its own writes.
 */
export class TransactionScopes {
  private readonly storage = new AsyncLocalStorage<TransactionScope>()

  /** The transaction the caller runs in, if any. */
  current(): TransactionScope | undefined {
    return this.storage.getStore()
  }

  /**
   * Runs `fn` as a transaction level: a new top-level buffer, or (with `nested`) a savepoint frame
   * on the current one. Resolves `fn`'s result and, for a committed top level, what to invalidate
   * now; a rejection rolls the level back (its buffered tags are dropped) and is rethrown.
   */
  async run<T>(
    nested: boolean,
    fn: () => Promise<T>,
    onDropped: () => void,
  ): Promise<{ result: T; tags: string[] | undefined }> {
    const parent = nested ? this.current() : undefined
    const scope = parent ?? { buffer: new TransactionInvalidations(), buffered: false }
    scope.buffer.begin()
    let result: T
    try {
      result = await (parent ? fn() : this.storage.run(scope, fn))
    } catch (error) {
      scope.buffer.rollback()
      if (scope.buffered) onDropped()
      throw error
    }
    const committed = scope.buffer.commit()
    return { result, tags: committed?.tags }
  }
}
