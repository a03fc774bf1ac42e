import type { SqlWrite } from '@perf/core'

interface AttributeLike {
  references?: { model?: unknown } | string
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
  /** The foreign key changes referencing rows when a referenced row is deleted or updated. */
  acts: boolean
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
export function widenWrites(models: Record<string, unknown>, writes: readonly SqlWrite[]): string[] {
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
      const acts =
        CHANGES_ROWS.has(String(attribute.onDelete ?? '').toUpperCase()) ||
        CHANGES_ROWS.has(String(attribute.onUpdate ?? '').toUpperCase())
      const list = edges.get(to) ?? []
      list.push({ from, acts })
      edges.set(to, list)
    }
  }
  const walk = (table: string, all: boolean) => {
    for (const edge of edges.get(table) ?? []) {
      if ((all || edge.acts) && !out.has(edge.from)) {
        out.add(edge.from)
        walk(edge.from, all)
      }
    }
  }
  for (const w of cascading) walk(w.table.name.toLowerCase(), w.kind === 'truncate-cascade')
  return [...out]
}
