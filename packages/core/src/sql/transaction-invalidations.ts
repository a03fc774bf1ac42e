import { PerfError } from '../errors.js'

/** What a committed transaction invalidates. */
export interface CommittedInvalidations {
  /** Tags written inside the transaction. */
  tags: string[]
  /** Something inside wrote what the parser could not read: invalidate everything. */
  everything: boolean
}

interface Frame {
  tags: Set<string>
  everything: boolean
}

/**
 * The invalidations of one transaction on one connection, held until the outermost commit and
 * dropped on rollback; nested levels (savepoints) are frames: rolling one back drops only what
 * was written since it began, releasing it merges into the level around it.
 *
 * Why after the commit: until then other connections still read the old rows, and a reader that
 * loads one after an early invalidation would cache it again with nothing left to drop it. After
 * the commit the cache's own ordering does the rest: a load that began before the invalidation
 * (and may have read the pre-commit row) can no longer write its value (the cache refuses writes
 * of loads older than an invalidation of their key or tags, in this process and in Redis).
 *
 * Adapters call {@link begin} on BEGIN and SAVEPOINT, {@link add} for each write, {@link commit}
 * on COMMIT and RELEASE, {@link rollback} on ROLLBACK and ROLLBACK TO SAVEPOINT, and give the
 * outermost commit's result to `cache.invalidateTags` (or `cache.clear` for `everything`).
 */
export class TransactionInvalidations {
  private readonly frames: Frame[] = []

  /** How many levels are open (0: not in a transaction; 2: one savepoint inside a transaction). */
  get depth(): number {
    return this.frames.length
  }

  /** Whether a transaction is open: reads bypass the cache, writes are buffered. */
  get active(): boolean {
    return this.frames.length > 0
  }

  /** Opens a transaction, or a savepoint inside the open one. */
  begin(): void {
    this.frames.push({ tags: new Set(), everything: false })
  }

  /** Buffers tags written at the current level. @throws PerfError INVALID_STATE outside a transaction */
  add(tags: Iterable<string>): void {
    const frame = this.top('add')
    for (const tag of tags) frame.tags.add(tag)
  }

  /** Buffers "everything" (an unreadable write) at the current level. */
  addEverything(): void {
    this.top('addEverything').everything = true
  }

  /**
   * Closes the current level. Inside a transaction (a savepoint released) its writes join the
   * level around it and `undefined` is returned; at the outermost level the whole transaction's
   * invalidations are returned for the caller to apply now that the data is visible.
   */
  commit(): CommittedInvalidations | undefined {
    const frame = this.top('commit')
    this.frames.pop()
    const parent = this.frames[this.frames.length - 1]
    if (parent === undefined) return { tags: [...frame.tags], everything: frame.everything }
    for (const tag of frame.tags) parent.tags.add(tag)
    if (frame.everything) parent.everything = true
    return undefined
  }

  /** Drops the current level's writes (ROLLBACK, or ROLLBACK TO SAVEPOINT at a nested level). */
  rollback(): void {
    this.top('rollback')
    this.frames.pop()
  }

  /** Forgets every level (the connection was released or broke mid-transaction: the database rolled back). */
  reset(): void {
    this.frames.length = 0
  }

  private top(operation: string): Frame {
    const frame = this.frames[this.frames.length - 1]
    if (frame === undefined)
      throw new PerfError('INVALID_ARGUMENT', `[perf:sql] ${operation}() outside a transaction: call begin() first`)
    return frame
  }
}
