import { PerfError } from '@perf/core'
import { quoteIdent } from '../identifiers.js'
import type { PgQueryable } from '../queryable.js'
import { explain, type ExplainResult, type PlanNode } from './explain.js'

/** One suggested index, with how it was reached. Heuristics from the plan and `pg_stats`, not a guarantee. */
export interface IndexAdvice {
  schema: string
  table: string
  /** Key columns, in order: equality columns (most selective first), then at most one range column. */
  columns: string[]
  /** The statement to run, identifiers quoted. */
  statement: string
  /** Why, one fact per line: the scan, the rows, the statistics, the estimate. */
  reasoning: string[]
  /** The sequential scan's total cost now, planner units. */
  currentCost: number
  /** Our estimate of an index scan's cost for the same rows, planner units (a heuristic). */
  estimatedCost: number
  /** currentCost / estimatedCost. */
  estimatedSpeedup: number
}

/** Options of `adviseIndexes()`. */
export interface AdviseIndexesOptions {
  /** Values for `$1…$n`; without them the statement is planned generically. */
  params?: readonly unknown[]
  /** Tables with fewer estimated rows are left alone (a sequential scan is fine there). @default 10000 */
  minRows?: number
  /** Advice is given only when the estimated speedup is at least this. @default 2 */
  minSpeedup?: number
}

/** What `adviseIndexes()` returns. */
export interface IndexAdviceResult {
  advice: IndexAdvice[]
  /** Scans looked at and left alone, with why (small table, no usable condition, covered already). */
  skipped: string[]
  plan: ExplainResult
}

interface ColumnStats {
  name: string
  nDistinct: number | null
  nullFrac: number | null
}

interface TableFacts {
  schema: string
  table: string
  rows: number
  pages: number
  columns: ColumnStats[]
  /** Leading key column names of every valid index. */
  indexes: string[][]
}

type Role = 'equality' | 'range'

const EQUALITY = /^\s*(=|= ANY|IS NULL)(?![<>=])/
const RANGE = /^\s*(<=|>=|<(?!>)|>)/

/** Columns of `table` the filter compares to something, with how (equality or range). */
export function filterColumns(filter: string, columns: readonly string[]): Map<string, Role> {
  const found = new Map<string, Role>()
  for (const column of columns) {
    const name = /^[a-z_][a-z0-9_$]*$/.test(column)
      ? `(?<![\\w."$])${column}(?![\\w"$])`
      : `"${column.replaceAll('"', '""').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`
    for (const m of filter.matchAll(new RegExp(name, 'g'))) {
      // Skip the casts and parentheses PostgreSQL prints around the column: (col)::text = …
      const after = filter
        .slice(m.index + m[0].length)
        .replace(/^(\)?::[\w ]+(\[\])?)+/, '')
        .replace(/^\)+/, '')
      const role: Role | undefined = EQUALITY.test(after) ? 'equality' : RANGE.test(after) ? 'range' : undefined
      if (role && found.get(column) !== 'equality') found.set(column, role)
    }
  }
  return found
}

function selectivity(stats: ColumnStats | undefined, rows: number): number {
  const n = stats?.nDistinct
  if (n === null || n === undefined || n === 0) return 0.005 // PostgreSQL's default for equality without statistics
  const distinct = n > 0 ? n : -n * Math.max(rows, 1)
  return Math.min(1, 1 / Math.max(distinct, 1))
}

async function tableFacts(db: PgQueryable, schema: string | undefined, table: string): Promise<TableFacts | undefined> {
  const { rows } = await db.query<TableFacts & { stats: ColumnStats[] | null }>(
    `SELECT n.nspname AS schema, c.relname AS "table", greatest(c.reltuples, 0)::float8 AS rows, c.relpages::float8 AS pages,
            (SELECT json_agg(json_build_object('name', a.attname, 'nDistinct', s.n_distinct, 'nullFrac', s.null_frac))
               FROM pg_attribute a LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS stats,
            (SELECT coalesce(json_agg(cols), '[]') FROM (
               SELECT array(SELECT a.attname FROM unnest(string_to_array(i.indkey::text, ' ')::int2[]) WITH ORDINALITY AS k(attnum, ord)
                            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.ord) AS cols
               FROM pg_index i WHERE i.indrelid = c.oid AND i.indisvalid AND i.indpred IS NULL) x) AS indexes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname = $2 AND ($1::text IS NULL AND pg_table_is_visible(c.oid) OR n.nspname = $1) AND c.relkind IN ('r', 'p', 'm')
     LIMIT 1`,
    [schema ?? null, table],
  )
  const row = rows[0]
  return row && { ...row, columns: row.stats ?? [] }
}

/**
 * Index advice for one statement, by heuristics from its plan and the column statistics:
 * every sequential scan of a table of at least `minRows` rows whose filter compares columns is a
 * candidate; the index takes its equality columns (most selective first, by `pg_stats.n_distinct`)
 * then one range column, and is advised when our cost estimate for an index scan beats the
 * scan's cost by `minSpeedup`. Nothing is created; create the index, then check the plan with
 * `explain()`.
 *
 * @example
 * const { advice } = await pgDiagnostics(pool).adviseIndexes('SELECT * FROM orders WHERE customer_id = $1')
 * for (const a of advice) console.log(a.statement, a.reasoning.join('; '))
 */
export async function adviseIndexes(
  db: PgQueryable,
  sql: string,
  options: AdviseIndexesOptions = {},
): Promise<IndexAdviceResult> {
  const minRows = options.minRows ?? 10_000
  const minSpeedup = options.minSpeedup ?? 2
  if (!(minRows >= 0) || !(minSpeedup > 0)) {
    throw new PerfError('INVALID_ARGUMENT', '[perf:pg] adviseIndexes() needs minRows >= 0 and minSpeedup > 0', {
      context: { minRows, minSpeedup },
    })
  }
  const plan = await explain(db, sql, options.params)
  const { rows: settings } = await db.query<{ random: number; tuple: number; index: number; op: number }>(
    `SELECT current_setting('random_page_cost')::float8 AS random, current_setting('cpu_tuple_cost')::float8 AS tuple,
            current_setting('cpu_index_tuple_cost')::float8 AS index, current_setting('cpu_operator_cost')::float8 AS op`,
  )
  const cost = settings[0]!
  const advice: IndexAdvice[] = []
  const skipped: string[] = []
  const scans = plan.nodes.filter(
    (n): n is PlanNode & { 'Relation Name': string } =>
      n['Node Type'] === 'Seq Scan' && typeof n['Relation Name'] === 'string',
  )
  for (const scan of scans) {
    const name = scan['Relation Name']
    const facts = await tableFacts(db, scan.Schema, name)
    if (!facts) {
      skipped.push(`${name}: not found in the catalog`)
      continue
    }
    const label = `${facts.schema}.${facts.table}`
    if (!scan.Filter) {
      skipped.push(`${label}: read without a filter (every row is needed)`)
      continue
    }
    if (facts.rows < minRows) {
      skipped.push(
        `${label}: about ${Math.round(facts.rows)} rows, below minRows=${minRows}; a sequential scan is fine`,
      )
      continue
    }
    if (/\bOR\b/.test(scan.Filter)) {
      skipped.push(`${label}: the filter has OR (${scan.Filter}); one composite index cannot serve it`)
      continue
    }
    const roles = filterColumns(
      scan.Filter,
      facts.columns.map((c) => c.name),
    )
    const byName = new Map(facts.columns.map((c) => [c.name, c]))
    const equality = [...roles]
      .filter(([, r]) => r === 'equality')
      .map(([c]) => c)
      .sort((a, b) => selectivity(byName.get(a), facts.rows) - selectivity(byName.get(b), facts.rows))
    const range = [...roles].filter(([, r]) => r === 'range').map(([c]) => c)
    // Past the first column, only columns that still narrow the rows are worth their width.
    const keys = equality.filter((c, i) => i === 0 || selectivity(byName.get(c), facts.rows) < 0.5).slice(0, 3)
    if (range.length > 0 && keys.length < 3) keys.push(range[0]!)
    if (keys.length === 0) {
      skipped.push(`${label}: no column in the filter is compared with =, IN, IS NULL, <, <=, > or >= (${scan.Filter})`)
      continue
    }
    const covering = facts.indexes.find((cols) => keys.every((k, i) => cols[i] === k))
    if (covering) {
      skipped.push(
        `${label}: an index on (${covering.join(', ')}) already leads with (${keys.join(', ')}); the planner preferred the scan (stale statistics? run ANALYZE)`,
      )
      continue
    }
    const matching = Math.max(1, scan['Plan Rows'])
    const depth = Math.max(1, Math.ceil(Math.log(Math.max(facts.rows, 2)) / Math.log(256)))
    const pagesRead = Math.min(matching, Math.max(facts.pages, 1))
    const estimatedCost =
      cost.random * (depth + pagesRead) + matching * (cost.index + cost.tuple + cost.op * keys.length)
    const speedup = scan['Total Cost'] / estimatedCost
    const reasoning = [
      `Seq Scan on ${label} reads about ${Math.round(facts.rows)} rows (${Math.round(facts.pages)} pages) to keep about ${Math.round(matching)} (filter: ${scan.Filter})`,
      ...keys.map((k) => {
        const s = byName.get(k)
        const role = roles.get(k)
        const distinct =
          s?.nDistinct == null
            ? 'no statistics (run ANALYZE)'
            : s.nDistinct > 0
              ? `${s.nDistinct} distinct values`
              : `${Math.round(-s.nDistinct * 100)}% distinct`
        return `${k}: ${role} condition, ${distinct}`
      }),
      `estimated cost: index scan ≈ ${estimatedCost.toFixed(1)} vs sequential scan ${scan['Total Cost'].toFixed(1)} (×${speedup.toFixed(1)}), planner cost units, a heuristic`,
    ]
    if (speedup < minSpeedup) {
      skipped.push(
        `${label}: an index on (${keys.join(', ')}) is estimated at only ×${speedup.toFixed(1)} (minSpeedup=${minSpeedup})`,
      )
      continue
    }
    advice.push({
      schema: facts.schema,
      table: facts.table,
      columns: keys,
      statement: `CREATE INDEX CONCURRENTLY ON ${quoteIdent(facts.schema)}.${quoteIdent(facts.table)} (${keys.map((k) => quoteIdent(k)).join(', ')})`,
      reasoning,
      currentCost: scan['Total Cost'],
      estimatedCost,
      estimatedSpeedup: speedup,
    })
  }
  return { advice, skipped, plan }
}
