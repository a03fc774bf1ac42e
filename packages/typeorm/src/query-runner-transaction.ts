import type { CommittedInvalidations, SqlDialect } from '@perf/core'
import { TransactionInvalidations } from '@perf/core'

/** A transaction-control statement, as {@link transactionControl} reads it. */
export type TransactionControl =
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | { kind: 'savepoint'; name: string }
  | { kind: 'release'; name: string }
  | { kind: 'rollback-to'; name: string }

const IDENT = String.raw`("[^"]+"|\x60[^\x60]+\x60|[A-Za-z_][\w$]*)`
const BEGIN = /^\s*(?:BEGIN|START\s+TRANSACTION)\b/i
const COMMIT = /^\s*(?:COMMIT|END)\b(?!\s+PREPARED)/i
const ROLLBACK_TO = new RegExp(
  String.raw`^\s*ROLLBACK(?:\s+(?:WORK|TRANSACTION))?\s+TO\s+(?:SAVEPOINT\s+)?${IDENT}`,
  'i',
)
const ROLLBACK = /^\s*(?:ROLLBACK|ABORT)\b(?!\s+PREPARED)/i
const SAVEPOINT = new RegExp(String.raw`^\s*SAVEPOINT\s+${IDENT}`, 'i')
const RELEASE = new RegExp(String.raw`^\s*RELEASE\s+(?:SAVEPOINT\s+)?${IDENT}`, 'i')
/** Cheap pre-check: every statement passes through here, and almost none is transaction control. */
const FIRST = /^\s*(?:BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE)\b/i

function unquote(name: string): string {
  return /^["\x60]/.test(name) ? name.slice(1, -1) : name.toLowerCase()
}

/** Reads `sql` as BEGIN / COMMIT / ROLLBACK / SAVEPOINT / RELEASE / ROLLBACK TO, or undefined. */
export function transactionControl(sql: string): TransactionControl | undefined {
  if (!FIRST.test(sql)) return undefined
  if (BEGIN.test(sql)) return { kind: 'begin' }
  if (COMMIT.test(sql)) return { kind: 'commit' }
  let m = ROLLBACK_TO.exec(sql)
  if (m) return { kind: 'rollback-to', name: unquote(m[1] as string) }
  if (ROLLBACK.test(sql)) return { kind: 'rollback' }
  m = SAVEPOINT.exec(sql)
  if (m) return { kind: 'savepoint', name: unquote(m[1] as string) }
  m = RELEASE.exec(sql)
  if (m) return { kind: 'release', name: unquote(m[1] as string) }
  return undefined
}

/**
 * The buffered invalidations of one QueryRunner's transaction, driven by the control statements
 * that ran on it (TypeORM's own START TRANSACTION / SAVEPOINT typeorm_N / RELEASE / ROLLBACK TO,
 * and the same statements sent through `query()` by hand). Savepoints are tracked by name, as
 * the database does: RELEASE and ROLLBACK TO a name close every savepoint opened after it.
 */
export class RunnerTransaction {
  readonly #levels = new TransactionInvalidations()
  /** Savepoint names of levels 1..depth-1 (level 0 is the transaction itself). */
  readonly #names: string[] = []

  constructor(private readonly dialect: SqlDialect) {}

  /** Whether a transaction is open on the runner, as far as its statements tell. */
  get active(): boolean {
    return this.#levels.active
  }

  /** Buffers written tags; false outside a transaction (the caller invalidates now). */
  add(tags: readonly string[], everything: boolean): boolean {
    if (!this.#levels.active) return false
    if (everything) this.#levels.addEverything()
    this.#levels.add(tags)
    return true
  }

  /**
   * Applies a control statement that ran. `succeeded` false: it failed (a failed COMMIT is
   * treated as committed, which costs misses but never serves a row the database has changed).
   * Returns what must be invalidated now, if anything.
   */
  apply(control: TransactionControl, succeeded: boolean): CommittedInvalidations | undefined {
    switch (control.kind) {
      case 'begin':
        if (!succeeded) return undefined
        if (!this.#levels.active) this.#levels.begin()
        // Inside a transaction, BEGIN is only a warning in PostgreSQL; MySQL commits implicitly first.
        else if (this.dialect === 'mysql') return this.#commitAll(true)
        return undefined
      case 'commit':
        return this.#levels.active ? this.#commitAll(false) : undefined
      case 'rollback':
        this.reset()
        return undefined
      case 'savepoint':
        if (succeeded && this.#levels.active) {
          this.#levels.begin()
          this.#names.push(control.name)
        }
        return undefined
      case 'release':
        if (succeeded) this.#closeTo(control.name, 'release')
        return undefined
      case 'rollback-to':
        if (succeeded && this.#closeTo(control.name, 'rollback')) {
          // The savepoint itself stays established after ROLLBACK TO.
          this.#levels.begin()
          this.#names.push(control.name)
        }
        return undefined
    }
  }

  /**
   * A statement that ends the transaction by itself ran (MySQL commits implicitly before DDL and
   * TRUNCATE): returns what it committed, and later writes count as outside a transaction (the
   * driver's own COMMIT or ROLLBACK that follows changes nothing then).
   */
  implicitCommit(): CommittedInvalidations | undefined {
    return this.#levels.active ? this.#commitAll(false) : undefined
  }

  /** Forgets everything (released mid-transaction, or a ROLLBACK). */
  reset(): void {
    this.#levels.reset()
    this.#names.length = 0
  }

  #commitAll(reopen: boolean): CommittedInvalidations | undefined {
    let committed: CommittedInvalidations | undefined
    while (this.#levels.active) committed = this.#levels.commit()
    this.#names.length = 0
    if (reopen) this.#levels.begin()
    return committed
  }

  /** Closes the savepoint `name` and every one opened after it; false if no such savepoint is open. */
  #closeTo(name: string, how: 'release' | 'rollback'): boolean {
    const at = this.#names.lastIndexOf(name)
    if (at < 0) return false
    while (this.#names.length > at) {
      this.#names.pop()
      if (how === 'release') this.#levels.commit()
      else this.#levels.rollback()
    }
    return true
  }
}
