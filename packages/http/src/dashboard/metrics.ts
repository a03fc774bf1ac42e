import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Cache, CircuitBreaker, Monitor } from '@perf/core'
import { HttpOptionError } from './errors.js'
import { formatExposition, mergeFamilies, parseExposition, type Family } from './exposition.js'
import { named, type Named, type OneOrMany } from './options.js'

/** Options of {@link metricsHandler} and {@link registerPromClient}. */
export interface MetricsOptions {
  /** Monitors; with more than one, every monitor sample carries a `monitor` label (its name). */
  monitors?: OneOrMany<Monitor>
  /** Caches: hits by tier, misses, loads, errors, entries and bytes, labelled `cache` (namespace or record key). */
  caches?: OneOrMany<Cache>
  /** Circuit breakers: `perf_circuit_state{breaker, state}` (1 for the current state). */
  breakers?: OneOrMany<CircuitBreaker>
  /** Prepended to every metric name. @default 'perf_' */
  prefix?: string
}

interface MetricSources {
  monitors: Named<Monitor>[]
  caches: Named<Cache>[]
  breakers: Named<CircuitBreaker>[]
  prefix: string
}

const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/

function resolveMetrics(options: MetricsOptions): MetricSources {
  if (typeof options !== 'object' || options === null) throw new HttpOptionError('options', 'type', 'must be an object')
  const prefix = options.prefix ?? 'perf_'
  if (typeof prefix !== 'string' || !PREFIX.test(prefix))
    throw new HttpOptionError('prefix', 'type', `must match [a-zA-Z_:][a-zA-Z0-9_:]*, got ${JSON.stringify(prefix)}`)
  return {
    monitors: named(options.monitors, 'monitors', ['toPrometheus'], (_, i) => `monitor ${i + 1}`),
    caches: named(options.caches, 'caches', ['stats'], (c, i) => (c as Cache).namespace ?? `cache ${i + 1}`),
    breakers: named(
      options.breakers,
      'breakers',
      ['toJSON'],
      (b, i) => (b as CircuitBreaker).name ?? `breaker ${i + 1}`,
    ),
    prefix,
  }
}

/**
 * Every family, labels bounded: fingerprint ids (never SQL), sources, tiers, cache, pool and
 * breaker names. Monitors' own families come from `monitor.toPrometheus()`.
 */
export function collectFamilies(s: MetricSources): Family[] {
  const several = s.monitors.length > 1
  const fromMonitors = s.monitors.map(({ name, value }) =>
    parseExposition(value.toPrometheus({ prefix: s.prefix })).map((f) =>
      several ? { ...f, samples: f.samples.map((x) => ({ ...x, labels: { monitor: name, ...x.labels } })) } : f,
    ),
  )
  return mergeFamilies([...fromMonitors, cacheFamilies(s.caches, s.prefix), breakerFamilies(s.breakers, s.prefix)])
}

function cacheFamilies(caches: Named<Cache>[], prefix: string): Family[] {
  if (caches.length === 0) return []
  const stats = caches.map(({ name, value }) => ({ cache: name, s: value.stats() }))
  const per = (
    name: string,
    type: Family['type'],
    help: string,
    pick: (s: ReturnType<Cache['stats']>) => number,
  ): Family => ({
    name: prefix + name,
    help,
    type,
    samples: stats.map(({ cache, s }) => ({ labels: { cache }, value: pick(s) })),
  })
  return [
    {
      name: `${prefix}cache_hits_total`,
      help: 'Fresh cache hits, by cache and tier.',
      type: 'counter',
      samples: stats.flatMap(({ cache, s }) =>
        Object.entries(s.hits).map(([tier, n]) => ({ labels: { cache, tier }, value: n })),
      ),
    },
    per('cache_stale_hits_total', 'counter', 'Stale values served (swr).', (s) => s.staleHits),
    per(
      'cache_grace_hits_total',
      'counter',
      'Stale values served because the loader failed (grace).',
      (s) => s.graceHits,
    ),
    per('cache_misses_total', 'counter', 'Cache reads that found nothing servable.', (s) => s.misses),
    per('cache_loads_total', 'counter', 'Loader calls that succeeded.', (s) => s.loads),
    per('cache_load_errors_total', 'counter', 'Loader calls that failed.', (s) => s.loadErrors),
    per('cache_evictions_total', 'counter', 'Entries evicted from the first tier.', (s) => s.evictions),
    per('cache_entries', 'gauge', 'Entries in the first tier.', (s) => s.entries),
    per('cache_bytes', 'gauge', 'Bytes held by the first tier.', (s) => s.bytes),
    per(
      'cache_pending_invalidations',
      'gauge',
      'Invalidations whose shared part is being retried.',
      (s) => s.pendingInvalidations,
    ),
    {
      name: `${prefix}cache_tier_errors_total`,
      help: 'Cache tier failures (reads fail open), by cache and tier.',
      type: 'counter',
      samples: stats.flatMap(({ cache, s }) =>
        Object.entries(s.tierErrors).map(([tier, n]) => ({ labels: { cache, tier }, value: n })),
      ),
    },
  ]
}

function breakerFamilies(breakers: Named<CircuitBreaker>[], prefix: string): Family[] {
  if (breakers.length === 0) return []
  return [
    {
      name: `${prefix}circuit_state`,
      help: 'Circuit breaker state: 1 for the current one of closed, open, half-open.',
      type: 'gauge',
      samples: breakers.flatMap(({ name, value }) => {
        const state = value.state
        return (['closed', 'open', 'half-open'] as const).map((s) => ({
          labels: { breaker: name, state: s },
          value: s === state ? 1 : 0,
        }))
      }),
    },
  ]
}

/** The Prometheus text for `options`, as `metricsHandler` serves it. @throws HttpOptionError */
export function prometheusText(options: MetricsOptions): string {
  return formatExposition(collectFamilies(resolveMetrics(options)))
}

/**
 * A `node:http` handler (and Express middleware) answering every request with the metrics in
 * the Prometheus text exposition format 0.0.4. Mount it where your scraper looks (`/metrics`)
 * and behind whatever guards your other internal endpoints.
 *
 * @throws HttpOptionError naming the option
 * @example
 * app.get('/metrics', metricsHandler({ monitors: monitor, caches: cache }))
 */
export function metricsHandler(
  options: MetricsOptions,
): (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void {
  const sources = resolveMetrics(options)
  return (_req, res, next) => {
    let body: string
    try {
      body = formatExposition(collectFamilies(sources))
    } catch (error) {
      if (next !== undefined) return next(error)
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics error\n')
      return
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' })
    res.end(body)
  }
}

/** The part of a prom-client `Registry` used here (so prom-client stays an optional peer). */
export interface PromRegistry {
  /** Takes a {@link PromCollectorMetric} (typed `never` so prom-client's own `Metric` signature fits). */
  registerMetric(metric: never): void
}

/** A metric object as prom-client's registry reads it (`get()` is called on every scrape). */
export interface PromCollectorMetric {
  name: string
  help: string
  type: Family['type']
  aggregator: 'sum' | 'min'
  get(): Promise<{
    name: string
    help: string
    type: string
    aggregator: string
    values: Array<{ metricName?: string; labels: Record<string, string>; value: number }>
  }>
  reset(): void
}

/**
 * Registers @perf's metrics into an existing prom-client registry (`register` or a `new Registry()`):
 * one collector per family, read on every scrape, so `/metrics` of your app shows them next to
 * yours. The families are those present at registration (fingerprint families always are, even
 * empty). Returns the registered metric names.
 *
 * @throws HttpOptionError naming the option; Error from prom-client when a name is taken
 * @example
 * import { register } from 'prom-client'
 * registerPromClient(register, { monitors: monitor, caches: cache })
 */
export function registerPromClient(registry: PromRegistry, options: MetricsOptions): string[] {
  if (typeof registry !== 'object' || registry === null || typeof registry.registerMetric !== 'function')
    throw new HttpOptionError('registry', 'source', 'must be a prom-client Registry (with registerMetric())')
  const sources = resolveMetrics(options)
  // One collection serves every family of a scrape: prom-client calls each metric's get() in one
  // synchronous pass, so the collection is forgotten at the next microtask (no stale figures).
  let cached: Family[] | undefined
  const families = (): Family[] => {
    if (cached === undefined) {
      cached = collectFamilies(sources)
      queueMicrotask(() => {
        cached = undefined
      })
    }
    return cached
  }
  const names: string[] = []
  for (const family of families()) {
    const { name, help, type } = family
    const aggregator = name.endsWith('health_score') ? 'min' : 'sum'
    const metric: PromCollectorMetric = {
      name,
      help,
      type,
      aggregator,
      async get() {
        const now = families().find((f) => f.name === name)
        return { name, help, type, aggregator, values: now?.samples ?? [] }
      },
      reset() {},
    }
    registry.registerMetric(metric as never)
    names.push(name)
  }
  return names
}
