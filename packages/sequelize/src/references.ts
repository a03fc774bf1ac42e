import type { SqlWrite } from '@perf/core'

interface AttributeLike {
  references?: { model?: unknown; key?: unknown } | string
  onDelete?: unknown
  onUpdate?: unknown
}

interface ModelLike {
  getTableName(): unknown
  rawAttributes?: Record<string, AttributeLike>
  getAttributes?(): Record<string, AttributeLike>
}

/** Referential actions that change rows of the referencing table. */
const CHANGES_ROWS = new Set(['CASCADE', 'SET NULL', 'SET DEFAULT'])

interface Edge {
  from: string
  /** The foreign key changes referencing rows when a referenced row is deleted. */
  onDelete: boolean
  /** ... or when the referenced key column is updated. */
  onUpdate: boolean
  /** The referenced column. */
  key: string
}

/** What kind of row change a statement makes, for choosing which referential actions fire. */
type Verb = { kind: 'delete' } | { kind: 'update'; set: string } | { kind: 'other' }

function verbOf(sql: string): Verb {
  const text = sql.replace(/^\s*(?:WITH\b[\s\S]*?\)\s*)?/i, '')
  const first = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase()
  if (first === 'DELETE' || first === 'REPLACE') return { kind: 'delete' }
  if (first === 'UPDATE') {
    const set = /\bSET\b([\s\S]*?)(?:\bWHERE\b|\bRETURNING\b|\bORDER\s+BY\b|\bLIMIT\b|$)/i.exec(text)?.[1]
    return set === undefined ? { kind: 'delete' } : { kind: 'update', set }
  }
  if (first === 'INSERT') {
    const upsert = /\b(?:DO\s+UPDATE\s+SET|DUPLICATE\s+KEY\s+UPDATE)\b([\s\S]*)$/i.exec(text)?.[1]
    return upsert === undefined ? { kind: 'other' } : { kind: 'update', set: upsert }
  }
  // Scripts (Sequelize's pg_temp wrapper) and anything unclear: every referential action may fire.
  return { kind: 'delete' }
}

/** Whether `edge`'s action fires for a statement of `verb` on the referenced table. */
function fires(edge: Edge, verb: Verb): boolean {
  if (verb.kind === 'other') return false
  if (verb.kind === 'delete') return edge.onDelete || edge.onUpdate
  if (!edge.onUpdate) return false
  const key = edge.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(?:^|[\\s,.])["\x60]?${key}["\x60]?\\s*=`, 'i').test(verb.set)
}

function nameOf(table: unknown): string | undefined {
  if (typeof table === 'string') return table.toLowerCase()
  if (typeof table === 'object' && table !== null) {
    const t = (table as { tableName?: unknown }).tableName
    if (typeof t === 'string') return t.toLowerCase()
  }
  return undefined
}

function referencedTable(references: AttributeLike['references']): string | undefined {
  if (typeof references === 'string') return references.toLowerCase()
  const model = references?.model
  if (typeof model === 'function') return nameOf((model as unknown as ModelLike).getTableName())
  return nameOf(model)
}

/**
 * The tables a write can change besides the ones it names, from the foreign keys Sequelize knows
 * (model attributes with `references`, including the ones associations add): a DELETE or UPDATE
 * of a referenced table changes referencing tables whose key has `onDelete`/`onUpdate` CASCADE,
 * SET NULL or SET DEFAULT (a `belongsToMany` through table by default), transitively; TRUNCATE
 * ... CASCADE empties every referencing table. Keys created outside Sequelize are not seen.
 */
export function widenWrites(models: Record<string, unknown>, writes: readonly SqlWrite[], sql: string): string[] {
  const out = new Set(writes.map((w) => w.table.name.toLowerCase()))
  const cascading = writes.filter((w) => w.kind === 'rows' || w.kind === 'truncate-cascade')
  if (cascading.length === 0) return [...out]
  const edges = new Map<string, Edge[]>()
  for (const model of Object.values(models)) {
    const m = model as ModelLike
    if (typeof m?.getTableName !== 'function') continue
    const from = nameOf(m.getTableName())
    if (from === undefined) continue
    const attributes = (typeof m.getAttributes === 'function' ? m.getAttributes() : m.rawAttributes) ?? {}
    for (const attribute of Object.values(attributes)) {
      if (attribute?.references === undefined) continue
      const to = referencedTable(attribute.references)
      if (to === undefined) continue
      const onDelete = CHANGES_ROWS.has(String(attribute.onDelete ?? '').toUpperCase())
      const onUpdate = CHANGES_ROWS.has(String(attribute.onUpdate ?? '').toUpperCase())
      const ref = attribute.references
      const key = typeof ref === 'object' && typeof ref.key === 'string' ? ref.key : 'id'
      const list = edges.get(to) ?? []
      list.push({ from, onDelete, onUpdate, key })
      edges.set(to, list)
    }
  }
  const verb = verbOf(sql)
  // Past the first hop the change is a cascade: a delete (ON DELETE CASCADE) or a key change.
  const walk = (table: string, how: Verb | 'truncate') => {
    for (const edge of edges.get(table) ?? []) {
      if (out.has(edge.from)) continue
      if (how !== 'truncate' && !fires(edge, how)) continue
      out.add(edge.from)
      walk(edge.from, how === 'truncate' ? how : { kind: 'delete' })
    }
  }
  for (const w of cascading) walk(w.table.name.toLowerCase(), w.kind === 'truncate-cascade' ? 'truncate' : verb)
  return [...out]
}
