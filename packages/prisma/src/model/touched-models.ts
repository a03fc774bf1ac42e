import type { ModelGraph } from './model-graph.js'
import { isDeleteOperation } from './operations.js'

type Plain = Record<string, unknown>

/** Plain objects and arrays are argument structure; Dates, Decimals, bytes and enums are values. */
export function isPlain(value: unknown): value is Plain {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function walkRead(graph: ModelGraph, model: string, value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) walkRead(graph, model, item, out)
    return
  }
  if (!isPlain(value)) return
  for (const key in value) {
    const target = graph.relationTarget(model, key)
    if (target) out.add(target)
    walkRead(graph, target ?? model, value[key], out)
  }
}

/**
 * The models a read reaches through relation fields anywhere in its arguments (`include`,
 * `select`, `_count`, relation filters in `where`, `orderBy` on relations); the read's own model
 * only when a relation leads back to it. Extra models only cost hit ratio; a missing one would
 * serve stale data.
 */
export function relatedModels(graph: ModelGraph, model: string, args: unknown): Set<string> {
  const out = new Set<string>()
  walkRead(graph, model, args, out)
  return out
}

/** Keys of a nested write that only select rows; they change nothing themselves. */
const SELECTOR_KEYS = new Set(['where', 'connect', 'disconnect', 'set', 'cursor'])
/** Keys whose value deletes rows of the relation's model (and what cascades from them). */
const DELETE_KEYS = new Set(['delete', 'deleteMany'])
/** Operations whose result holds every row they wrote (unless `select`/`omit` hides fields). */
const ROW_RETURNING = new Set(['create', 'update', 'upsert', 'delete', 'createManyAndReturn', 'updateManyAndReturn'])
/** Where each operation keeps the values it writes to the model's own row. */
const UPDATE_DATA: Record<string, string> = {
  update: 'data',
  updateMany: 'data',
  updateManyAndReturn: 'data',
  upsert: 'update',
}

function walkWrite(graph: ModelGraph, model: string, value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) walkWrite(graph, model, item, out)
    return
  }
  if (!isPlain(value)) return
  for (const dependent of graph.updateDependents(model, Object.keys(value))) out.add(dependent)
  for (const key in value) {
    const target = graph.relationTarget(model, key)
    if (target) {
      out.add(target)
      walkWrite(graph, target, value[key], out)
      continue
    }
    if (DELETE_KEYS.has(key)) for (const dependent of graph.deleteDependents(model)) out.add(dependent)
    if (!SELECTOR_KEYS.has(key)) walkWrite(graph, model, value[key], out)
  }
}

/** What a write does, for invalidation. */
export interface WriteEffect {
  /** Other models whose rows it may change, rows unknown: nested writes, referential actions. */
  others: Set<string>
  /** The written model's rows are all in the result, so row tags can be computed from it. */
  knownRows: boolean
  /** Fields of the written model an update may change (old values unknown): data keys and the foreign keys behind relation keys. (`@updatedAt` fields are DateTime, never row-tag keys.) */
  changed: Set<string>
}

/**
 * Every model whose rows a write can change: the model itself (with its rows when the result
 * returns them), every model reached by a nested write (`create`, `connect`, `update`, `delete`,
 * ... through relation fields, implicit many-to-many join tables included), and the models that
 * referential actions (onDelete / onUpdate) change.
 */
export function writeEffect(graph: ModelGraph, model: string, operation: string, args: unknown): WriteEffect {
  const others = new Set<string>()
  const changed = new Set<string>()
  let knownRows = ROW_RETURNING.has(operation)
  if (isDeleteOperation(operation)) for (const dependent of graph.deleteDependents(model)) others.add(dependent)
  if (isPlain(args)) {
    for (const key of ['data', 'create', 'update'] as const) {
      if (args[key] !== undefined) walkWrite(graph, model, args[key], others)
    }
    const dataKey = UPDATE_DATA[operation]
    const data = dataKey === undefined ? undefined : args[dataKey]
    if (data !== undefined) {
      for (const key of isPlain(data) ? Object.keys(data) : []) {
        if (!graph.relationTarget(model, key)) changed.add(key)
        else {
          const fks = graph.foreignKeyFields(model, key)
          if (fks === undefined) knownRows = false
          else for (const fk of fks) changed.add(fk)
        }
      }
    }
  }
  // A nested write or a cascade back into the same model changes rows the result does not show.
  if (others.has(model)) knownRows = false
  others.delete(model)
  return { others, knownRows, changed }
}
