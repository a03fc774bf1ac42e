import { quoteIdent } from '../identifiers.js'
import type { PgQueryable } from '../queryable.js'
import { rowsOf } from './query.js'
import { nonNegative } from './statements.js'

/** An index that is (almost) never scanned. */
export interface UnusedIndex {
  schema: string
  table: string
  index: string
  sizeBytes: number
  /** Index scans since the statistics were last reset. */
  scans: number
  definition: string
}

/** Options of `unusedIndexes()`. */
export interface UnusedIndexesOptions {
  /** Indexes scanned at most this often count as unused. @default 0 */
  maxScans?: number
  /** Leave out indexes smaller than this. @default 0 */
  minSizeBytes?: number
}

/**
 * Indexes scanned at most `maxScans` times since statistics were reset, largest first. Unique,
 * primary-key and exclusion-constraint indexes are left out (they enforce something even when
 * never scanned). Statistics are per server: an index unused here may serve a replica.
 */
export async function unusedIndexes(db: PgQueryable, options: UnusedIndexesOptions = {}): Promise<UnusedIndex[]> {
  const maxScans = nonNegative(options.maxScans ?? 0, 'maxScans')
  const minSize = nonNegative(options.minSizeBytes ?? 0, 'minSizeBytes')
  return rowsOf<UnusedIndex>(
    db,
    `SELECT ui.schemaname AS schema, ui.relname AS "table", ui.indexrelname AS index,
            pg_relation_size(ui.indexrelid)::float8 AS "sizeBytes", ui.idx_scan::float8 AS scans,
            pg_get_indexdef(ui.indexrelid) AS definition
     FROM pg_stat_user_indexes ui JOIN pg_index i ON i.indexrelid = ui.indexrelid
     WHERE NOT i.indisunique AND NOT i.indisprimary
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ui.indexrelid)
       AND ui.idx_scan <= $1 AND pg_relation_size(ui.indexrelid) >= $2
     ORDER BY pg_relation_size(ui.indexrelid) DESC, ui.relname, ui.indexrelname`,
    [maxScans, minSize],
  )
}

/** An index whose work another index already does. */
export interface DuplicateIndex {
  schema: string
  table: string
  /** The index you can drop. */
  index: string
  /** The index that covers it. */
  coveredBy: string
  sizeBytes: number
  definition: string
  coveredByDefinition: string
}

interface IndexRow {
  schema: string
  table: string
  tableOid: number
  name: string
  method: string
  keys: string
  keyCount: number
  allCount: number
  exprs: string | null
  pred: string | null
  unique: boolean
  primary: boolean
  sizeBytes: number
  definition: string
}

function redundant(a: IndexRow, b: IndexRow): boolean {
  if (a === b || a.tableOid !== b.tableOid || a.method !== b.method || a.primary) return false
  if (a.exprs !== b.exprs || a.pred !== b.pred) return false
  // keys: "attnum/opclass/collation" per key column; INCLUDE columns only count when equal
  const ak = a.keys.split(' ')
  const bk = b.keys.split(' ')
  const equal = a.keys === b.keys && a.allCount === b.allCount
  if (equal) {
    // the same index twice: keep the primary/unique one, else the first by name
    if (a.unique && !b.unique) return false
    return b.primary || (b.unique && !a.unique) || a.name > b.name
  }
  // a btree on (x) is served by one on (x, y): only btree has usable leading-column prefixes
  if (a.unique || a.method !== 'btree' || a.allCount !== a.keyCount || ak.length >= bk.length) return false
  return ak.every((k, i) => k === bk[i])
}

/**
 * Indexes made redundant by another one on the same table: an exact duplicate, or a btree whose
 * columns (with the same operator classes and collations) are a leading prefix of another btree's.
 * Unique and primary-key indexes are never reported as droppable (they enforce a constraint),
 * except an exact duplicate of another unique one. Expression and partial indexes must match
 * exactly.
 */
export async function duplicateIndexes(db: PgQueryable): Promise<DuplicateIndex[]> {
  const indexes = await rowsOf<IndexRow>(
    db,
    `SELECT n.nspname AS schema, t.relname AS "table", t.oid::int8::float8 AS "tableOid", c.relname AS name,
            am.amname AS method,
            (SELECT string_agg(k.attnum || '/' || k.opc || '/' || k.coll, ' ' ORDER BY k.ord)
               FROM unnest(string_to_array(i.indkey::text, ' ')::int[], i.indclass::oid[], i.indcollation::oid[])
                    WITH ORDINALITY AS k(attnum, opc, coll, ord) WHERE k.ord <= i.indnkeyatts) AS keys,
            i.indnkeyatts::int AS "keyCount", i.indnatts::int AS "allCount",
            pg_get_expr(i.indexprs, i.indrelid) AS exprs, pg_get_expr(i.indpred, i.indrelid) AS pred,
            i.indisunique AS "unique", i.indisprimary AS "primary",
            pg_relation_size(i.indexrelid)::float8 AS "sizeBytes", pg_get_indexdef(i.indexrelid) AS definition
     FROM pg_index i
     JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_am am ON am.oid = c.relam
     WHERE i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
     ORDER BY n.nspname, t.relname, c.relname`,
  )
  const out: DuplicateIndex[] = []
  for (const a of indexes) {
    const cover = indexes.find((b) => redundant(a, b))
    if (!cover) continue
    out.push({
      schema: a.schema,
      table: a.table,
      index: a.name,
      coveredBy: cover.name,
      sizeBytes: a.sizeBytes,
      definition: a.definition,
      coveredByDefinition: cover.definition,
    })
  }
  return out
}

/** A foreign key whose referencing columns no index leads with. */
export interface MissingForeignKeyIndex {
  schema: string
  table: string
  constraint: string
  columns: string[]
  referencedTable: string
  /** Estimated rows of the referencing table (pg_class.reltuples; -1 before the first ANALYZE). */
  estimatedRows: number
  /** The index to create, identifiers quoted. */
  suggestion: string
}

/**
 * Foreign keys without an index whose leading columns are the key's columns. Without one, every
 * DELETE or key UPDATE on the referenced table scans the referencing table (under a lock), and
 * joins along the key cannot use an index.
 */
export async function missingForeignKeyIndexes(db: PgQueryable): Promise<MissingForeignKeyIndex[]> {
  const rows = await rowsOf<Omit<MissingForeignKeyIndex, 'suggestion'>>(
    db,
    `SELECT n.nspname AS schema, t.relname AS "table", c.conname AS "constraint",
            array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
            c.confrelid::regclass::text AS "referencedTable", t.reltuples::float8 AS "estimatedRows"
     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE c.contype = 'f' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND NOT EXISTS (
         SELECT 1 FROM pg_index i
         WHERE i.indrelid = c.conrelid AND i.indisvalid AND i.indpred IS NULL
           AND i.indnkeyatts >= cardinality(c.conkey)
           AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] @> c.conkey
           AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] <@ c.conkey)
     ORDER BY t.reltuples DESC, n.nspname, t.relname, c.conname`,
  )
  return rows.map((r) => ({
    ...r,
    suggestion: `CREATE INDEX CONCURRENTLY ON ${quoteIdent(r.schema)}.${quoteIdent(r.table)} (${r.columns
      .map((c) => quoteIdent(c))
      .join(', ')})`,
  }))
}
