import { requireCore, type MonitorLike } from '../core.js'
import { formatNs } from '../harness/format.js'
import { seededRandom } from '../harness/stats.js'
import type { Suite } from '../harness/suite.js'

const MASK = (1 << 16) - 1

type Event = Parameters<MonitorLike['record']>[0]

/** 65,536 pre-built events (the adapter's allocation is not the monitor's cost). */
function events(make: (i: number, durationMs: number) => Event): Event[] {
  const random = seededRandom(5)
  return Array.from({ length: MASK + 1 }, (_, i) => make(i, 0.2 + random() * 20))
}

const TABLES = [
  'users',
  'posts',
  'comments',
  'orders',
  'order_items',
  'products',
  'categories',
  'tags',
  'sessions',
  'payments',
]

/** One of 100 statement shapes with literal values that vary: fingerprints repeat, texts mostly too. */
function sqlShape(i: number, unique: boolean): string {
  const table = TABLES[i % TABLES.length] as string
  const shape = Math.floor(i / TABLES.length) % 10
  const id = unique ? i : shape
  const columns = `"${table}"."id", "${table}"."created_at", "${table}"."owner_id", "${table}"."status"`
  return `SELECT ${columns} FROM "public"."${table}" WHERE "${table}"."owner_id" = ${id} AND "${table}"."status" IN ('active', 'pending') ORDER BY "${table}"."created_at" DESC LIMIT ${10 + shape} OFFSET 0`
}

/** Issue 3: cost of monitor.record(event) per event. */
const suite: Suite = {
  name: 'monitor',
  title: 'monitor.record overhead per event (issue 3)',
  libraries: ['@perf/core'],
  async run(ctx) {
    const core = await requireCore(ctx, ['createMonitor'])
    if (!core) return
    const noSql = events((i, durationMs) => ({
      source: 'prisma',
      model: 'User',
      operation: i % 2 ? 'findUnique' : 'findMany',
      durationMs,
      rows: 1,
    }))
    // 100 distinct SQL texts: after the first pass every fingerprint comes from the SQL-text cache.
    const cachedSql = events((i, durationMs) => ({ source: 'pg', sql: sqlShape(i % 100, false), durationMs, rows: 10 }))
    // A literal unique to each event: every event misses the SQL-text cache and is fingerprinted.
    const uniqueSql = events((i, durationMs) => ({ source: 'pg', sql: sqlShape(i, true), durationMs, rows: 10 }))
    // A request: 10 different statements, then one statement issued 10 times (an N+1 loop),
    // so each scope produces exactly one N+1 report (threshold 5) with a captured call site.
    const REQUEST: Event[] = [
      ...Array.from({ length: 10 }, (_, i) => ({ source: 'pg', sql: sqlShape(i, false), durationMs: 1, rows: 1 })),
      ...Array.from({ length: 10 }, (_, i) => ({
        source: 'pg',
        sql: sqlShape(10, false).replace('= 1 ', `= ${i} `),
        durationMs: 1,
        rows: 1,
      })),
    ]
    const monitors = [core.createMonitor(), core.createMonitor(), core.createMonitor(), core.createMonitor()] as const
    const [m1, m2, m3, m4] = monitors
    let sink = 0
    const noop = (event: Event) => {
      sink += event.durationMs
    }
    let c0 = 0
    let c1 = 0
    let c2 = 0
    let c3 = 0
    const results = await ctx.compare(
      'monitor.record(event) — per event',
      [
        {
          name: 'empty function (floor)',
          run(n) {
            for (let i = 0; i < n; i++) noop(noSql[c0++ & MASK] as Event)
          },
        },
        {
          name: 'record, no SQL (model + operation)',
          run(n) {
            for (let i = 0; i < n; i++) m1.record(noSql[c1++ & MASK] as Event)
          },
        },
        {
          name: 'record, SQL fingerprint cache hit',
          run(n) {
            for (let i = 0; i < n; i++) m2.record(cachedSql[c2++ & MASK] as Event)
          },
        },
        {
          name: 'record, SQL fingerprint cache miss (unique literals)',
          run(n) {
            for (let i = 0; i < n; i++) m3.record(uniqueSql[c3++ & MASK] as Event)
          },
        },
        {
          name: `request scope: ${REQUEST.length} events incl. one N+1 (per event)`,
          opsPerCall: REQUEST.length,
          run(n) {
            for (let i = 0; i < n; i++) {
              m4.scope(() => {
                for (let j = 0; j < REQUEST.length; j++) m4.record(REQUEST[j] as Event)
              })
            }
          },
        },
      ],
      {
        baseline: 'empty function (floor)',
        note: 'createMonitor() with defaults; events are pre-built (0.2–20 ms durations, none slow). SQL texts are ~230-character SELECTs over 10 tables; "cache hit" cycles through 100 texts, "cache miss" never repeats one, so every event is tokenized and fingerprinted. The scope row runs one `monitor.scope()` per simulated request (10 distinct statements, then one statement 10 times), so every scope reports one N+1 and captures its call site; its cost is spread over the 20 events of the request.',
      },
    )
    for (const m of monitors) await m.close?.()
    if (sink === 0) throw new Error('[bench] floor case did nothing')
    const ns = (name: string) => results.get(name)?.nsPerOp ?? Number.NaN
    ctx.target(
      'monitor.record per event, no SQL',
      'speed',
      ns('record, no SQL (model + operation)'),
      '<=',
      1000,
      formatNs,
    )
    ctx.target(
      'monitor.record per event, SQL fingerprint cache hit',
      'speed',
      ns('record, SQL fingerprint cache hit'),
      '<=',
      1000,
      formatNs,
    )
  },
}

export default suite
