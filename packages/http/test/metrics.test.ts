import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CircuitBreaker, createCache, createMonitor } from '@perf/core'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { HttpOptionError, metricsHandler, prometheusText, registerPromClient } from '../src/index.js'

/** A strict reading of text format 0.0.4: every sample belongs to the family declared just before it, families are contiguous. */
function parse(
  text: string,
): Map<string, { type: string; samples: Array<{ name: string; labels: Record<string, string>; value: number }> }> {
  const families = new Map<
    string,
    { type: string; samples: Array<{ name: string; labels: Record<string, string>; value: number }> }
  >()
  let current = ''
  for (const line of text.trimEnd().split('\n')) {
    if (line === '') continue // prom-client separates families with a blank line
    const help = /^# HELP (\S+) .+$/.exec(line)
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line)
    if (help) {
      expect(families.has(help[1]!), `family ${help[1]} declared twice`).toBe(false)
      current = help[1]!
      families.set(current, { type: '', samples: [] })
    } else if (type) {
      expect(type[1]).toBe(current)
      families.get(current)!.type = type[2]!
    } else {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$/.exec(line)
      expect(m, `malformed line: ${line}`).not.toBeNull()
      const name = m![1]!
      expect(name === current || name.startsWith(`${current}_`), `${name} outside its family ${current}`).toBe(true)
      const labels = Object.fromEntries(
        [...(m![2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
      )
      families.get(current)!.samples.push({ name, labels, value: m![3] === '+Inf' ? Infinity : Number(m![3]) })
    }
  }
  return families
}

function sources() {
  const api = createMonitor()
  const jobs = createMonitor()
  for (let i = 0; i < 7; i++)
    api.record({ source: 'pg', sql: `SELECT * FROM users WHERE email = 'secret${i}@example.com'`, durationMs: 3 })
  api.record({ source: 'pg', sql: 'SELECT 1', durationMs: 0.5, cache: 'hit' })
  jobs.record({ source: 'pg', sql: "UPDATE jobs SET state = 'done' WHERE id = 42", durationMs: 40 })
  const cache = createCache({ namespace: 'users' })
  const breaker = new CircuitBreaker({ name: 'payments' })
  return { api, jobs, cache, breaker }
}

describe('prometheusText() / metricsHandler()', () => {
  it('merges several monitors into one family each, labelled by monitor, with fingerprint ids and no SQL', async () => {
    const { api, jobs, cache, breaker } = sources()
    await cache.getOrSet('u:1', () => ({ name: 'x' }))
    await cache.getOrSet('u:1', () => ({ name: 'x' }))
    const text = prometheusText({ monitors: { api, jobs }, caches: cache, breakers: breaker })
    expect(text).not.toMatch(/SELECT|UPDATE|secret/)
    const families = parse(text)
    const queries = families.get('perf_queries_total')!
    expect(queries.type).toBe('counter')
    expect(queries.samples.map((s) => [s.labels.monitor, s.value]).sort()).toEqual([
      ['api', 1],
      ['api', 7],
      ['jobs', 1],
    ])
    for (const s of queries.samples) expect(s.labels.fingerprint_id).toMatch(/^[0-9a-f]{12}$/)
    const duration = families.get('perf_query_duration_seconds')!
    expect(duration.type).toBe('histogram')
    const apiCount = duration.samples.find(
      (s) => s.name === 'perf_query_duration_seconds_count' && s.labels.monitor === 'api',
    )
    expect(apiCount?.value).toBe(8)
    // 7 queries of 3 ms and one of 0.5 ms: 1 within 1 ms, all 8 within 5 ms.
    const le = (bound: string) =>
      duration.samples.find((s) => s.name.endsWith('_bucket') && s.labels.monitor === 'api' && s.labels.le === bound)
        ?.value
    expect(le('0.001')).toBe(1)
    expect(le('0.0025')).toBe(1)
    expect(le('0.005')).toBe(8)
    expect(le('+Inf')).toBe(8)
    expect(families.get('perf_cache_hits_total')!.samples).toEqual([
      { name: 'perf_cache_hits_total', labels: { cache: 'users', tier: 'memory' }, value: 1 },
    ])
    expect(families.get('perf_cache_misses_total')!.samples[0]?.value).toBe(1)
    expect(families.get('perf_circuit_state')!.samples.filter((s) => s.value === 1)).toEqual([
      { name: 'perf_circuit_state', labels: { breaker: 'payments', state: 'closed' }, value: 1 },
    ])
    await cache.close()
  })

  it('metricsHandler() answers with the text content type and the current figures', async () => {
    const { api } = sources()
    const server = createServer(metricsHandler({ monitors: api, prefix: 'app_' })).listen(0, '127.0.0.1')
    await new Promise((r) => server.once('listening', r))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
    const first = await fetch(url)
    expect(first.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const before = parse(await first.text()).get('app_query_duration_seconds')!
    expect(before.samples.find((s) => s.name.endsWith('_count'))?.value).toBe(8)
    api.record({ source: 'pg', sql: 'SELECT 2', durationMs: 1 })
    const after = parse(await (await fetch(url)).text()).get('app_query_duration_seconds')!
    expect(after.samples.find((s) => s.name.endsWith('_count'))?.value).toBe(9)
    server.close()
  })

  it('rejects a bad prefix and a source without the methods read with HttpOptionError', () => {
    expect(() => metricsHandler({ prefix: '9x' })).toThrow(HttpOptionError)
    expect(() => metricsHandler({ monitors: [{}] as never })).toThrow(
      expect.objectContaining({ option: 'monitors[0]', code: 'INVALID_OPTION' }),
    )
    expect(() => registerPromClient({} as never, {})).toThrow(expect.objectContaining({ option: 'registry' }))
  })
})

describe('registerPromClient()', () => {
  it("adds @perf's families to a prom-client registry, read fresh on every scrape", async () => {
    const { api, jobs, cache } = sources()
    const registry = new Registry()
    const names = registerPromClient(registry, { monitors: { api, jobs }, caches: cache })
    expect(names).toContain('perf_query_duration_seconds')
    const first = parse(await registry.metrics())
    expect(
      first
        .get('perf_query_duration_seconds')!
        .samples.find((s) => s.name.endsWith('_count') && s.labels.monitor === 'jobs')?.value,
    ).toBe(1)
    jobs.record({ source: 'pg', sql: "UPDATE jobs SET state = 'x' WHERE id = 7", durationMs: 2 })
    const text = await registry.metrics()
    expect(text).not.toMatch(/UPDATE|SELECT/)
    const second = parse(text)
    expect(
      second
        .get('perf_query_duration_seconds')!
        .samples.find((s) => s.name.endsWith('_count') && s.labels.monitor === 'jobs')?.value,
    ).toBe(2)
    expect(second.get('perf_health_score')!.type).toBe('gauge')
    // prom-client's JSON view sees the same values (used by its cluster aggregator).
    const json = await registry.getMetricsAsJSON()
    expect(json.find((m) => m.name === 'perf_queries_total')?.values.length).toBe(3)
    expect(() => registerPromClient(registry, { monitors: api })).toThrow(/already been registered/)
    await cache.close()
  })
})
