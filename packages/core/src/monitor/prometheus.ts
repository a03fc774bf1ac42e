import type { FingerprintStats } from './fingerprint-table.js'
import type { Histogram } from './histogram.js'
import type { CacheOutcome, HealthReport } from './types.js'

/** Upper bounds (seconds) of `perf_query_duration_seconds`: 1 ms to 10 s, Prometheus-client style. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/** What the exporter reads from the monitor. */
export interface PrometheusInput {
  fingerprints: readonly FingerprintStats[]
  cache: Readonly<Record<CacheOutcome, number>>
  /** Lifetime latency in ms (Prometheus histograms must only grow, so not the health window). */
  latency: Histogram
  slowQueries: number
  nPlusOne: number
  health: HealthReport
}

/** Escapes a label value per the text format: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))
}

function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'))
}

function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return Number.isNaN(value) ? 'NaN' : String(value)
}

function labels(pairs: Readonly<Record<string, string | undefined>>): string {
  const parts: string[] = []
  for (const [name, value] of Object.entries(pairs)) parts.push(`${name}="${escapeLabelValue(value ?? '')}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

/** Collects metric families as text exposition format 0.0.4. */
class Exposition {
  readonly #lines: string[] = []

  constructor(readonly prefix: string) {}

  family(
    name: string,
    type: 'counter' | 'gauge' | 'histogram',
    help: string,
    samples: ReadonlyArray<[string, number]>,
  ): void {
    const full = this.prefix + name
    this.#lines.push(`# HELP ${full} ${escapeHelp(help)}`, `# TYPE ${full} ${type}`)
    for (const [suffixAndLabels, value] of samples) this.#lines.push(`${full}${suffixAndLabels} ${formatValue(value)}`)
  }

  toString(): string {
    return this.#lines.join('\n') + '\n'
  }
}

/** Renders the monitor's metrics in the Prometheus text exposition format (version 0.0.4). */
export function formatPrometheus(input: PrometheusInput, prefix: string): string {
  const out = new Exposition(prefix)
  const perFingerprint = (pick: (s: FingerprintStats) => number): Array<[string, number]> =>
    input.fingerprints.map((s) => [
      labels({ fingerprint_id: s.id, source: s.source, model: s.model, operation: s.operation }),
      pick(s),
    ])

  out.family(
    'queries_total',
    'counter',
    'Queries recorded, by statement fingerprint.',
    perFingerprint((s) => s.calls),
  )
  out.family(
    'query_errors_total',
    'counter',
    'Queries that failed, by statement fingerprint.',
    perFingerprint((s) => s.errors),
  )
  out.family(
    'query_seconds_total',
    'counter',
    'Time spent in queries, by statement fingerprint.',
    perFingerprint((s) => s.totalMs / 1000),
  )
  out.family(
    'query_rows_total',
    'counter',
    'Rows returned or affected, by statement fingerprint.',
    perFingerprint((s) => s.rows),
  )

  const h = input.latency
  const counts = h.cumulativeCounts([...DURATION_BUCKETS_SECONDS.map((s) => s * 1000), Number.POSITIVE_INFINITY])
  const buckets: Array<[string, number]> = counts.map((count, i) => {
    const le = DURATION_BUCKETS_SECONDS[i]
    return [`_bucket${labels({ le: le === undefined ? '+Inf' : String(le) })}`, count]
  })
  buckets.push(['_sum', h.sum / 1000], ['_count', h.count])
  out.family('query_duration_seconds', 'histogram', 'Query latency.', buckets)

  const outcomes = Object.entries(input.cache) as Array<[CacheOutcome, number]>
  out.family(
    'cache_requests_total',
    'counter',
    'Cache outcomes reported with queries (hit, stale, grace, miss, bypass).',
    outcomes.map(([outcome, n]) => [labels({ outcome }), n]),
  )
  out.family('slow_queries_total', 'counter', 'Queries at or above the slow-query threshold.', [
    ['', input.slowQueries],
  ])
  out.family('n_plus_one_total', 'counter', 'N+1 findings (a fingerprint repeated in one scope).', [
    ['', input.nPlusOne],
  ])

  const pools = input.health.metrics.pools
  if (pools.length > 0) {
    const byState: Array<[string, number]> = []
    for (const p of pools)
      for (const state of ['active', 'idle', 'total'] as const)
        byState.push([labels({ pool: p.name, state }), p[state]])
    out.family('pool_connections', 'gauge', 'Pool connections by state.', byState)
    out.family(
      'pool_waiting',
      'gauge',
      'Requests waiting for a pool connection.',
      pools.map((p) => [labels({ pool: p.name }), p.waiting]),
    )
    out.family(
      'pool_max_connections',
      'gauge',
      'Configured pool maximum.',
      pools.map((p) => [labels({ pool: p.name }), p.max]),
    )
    out.family(
      'pool_utilization_ratio',
      'gauge',
      'Active connections divided by the pool maximum.',
      pools.map((p) => [labels({ pool: p.name }), p.utilization]),
    )
  }
  out.family('health_score', 'gauge', 'Health score from 0 (critical) to 100 (ok).', [['', input.health.score]])
  return out.toString()
}
