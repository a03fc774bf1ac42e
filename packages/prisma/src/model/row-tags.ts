import { stableKey } from '@perf/core'
import { anyRowTag, fieldTag, modelTag, rowTag } from './cache-key.js'
import type { ModelGraph } from './model-graph.js'
import { isPlain, relatedModels, type WriteEffect } from './touched-models.js'

/**
 * Row-level tags. A read whose `where` pins key fields by equality (`{ productId: 5 }`,
 * `{ id: 7 }`) can only change when a row with those values changes, so instead of its model's
 * tag it carries one tag per pinned value; rows it includes through a relation are tagged by the
 * key values in its result. A write whose result holds the rows it wrote drops the tags of those
 * rows' values (plus the model tag of unrestricted reads); writes whose rows are unknown
 * (`updateMany`, nested writes, cascades, raw SQL) drop everything of the model.
 */

const MAX_INLINE_STRING = 64

/** The canonical text of a key value, identical for the `where` argument and the row Prisma returns; undefined when not usable. */
export function canonicalValue(type: string, value: unknown): string | undefined {
  if (value === null) return 'null'
  switch (type) {
    case 'Int':
      return typeof value === 'number' && Number.isInteger(value)
        ? String(value)
        : typeof value === 'bigint'
          ? String(value)
          : undefined
    case 'BigInt':
      return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))
        ? String(BigInt(value))
        : undefined
    case 'Boolean':
      return typeof value === 'boolean' ? String(value) : undefined
    default:
      // String and enum: long values are hashed so tags stay short.
      if (typeof value !== 'string') return undefined
      return value.length <= MAX_INLINE_STRING ? JSON.stringify(value) : `#${stableKey(value)}`
  }
}

/** Collects `field = value` pins from a where clause (top level and `AND`); other conditions only narrow further. */
function equalities(graph: ModelGraph, model: string, where: unknown, out: Map<string, string>): void {
  if (!isPlain(where)) return
  const keys = graph.keyFieldsOf(model)
  for (const [key, value] of Object.entries(where)) {
    if (key === 'AND') {
      for (const part of Array.isArray(value) ? value : [value]) equalities(graph, model, part, out)
      continue
    }
    const type = keys.get(key)
    if (type !== undefined) {
      const operand = isPlain(value) && Object.keys(value).length === 1 && 'equals' in value ? value.equals : value
      const canonical = canonicalValue(type, operand)
      if (canonical !== undefined) out.set(key, canonical)
    } else if (!graph.hasField(model, key) && isPlain(value) && Object.keys(value).every((f) => keys.has(f))) {
      // A compound unique selector (`userId_postId: { userId: 1, postId: 2 }`) pins each of its fields.
      for (const [field, operand] of Object.entries(value)) {
        const canonical = canonicalValue(keys.get(field) as string, operand)
        if (canonical !== undefined) out.set(field, canonical)
      }
    }
  }
}

/** An included relation whose rows are found through one key: its tags come from the result. */
interface Derivation {
  /** The relation field in the result rows. */
  field: string
  link: { target: string; targetField: string; sourceField: string }
  nested: Derivation[]
}

/** What a read depends on: tags known up front, and relations whose tags are read off the result. */
export interface ReadPlan {
  tags: string[]
  derive: Derivation[]
}

/** Most distinct key values one included relation is tagged with; beyond it the model tag is used. */
const MAX_DERIVED_VALUES = 200

function addModels(graph: ModelGraph, model: string, value: unknown, tags: Set<string>): void {
  for (const related of relatedModels(graph, model, value)) tags.add(modelTag(related))
}

/** Plans `include` / `select`: linked relations are derived from the result, others tag their model. */
function planSelection(
  graph: ModelGraph,
  model: string,
  selection: unknown,
  tags: Set<string>,
  derive: Derivation[],
): void {
  if (!isPlain(selection)) return
  for (const [key, value] of Object.entries(selection)) {
    const target = graph.relationTarget(model, key)
    if (key === '_count' || (target && value !== false && !graph.relationLink(model, key))) {
      if (target) tags.add(modelTag(target))
      addModels(graph, model, { [key]: value }, tags)
      continue
    }
    if (!target || value === false) continue
    const nested: Derivation[] = []
    if (isPlain(value)) {
      for (const [k, v] of Object.entries(value))
        if (k !== 'include' && k !== 'select') addModels(graph, target, v, tags)
      planSelection(graph, target, value.include, tags, nested)
      planSelection(graph, target, value.select, tags, nested)
    }
    derive.push({ field: key, link: graph.relationLink(model, key) as Derivation['link'], nested })
  }
}

/**
 * The dependencies of a cached read. Its own model: row tags when `where` pins key fields, the
 * model tag otherwise. Relations it includes through one key: row tags of the included rows,
 * read off the result (see {@link deriveTags}). Relations in filters and ordering, many-to-many
 * and composite-key relations: their model tags.
 */
export function planRead(graph: ModelGraph, model: string, args: unknown): ReadPlan {
  const tags = new Set<string>()
  const derive: Derivation[] = []
  const related = new Set<string>()
  if (isPlain(args)) {
    for (const [key, value] of Object.entries(args)) {
      if (key !== 'include' && key !== 'select') for (const m of relatedModels(graph, model, value)) related.add(m)
    }
    planSelection(graph, model, args.include, tags, derive)
    planSelection(graph, model, args.select, tags, derive)
  }
  for (const m of related) tags.add(modelTag(m))
  const pins = new Map<string, string>()
  // A cursor row outside the filter still positions the page; a filter through a relation back to the model reads other rows.
  if (!related.has(model) && !(isPlain(args) && args.cursor !== undefined))
    equalities(graph, model, isPlain(args) ? args.where : undefined, pins)
  if (pins.size === 0) tags.add(modelTag(model))
  else {
    tags.add(anyRowTag(model))
    for (const [field, value] of pins) tags.add(rowTag(model, field, value)).add(fieldTag(model, field))
  }
  return { tags: [...tags], derive }
}

function rowsOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === null || value === undefined ? [] : [value]
}

function modelTagsOf(derive: readonly Derivation[], out: Set<string>): void {
  for (const d of derive) {
    out.add(modelTag(d.link.target))
    modelTagsOf(d.nested, out)
  }
}

function collect(graph: ModelGraph, derive: readonly Derivation[], rows: readonly unknown[], out: Set<string>): void {
  for (const d of derive) {
    const type = graph.keyFieldsOf(d.link.target).get(d.link.targetField) as string
    const values = new Set<string>()
    const children: unknown[] = []
    let known = true
    for (const row of rows) {
      if (!isPlain(row)) continue
      const canonical = d.link.sourceField in row ? canonicalValue(type, row[d.link.sourceField]) : undefined
      if (canonical === undefined) known = false
      else if (canonical !== 'null') values.add(canonical)
      children.push(...rowsOf(row[d.field]))
    }
    if (!known || values.size > MAX_DERIVED_VALUES) {
      // The result does not show the linking key (select) or links too many rows: depend on the whole model.
      modelTagsOf([d], out)
      continue
    }
    out.add(anyRowTag(d.link.target)).add(fieldTag(d.link.target, d.link.targetField))
    for (const value of values) out.add(rowTag(d.link.target, d.link.targetField, value))
    collect(graph, d.nested, children, out)
  }
}

/** The row tags of the relations a read included, from its result: "rows of T whose key equals one of these values". */
export function deriveTags(graph: ModelGraph, plan: ReadPlan, result: unknown): string[] {
  if (plan.derive.length === 0) return []
  const out = new Set<string>()
  collect(graph, plan.derive, rowsOf(result), out)
  return [...out]
}

/** Every tag a write drops: see the module comment. `result` is what the operation returned (undefined when it failed). */
export function writeTags(
  graph: ModelGraph,
  model: string,
  effect: WriteEffect,
  result: unknown,
  failed: boolean,
): string[] {
  const tags = new Set([modelTag(model)])
  for (const other of effect.others) tags.add(modelTag(other)).add(anyRowTag(other))
  const keys = graph.keyFieldsOf(model)
  const rows = Array.isArray(result) ? result : [result]
  if (failed || !effect.knownRows || keys.size === 0 || !rows.every(isPlain)) return [...tags.add(anyRowTag(model))]
  for (const field of effect.changed) if (keys.has(field)) tags.add(fieldTag(model, field))
  for (const row of rows as Record<string, unknown>[]) {
    for (const [field, type] of keys) {
      // A field the result does not show (select, omit) may hold any value.
      const canonical = field in row ? canonicalValue(type, row[field]) : undefined
      tags.add(canonical === undefined ? fieldTag(model, field) : rowTag(model, field, canonical))
    }
  }
  return [...tags]
}
