import type { Cache, SqlTouches } from '@perf/core'
import { ALL_TABLES_TAG, tableTag } from '@perf/core'

/** The part of TypeORM's `ForeignKeyMetadata` the graph reads. */
interface ForeignKeyLike {
  entityMetadata: { tableName: string }
  referencedEntityMetadata: { tableName: string }
  onDelete?: string
  onUpdate?: string
}

/** The part of TypeORM's `EntityMetadata` the graph reads. */
export interface EntityMetadataLike {
  name: string
  tableName: string
  isJunction?: boolean
  foreignKeys: readonly ForeignKeyLike[]
}

/** What one statement (or one committed transaction) invalidates. */
export interface WriteTags {
  tags: string[]
  /** The statement may have changed anything: every entry must go (ALL_TABLES_TAG is in `tags`). */
  everything: boolean
}

const NONE: WriteTags = { tags: [], everything: false }
const EVERYTHING: WriteTags = { tags: [ALL_TABLES_TAG], everything: true }
/** Referential actions that leave the referencing rows as they were (or fail the statement). */
const INERT = new Set([undefined, '', 'NO ACTION', 'RESTRICT'])

interface Edge {
  table: string
  /** An ON DELETE action changes the referencing rows. */
  onDelete: boolean
  /** An ON UPDATE action changes the referencing rows. */
  onUpdate: boolean
}

/** Which referential actions a row write can fire. */
type Fires = 'none' | 'update' | 'delete' | 'both'

/** Only the statement's verb tells INSERT from UPDATE/DELETE; anything unclear fires both. */
function firesOf(sql: string): Fires {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase()
  if (verb === 'INSERT') return /\bON\s+(?:CONFLICT|DUPLICATE\s+KEY)\b/i.test(sql) ? 'update' : 'none'
  if (verb === 'UPDATE') return 'update'
  if (verb === 'DELETE') return 'delete'
  return 'both'
}

/**
 * The tables of a DataSource as TypeORM's metadata describes them: which entity a table holds,
 * and which tables reference which (so that writes reach what the database changes for them).
 */
export class TableGraph {
  readonly #models = new Map<string, string | null>()
  readonly #referencedBy = new Map<string, Edge[]>()

  constructor(metadatas: readonly EntityMetadataLike[]) {
    for (const m of metadatas) {
      const table = m.tableName.toLowerCase()
      if (!m.isJunction) this.#models.set(table, this.#models.has(table) ? null : m.name)
      for (const fk of m.foreignKeys) {
        const referenced = fk.referencedEntityMetadata.tableName.toLowerCase()
        const edges = this.#referencedBy.get(referenced) ?? []
        edges.push({
          table: fk.entityMetadata.tableName.toLowerCase(),
          onDelete: !INERT.has(fk.onDelete?.toUpperCase()),
          onUpdate: !INERT.has(fk.onUpdate?.toUpperCase()),
        })
        this.#referencedBy.set(referenced, edges)
      }
    }
  }

  /** The entity stored in `table` when exactly one entity maps to it. */
  modelOf(table: string): string | undefined {
    return this.#models.get(table.toLowerCase()) ?? undefined
  }

  /**
   * The tags a statement invalidates: each written table, the tables its referential actions
   * reach (ON DELETE/UPDATE CASCADE, SET NULL, SET DEFAULT, transitively), for TRUNCATE ... CASCADE
   * every table with a foreign-key path to it, and everything for a statement the parser cannot read.
   * An INSERT fires no action, an UPDATE only ON UPDATE ones (whether it changed a key is not
   * known, so it is assumed), a DELETE only ON DELETE ones.
   */
  writeTags(touches: SqlTouches, sql: string): WriteTags {
    if (touches.kind === 'read') return NONE
    if (touches.kind === 'unknown') return EVERYTHING
    const tables = new Set<string>()
    const fires = firesOf(sql)
    for (const write of touches.writes) {
      const name = write.table.name.toLowerCase()
      if (write.kind === 'rows') this.#reach(name, tables, fires)
      else if (write.kind === 'truncate-cascade') this.#reach(name, tables, 'all')
      else tables.add(name)
    }
    return { tags: [...tables].map((t) => tableTag(t)), everything: false }
  }

  /**
   * The tags of a row write to `table` that no statement text describes (a bulk COPY or
   * `unnest` write): the table and what its foreign-key actions reach. `fires` as for a statement:
   * `none` for an INSERT (COPY), `update` for an UPDATE or an upsert.
   */
  rowWriteTags(table: string, fires: 'none' | 'update'): string[] {
    const tables = new Set<string>()
    this.#reach(table.toLowerCase(), tables, fires)
    return [...tables].map((t) => tableTag(t))
  }

  /** Adds `start` and the tables its writes reach through foreign keys (`all`: every referencing table). */
  #reach(start: string, into: Set<string>, fires: Fires | 'all'): void {
    const queue = [start]
    for (let table = queue.pop(); table !== undefined; table = queue.pop()) {
      if (into.has(table)) continue
      into.add(table)
      if (fires === 'none') continue
      for (const edge of this.#referencedBy.get(table) ?? []) {
        const follows =
          fires === 'all' ||
          (edge.onDelete && (fires === 'delete' || fires === 'both')) ||
          (edge.onUpdate && (fires === 'update' || fires === 'both'))
        if (follows) queue.push(edge.table)
      }
    }
  }
}

/** Context handed to `onError` with an invalidation that failed. */
export interface InvalidationErrorContext {
  /** The tags that could not be invalidated. */
  tags: readonly string[]
  /** The statement that caused it (COMMIT for a transaction's buffered writes). */
  sql: string
}

/**
 * Applies invalidations to the cache without ever failing the caller's write: a failure is
 * counted and reported through `onError` (the cache itself keeps retrying durable invalidations).
 */
export class Invalidator {
  /** invalidateTags() calls made. */
  invalidations = 0
  /** Calls that rejected. */
  failures = 0

  constructor(
    private readonly cache: Cache,
    private readonly onError: ((error: unknown, context: InvalidationErrorContext) => void) | undefined,
  ) {}

  async invalidate(tags: readonly string[], sql: string): Promise<void> {
    if (tags.length === 0) return
    this.invalidations++
    try {
      await this.cache.invalidateTags(tags)
    } catch (error) {
      this.failures++
      try {
        this.onError?.(error, { tags, sql })
      } catch {
        // A throwing onError must not fail the write either.
      }
    }
  }
}
