import type { MappedRows } from '@perf/pg'
import { attributesOf, timestampsOf, type ModelMeta } from './bulk-mapping.js'

/** Which bulk write the rows are for. */
export type BulkKind = 'insert' | 'update' | 'upsert'

/**
 * Model instances as their stored values (`dataValues`: setters already ran, getters do not, so
 * a getter's output is never written back), limited to the model's stored attributes. On insert a
 * `null` auto-increment key and `null` timestamps count as missing, as in `bulkCreate`; on update,
 * `updatedAt` is always now unless `silent`, as in `Model.update`. With `complete` (bulkUpdate),
 * every row must have every written attribute: a missing one would write NULL over the stored value.
 */
export function normalizedRows(
  model: ModelMeta,
  kind: BulkKind,
  rows: unknown,
  silent: boolean,
  complete: Complete | undefined,
): MappedRows {
  if (rows === null || typeof rows !== 'object' || !(Symbol.iterator in rows || Symbol.asyncIterator in rows)) {
    return rows as MappedRows // mappedBulk refuses it with its typed error
  }
  const attributes = attributesOf(model)
  const stored = new Set(Object.keys(attributes).filter((a) => attributes[a]?.type?.key !== 'VIRTUAL'))
  const { createdAt, updatedAt } = timestampsOf(model)
  const nullIsMissing = new Set<string>()
  if (kind !== 'update') {
    for (const [name, a] of Object.entries(attributes)) if (a?.autoIncrement === true) nullIsMissing.add(name)
    if (createdAt !== undefined) nullIsMissing.add(createdAt)
    if (updatedAt !== undefined) nullIsMissing.add(updatedAt)
  }
  const dropUpdatedAt = kind !== 'insert' && !silent && updatedAt !== undefined ? updatedAt : undefined
  const normalize = (row: unknown): unknown => {
    if (typeof row !== 'object' || row === null) return row
    let out = row as Record<string, unknown>
    const values = (row as { dataValues?: unknown }).dataValues
    if (typeof values === 'object' && values !== null && typeof (row as { get?: unknown }).get === 'function') {
      out = {}
      for (const key of Object.keys(values)) if (stored.has(key)) out[key] = (values as Record<string, unknown>)[key]
    }
    let copied = out !== row
    const drop = (key: string) => {
      if (!copied) {
        out = { ...out }
        copied = true
      }
      delete out[key]
    }
    for (const key of nullIsMissing) if (out[key] === null) drop(key)
    if (dropUpdatedAt !== undefined && out[dropUpdatedAt] !== undefined) drop(dropUpdatedAt)
    return out
  }
  let required: string[] | undefined =
    complete?.fields === undefined
      ? undefined
      : [...new Set([...complete.key, ...complete.fields])].filter((f) => f !== dropUpdatedAt)
  const check = (row: unknown, index: number): void => {
    if (complete === undefined || typeof row !== 'object' || row === null) return
    if (required === undefined) required = [...definedKeys(row)] // a stream: its first row
    for (const attribute of required) {
      if ((row as Record<string, unknown>)[attribute] === undefined) throw complete.missing(index, attribute)
    }
  }
  if (Array.isArray(rows)) {
    const out = rows.map(normalize)
    if (complete !== undefined) {
      if (required === undefined) {
        const union = new Set<string>()
        for (const row of out)
          if (typeof row === 'object' && row !== null) for (const k of definedKeys(row)) union.add(k)
        required = [...union]
      }
      out.forEach(check)
    }
    return out as object[]
  }
  if (Symbol.asyncIterator in rows) {
    const source = rows as AsyncIterable<unknown>
    return {
      async *[Symbol.asyncIterator]() {
        let index = 0
        for await (const row of source) {
          const out = normalize(row)
          check(out, index++)
          yield out as object
        }
      },
    }
  }
  const source = rows as Iterable<unknown>
  return {
    *[Symbol.iterator]() {
      let index = 0
      for (const row of source) {
        const out = normalize(row)
        check(out, index++)
        yield out as object
      }
    },
  }
}

/** What bulkUpdate requires of every row: the written attributes and the key. */
export interface Complete {
  fields: readonly string[] | undefined
  key: readonly string[]
  missing(index: number, attribute: string): Error
}

function* definedKeys(row: object): Generator<string> {
  for (const key in row) {
    if (Object.hasOwn(row, key) && (row as Record<string, unknown>)[key] !== undefined) yield key
  }
}
