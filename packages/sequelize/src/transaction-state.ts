import { TransactionInvalidations, type CommittedInvalidations } from '@perf/core'

/** A transaction-control statement, as Sequelize 6 sends them (and as users send them by hand). */
export type TransactionControl =
  | { kind: 'begin' }
  | { kind: 'savepoint'; name: string }
  | { kind: 'commit' }
  | { kind: 'release'; name: string }
  | { kind: 'rollback' }
  | { kind: 'rollback-to'; name: string }

const IDENT = String.raw`("(?:[^"]|"")+"|\x60(?:[^\x60]|\x60\x60)+\x60|[\w$]+)`
const PATTERNS: readonly [RegExp, (m: RegExpMatchArray) => TransactionControl][] = [
  [/^(?:START\s+TRANSACTION|BEGIN)(?:\s+(?:WORK|TRANSACTION))?\b[^;]*;?\s*$/i, () => ({ kind: 'begin' })],
  [new RegExp(String.raw`^SAVEPOINT\s+${IDENT}\s*;?\s*$`, 'i'), (m) => ({ kind: 'savepoint', name: unquote(m[1]) })],
  [/^(?:COMMIT|END)(?:\s+(?:WORK|TRANSACTION))?\s*;?\s*$/i, () => ({ kind: 'commit' })],
  [
    new RegExp(String.raw`^RELEASE\s+(?:SAVEPOINT\s+)?${IDENT}\s*;?\s*$`, 'i'),
    (m) => ({ kind: 'release', name: unquote(m[1]) }),
  ],
  [
    new RegExp(String.raw`^ROLLBACK(?:\s+(?:WORK|TRANSACTION))?\s+TO\s+(?:SAVEPOINT\s+)?${IDENT}\s*;?\s*$`, 'i'),
    (m) => ({ kind: 'rollback-to', name: unquote(m[1]) }),
  ],
  [/^(?:ROLLBACK|ABORT)(?:\s+(?:WORK|TRANSACTION))?\s*;?\s*$/i, () => ({ kind: 'rollback' })],
]

function unquote(raw: string | undefined): string {
  if (raw === undefined) return ''
  const q = raw[0]
  if (q === '"' || q === '`') return raw.slice(1, -1).replaceAll(q + q, q)
  return raw
}

/** Reads a statement as a transaction-control statement; undefined for anything else. */
export function transactionControl(sql: string): TransactionControl | undefined {
  const text = sql.trim()
  // Cheap first-word check: almost every statement is not transaction control.
  const first = text.slice(0, 5).toUpperCase()
  if (!['START', 'BEGIN', 'SAVEP', 'COMMI', 'END', 'END;', 'RELEA', 'ROLLB', 'ABORT'].some((w) => first.startsWith(w)))
    return undefined
  for (const [re, make] of PATTERNS) {
    const m = text.match(re)
    if (m !== null) return make(m)
  }
  return undefined
}

/**
 * The invalidations of the transaction open on one connection, with savepoint names. Sequelize
 * never releases a savepoint (a nested transaction's commit sends nothing), so a COMMIT closes
 * every level still open; ROLLBACK TO a name drops that level and every level opened after it.
 */
export class ConnectionTransaction {
  private readonly levels = new TransactionInvalidations()
  private readonly names: (string | undefined)[] = []

  get active(): boolean {
    return this.levels.active
  }

  add(tags: readonly string[]): void {
    this.levels.add(tags)
  }

  addEverything(): void {
    this.levels.addEverything()
  }

  /** Applies a control statement that succeeded; returns what a COMMIT makes visible. */
  apply(control: TransactionControl): CommittedInvalidations | undefined {
    switch (control.kind) {
      case 'begin':
        // A BEGIN on a connection we think is in a transaction: the old one ended unseen.
        this.reset()
        this.levels.begin()
        this.names.push(undefined)
        return undefined
      case 'savepoint':
        if (!this.active) return undefined
        this.levels.begin()
        this.names.push(control.name)
        return undefined
      case 'release': {
        const at = this.names.lastIndexOf(control.name)
        if (at <= 0) return undefined
        while (this.names.length > at) {
          this.levels.commit()
          this.names.pop()
        }
        return undefined
      }
      case 'rollback-to': {
        const at = this.names.lastIndexOf(control.name)
        if (at <= 0) return undefined
        while (this.names.length > at) {
          this.levels.rollback()
          this.names.pop()
        }
        // The savepoint itself stays established after ROLLBACK TO: keep an empty level for it.
        this.levels.begin()
        this.names.push(control.name)
        return undefined
      }
      case 'commit': {
        if (!this.active) return undefined
        let done: CommittedInvalidations | undefined
        while (this.levels.active) done = this.levels.commit()
        this.names.length = 0
        return done
      }
      case 'rollback':
        this.reset()
        return undefined
    }
  }

  /** Forgets every level (the connection broke or was released mid-transaction: the database rolled back). */
  reset(): void {
    this.levels.reset()
    this.names.length = 0
  }
}
