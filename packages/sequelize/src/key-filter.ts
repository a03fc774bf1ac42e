import type { Model, ModelStatic, WhereOptions } from 'sequelize'
import type { PrimaryKey } from './loaders.js'

/** Sequelize 6's `Op.eq`: a registered symbol, the same in every copy of the library. */
const OP_EQ = Symbol.for('eq')

/**
 * One element of a PostgreSQL array literal: numbers bare, strings double-quoted with `\` and `"`
 * escaped, so that commas, braces, quotes, spaces and the word NULL stay part of the key.
 */
function arrayElement(key: string | number | bigint): string {
  if (typeof key !== 'string') return String(key)
  return `"${key.replace(/[\\"]/g, '\\$&')}"`
}

/** The keys as one SQL string literal holding a PostgreSQL array: `'{1,2,"a,b"}'`. */
export function pgArrayLiteral(keys: ReadonlyArray<string | number | bigint>): string {
  return `'{${keys.map(arrayElement).join(',').replace(/'/g, "''")}}'`
}

/** Whether a key can match a row at all: PostgreSQL text cannot hold NUL, and NULL equals nothing. */
const canMatch = (key: unknown): boolean =>
  key !== null && key !== undefined && !(typeof key === 'string' && key.includes('\0'))

/** Keys an array literal carries as they are (null and undefined are left out before). */
const isArrayable = (key: unknown): boolean =>
  key === null ||
  key === undefined ||
  (typeof key === 'number' && Number.isFinite(key)) ||
  typeof key === 'bigint' ||
  typeof key === 'string'

/**
 * The condition "`column` is one of `keys`" for one batch. On PostgreSQL it is one array literal,
 * `"pk" = ANY('{…}')` (the column's type applies to it, so integer, bigint, text and uuid keys all
 * compare as the column does): one token to escape, parse and plan instead of an `IN` list of a
 * thousand. Elsewhere, and for keys an array literal cannot carry, Sequelize's own `IN (…)`.
 */
export function keysWhere(model: ModelStatic<Model>, column: string, keys: readonly PrimaryKey[]): WhereOptions {
  const sequelize = model.sequelize
  if (sequelize?.getDialect() !== 'postgres' || !keys.every(isArrayable)) return { [column]: [...keys] }
  // Keys that match nothing stay out (a NUL would be rewritten by Sequelize's escaping, not refused).
  const usable = keys.filter(canMatch)
  if (usable.length === 0) return { [column]: [] }
  return {
    [column]: { [OP_EQ]: sequelize.literal(`ANY(${pgArrayLiteral(usable as Array<string | number | bigint>)})`) },
  }
}
