import { PerfError } from '@perf/core'
import type { ColumnLike } from './metadata.js'

/** How a key column's values are checked and compared. */
type KeyKind = 'integer' | 'uuid' | 'string' | 'other'

const INTEGER_TYPES = new Set([
  'int',
  'int2',
  'int4',
  'int8',
  'integer',
  'smallint',
  'mediumint',
  'tinyint',
  'bigint',
  'serial',
  'bigserial',
  'smallserial',
])
const STRING_TYPES = new Set(['varchar', 'character varying', 'char', 'character', 'text', 'nvarchar', 'citext'])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const INTEGER_TEXT = /^-?\d+$/

function kindOf(column: ColumnLike): KeyKind {
  const type = column.type
  if (type === 'uuid' || column.generationStrategy === 'uuid') return 'uuid'
  if (type === Number || (typeof type === 'string' && INTEGER_TYPES.has(type.toLowerCase()))) return 'integer'
  if (type === String || (typeof type === 'string' && STRING_TYPES.has(type.toLowerCase()))) return 'string'
  return 'other'
}

/** One key, checked: the value sent to the database and the text it is matched by. */
export interface NormalKey {
  param: unknown
  memo: string
}

/**
 * Checks and normalises the values of one key column: integers (number, bigint or digit string;
 * compared as decimal text, so `7`, `7n` and `'7'` are one key and match the int8 strings pg
 * returns), uuids (compared lower-case), strings.
 */
export class KeyColumn {
  readonly kind: KeyKind
  constructor(
    readonly column: ColumnLike,
    readonly where: string,
  ) {
    this.kind = kindOf(column)
  }

  /** The key as sent and compared, or a PerfError naming what is wrong with it. */
  normalize(key: unknown): NormalKey | PerfError {
    switch (this.kind) {
      case 'integer':
        if (typeof key === 'number' && Number.isSafeInteger(key)) return { param: key, memo: String(key) }
        if (typeof key === 'bigint') return { param: key.toString(), memo: key.toString() }
        if (typeof key === 'string' && INTEGER_TEXT.test(key)) {
          const text = BigInt(key).toString()
          return { param: text, memo: text }
        }
        return this.#reject(key, 'an integer (a safe-integer number, a bigint or a string of digits)')
      case 'uuid':
        if (typeof key === 'string' && UUID.test(key)) return { param: key.toLowerCase(), memo: key.toLowerCase() }
        return this.#reject(key, 'a uuid string')
      case 'string':
        if (typeof key === 'string') return { param: key, memo: key }
        return this.#reject(key, 'a string')
      default:
        if (typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint')
          return { param: typeof key === 'bigint' ? key.toString() : key, memo: String(key) }
        return this.#reject(key, 'a string, number or bigint')
    }
  }

  /** The comparison text of a value the database returned for this column. */
  memoOf(value: unknown): string {
    if (value instanceof Date) return value.toISOString()
    const text = String(value)
    return this.kind === 'uuid' ? text.toLowerCase() : text
  }

  #reject(key: unknown, expected: string): PerfError {
    const shown = typeof key === 'string' ? JSON.stringify(key) : typeof key === 'object' ? 'an object' : String(key)
    const { column } = this
    return new PerfError(
      'INVALID_ARGUMENT',
      `[perf:typeorm] ${this.where}: key ${shown} is not ${expected} (column ${column.entityMetadata.tableName}.${column.databaseName} is ${this.kind === 'other' ? typeName(column.type) : this.kind})`,
      { context: { key: typeof key === 'bigint' ? key.toString() : key, column: column.databaseName } },
    )
  }
}

function typeName(type: unknown): string {
  return typeof type === 'function' ? type.name.toLowerCase() : String(type)
}

/** The memo text of a composite key: its parts' texts in primary-column order. */
export function compositeMemo(parts: readonly string[]): string {
  return JSON.stringify(parts)
}
