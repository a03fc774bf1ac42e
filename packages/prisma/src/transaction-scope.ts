import { AsyncLocalStorage } from 'node:async_hooks'

/** Invalidations buffered by one `$transaction` until it commits. */
export class TransactionScope {
  /** Tags to invalidate at commit. */
  readonly tags = new Set<string>()

  constructor(readonly parent: TransactionScope | undefined) {}

  /** Moves everything buffered here into `target` (a committed nested transaction's work joins its parent). */
  mergeInto(target: TransactionScope): void {
    for (const tag of this.tags) target.tags.add(tag)
  }
}

/**
 * Tracks which `$transaction` the running code belongs to. Reads and writes of a transaction are
 * recognised by Prisma's own transaction marker; this scope only holds their deferred invalidations,
 * found through AsyncLocalStorage because Prisma calls our hook from inside the transaction callback.
 */
export class TransactionScopes {
  private readonly storage = new AsyncLocalStorage<TransactionScope>()

  /** The innermost transaction the caller runs in, if any. */
  current(): TransactionScope | undefined {
    return this.storage.getStore()
  }

  /** Runs `fn` with `scope` as the current transaction. */
  run<T>(scope: TransactionScope, fn: () => T): T {
    return this.storage.run(scope, fn)
  }
}
