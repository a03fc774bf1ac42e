import { PerfError } from '@perf/core'
import { compositeMemo, KeyColumn, type NormalKey } from './keys.js'
import type { ColumnLike } from './metadata.js'

/** The keys of one batch, checked: unique params to query, and the slots each result fills. */
export interface KeyBatch<R> {
  params: unknown[]
  /** Memo text -> indexes of the keys that share it. */
  slots: Map<string, number[]>
  /** One result (or PerfError for a malformed key) per key. */
  out: Array<R | Error>
}

/** Normalises the keys of an entity's primary key, single-column or composite. */
export class EntityKey {
  readonly columns: KeyColumn[]
  readonly #integer: boolean
  constructor(columns: readonly ColumnLike[], where: string) {
    this.columns = columns.map((c) => new KeyColumn(c, where))
    this.#integer = this.columns.length === 1 && this.columns[0]?.kind === 'integer'
  }

  get composite(): boolean {
    return this.columns.length > 1
  }

  normalize(key: unknown): NormalKey | PerfError {
    const [first] = this.columns
    if (!this.composite) return (first as KeyColumn).normalize(key)
    if (typeof key !== 'object' || key === null) return this.#compositeError(key)
    const record = key as Record<string, unknown>
    const param: Record<string, unknown> = {}
    const memos: string[] = []
    for (const column of this.columns) {
      const name = column.column.propertyName
      if (!(name in record)) return this.#compositeError(key)
      const part = column.normalize(record[name])
      if (part instanceof PerfError) return part
      param[name] = part.param
      memos.push(part.memo)
    }
    return { param, memo: compositeMemo(memos) }
  }

  /** The memo text of an entity the database returned. */
  memoOfEntity(entity: object): string {
    if (!this.composite) {
      const column = this.columns[0] as KeyColumn
      return column.memoOf(column.column.getEntityValue(entity))
    }
    return compositeMemo(this.columns.map((c) => c.memoOf(c.column.getEntityValue(entity))))
  }

  #invalidKeys = 0

  /** What BatchLoader memoizes a key by; a malformed key gets a text of its own and fails in the batch. */
  cacheKey(key: unknown): string {
    // The common case without allocating: a number key of an integer column.
    if (typeof key === 'number' && this.#integer && Number.isSafeInteger(key)) return String(key)
    const normal = this.normalize(key)
    // Unique per call: two different malformed objects must not share one memoized rejection.
    return normal instanceof PerfError ? `\u0000invalid:${++this.#invalidKeys}` : normal.memo
  }

  /** Splits `keys` into unique params and result slots; malformed keys get their PerfError at once. */
  batch<R>(keys: readonly unknown[]): KeyBatch<R> {
    const out = new Array<R | Error>(keys.length)
    const params: unknown[] = []
    const slots = new Map<string, number[]>()
    for (let i = 0; i < keys.length; i++) {
      const normal = this.normalize(keys[i])
      if (normal instanceof PerfError) {
        out[i] = normal
        continue
      }
      const taken = slots.get(normal.memo)
      if (taken === undefined) {
        slots.set(normal.memo, [i])
        params.push(normal.param)
      } else taken.push(i)
    }
    return { params, slots, out }
  }

  #compositeError(key: unknown): PerfError {
    const first = this.columns[0] as KeyColumn
    const names = this.columns.map((c) => c.column.propertyName)
    return new PerfError(
      'INVALID_ARGUMENT',
      `[perf:typeorm] ${first.where}: ${first.column.entityMetadata.name} has a composite primary key; a key must be an object with ${names.join(', ')}`,
      { context: { key: typeof key === 'object' ? '(object)' : String(key), columns: names } },
    )
  }
}
