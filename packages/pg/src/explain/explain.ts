import { PerfError } from '@perf/core'
import type pg from 'pg'
import { withConnection, type PgQueryable } from '../queryable.js'
import { closeScope, openScope } from '../transaction.js'

/** One node of a plan, as PostgreSQL's `EXPLAIN (FORMAT JSON)` writes it (the fields we read, plus the rest). */
export interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  Schema?: string
  Alias?: string
  'Index Name'?: string
  'Startup Cost': number
  'Total Cost': number
  'Plan Rows': number
  'Actual Rows'?: number
  'Actual Total Time'?: number
  Filter?: string
  'Index Cond'?: string
  'Rows Removed by Filter'?: number
  Plans?: PlanNode[]
  [field: string]: unknown
}

/** What `explain()` returns. */
export interface ExplainResult {
  /** The root plan node. */
  plan: PlanNode
  /** The root's total cost, in the planner's units. */
  totalCost: number
  /** Every node, depth first. */
  nodes: PlanNode[]
  /** With `analyze`: planning and execution time, ms. */
  planningMs?: number
  executionMs?: number
  /** `custom` when planned for the given parameter values, `generic` when planned without values. */
  planKind: 'custom' | 'generic'
}

/** Options of `explain()`. */
export interface ExplainOptions {
  /**
   * Run the statement (EXPLAIN ANALYZE) for actual rows and times. It runs inside a transaction
   * that is rolled back, so writes do not persist, but it does run: locks, time and load included.
   * @default false
   */
  analyze?: boolean
}

/**
 * The number of parameters a statement uses ($1…$n). A core `fingerprint()` (`?` for values,
 * `(...)` for IN lists) is turned into that form first.
 */
export function normalizePlaceholders(sql: string): { sql: string; parameters: number } {
  let text = sql
  // Fresh regexes each call: a shared /g regex carries lastIndex from one call into the next.
  if (!/\$\d+/.test(text) && /\?|\(\.\.\.\)/.test(text)) {
    let n = 0
    text = text.replace(/\(\.\.\.\)|\?/g, (m) => (m === '?' ? `$${++n}` : `($${++n})`))
  }
  let max = 0
  for (const m of text.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]))
  return { sql: text, parameters: max }
}

function flatten(node: PlanNode, out: PlanNode[] = []): PlanNode[] {
  out.push(node)
  for (const child of node.Plans ?? []) flatten(child, out)
  return out
}

async function explainOn(
  client: pg.ClientBase,
  owned: boolean,
  sql: string,
  params: readonly unknown[] | undefined,
  analyze: boolean,
): Promise<ExplainResult> {
  const { sql: text, parameters } = normalizePlaceholders(sql)
  const format = analyze ? 'ANALYZE, BUFFERS, FORMAT JSON' : 'FORMAT JSON'
  let raw: unknown
  let planKind: ExplainResult['planKind'] = 'custom'
  const scope = await openScope(client, owned)
  let prepared = false
  try {
    if (params === undefined && parameters > 0) {
      if (analyze) {
        throw new PerfError(
          'INVALID_ARGUMENT',
          `[perf:pg] explain() with analyze needs values for the ${parameters} parameter(s)`,
          {
            context: { argument: 'params', parameters },
          },
        )
      }
      // No values: plan it generically. A prepared statement under force_generic_plan is planned
      // without looking at its parameters, and EXPLAIN EXECUTE without ANALYZE never runs it.
      planKind = 'generic'
      await client.query('SET LOCAL plan_cache_mode = force_generic_plan')
      await client.query(`PREPARE perf_explain AS ${text}`)
      prepared = true
      const nulls = Array.from({ length: parameters }, () => 'NULL').join(', ')
      ;({
        rows: [raw],
      } = await client.query(`EXPLAIN (${format}) EXECUTE perf_explain(${nulls})`))
    } else {
      ;({
        rows: [raw],
      } = await client.query(`EXPLAIN (${format}) ${text}`, params ? [...params] : []))
    }
  } finally {
    // Always rolled back: EXPLAIN ANALYZE of a write must not keep it. (PREPARE is not transactional.)
    await closeScope(client, scope, false).catch(() => undefined)
    if (prepared) await client.query('DEALLOCATE perf_explain').catch(() => undefined)
  }
  const json = (raw as Record<string, unknown>)['QUERY PLAN'] as Array<{
    Plan: PlanNode
    'Planning Time'?: number
    'Execution Time'?: number
  }>
  const top = json[0]!
  return {
    plan: top.Plan,
    totalCost: top.Plan['Total Cost'],
    nodes: flatten(top.Plan),
    ...(top['Planning Time'] === undefined ? {} : { planningMs: top['Planning Time'] }),
    ...(top['Execution Time'] === undefined ? {} : { executionMs: top['Execution Time'] }),
    planKind,
  }
}

/**
 * The plan PostgreSQL chooses for `sql`. With `params`, planned for those values; without
 * params for a statement with `$n` placeholders (as pg_stat_statements shows them) or a core
 * `fingerprint()`, planned generically. Runs on one connection, inside a transaction that is
 * always rolled back.
 *
 * @throws PerfError INVALID_ARGUMENT for `analyze` without parameter values; the server's error for invalid SQL
 */
export function explain(
  db: PgQueryable,
  sql: string,
  params?: readonly unknown[],
  options: ExplainOptions = {},
): Promise<ExplainResult> {
  if (typeof sql !== 'string' || sql.trim() === '') {
    return Promise.reject(
      new PerfError('INVALID_ARGUMENT', '[perf:pg] explain() sql must be a non-empty string', {
        context: { argument: 'sql' },
      }),
    )
  }
  return withConnection(db, (client, owned) => explainOn(client, owned, sql, params, options.analyze === true))
}
