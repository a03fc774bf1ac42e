import { afterEach, describe, expect, it } from 'vitest'
import { createMonitor, type Monitor } from './monitor.js'
import { escapeLabelValue } from './prometheus.js'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

interface Parsed {
  types: Map<string, string>
  help: Map<string, string>
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$/

/** A strict parser for the Prometheus text exposition format 0.0.4; throws on any deviation. */
function parseExposition(text: string): Parsed {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline')
  const out: Parsed = { types: new Map(), help: new Map(), samples: [] }
  const seen = new Set<string>()
  let family = ''
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# ')) {
      const [, keyword, name, ...rest] = line.split(' ')
      if (keyword !== 'HELP' && keyword !== 'TYPE') continue
      if (!name || !METRIC_NAME.test(name) || METRIC_NAME.exec(name)![0] !== name)
        throw new Error(`bad name in: ${line}`)
      if (keyword === 'TYPE') {
        if (out.types.has(name)) throw new Error(`second TYPE for ${name}`)
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest.join(' ')))
          throw new Error(`bad type: ${line}`)
        out.types.set(name, rest.join(' '))
        family = name
      } else {
        if (/\\[^\\n]/.test(rest.join(' ').replace(/\\\\/g, ''))) throw new Error(`bad HELP escape: ${line}`)
        out.help.set(name, rest.join(' '))
      }
      continue
    }
    const sample = parseSample(line)
    // Samples must follow their family's TYPE line: same name, or name + histogram suffix.
    const base = sample.name.replace(/_(bucket|sum|count)$/, '')
    if (sample.name !== family && !(out.types.get(family) === 'histogram' && base === family))
      throw new Error(`sample ${sample.name} outside its family (${family})`)
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`
    if (seen.has(key)) throw new Error(`duplicate sample ${key}`)
    seen.add(key)
    out.samples.push(sample)
  }
  return out
}

function parseSample(line: string): Sample {
  const name = METRIC_NAME.exec(line)?.[0]
  if (!name) throw new Error(`no metric name: ${line}`)
  let i = name.length
  const labels: Record<string, string> = {}
  if (line[i] === '{') {
    i++
    while (line[i] !== '}') {
      const labelName = LABEL_NAME.exec(line.slice(i))?.[0]
      if (!labelName || line[i + labelName.length] !== '=' || line[i + labelName.length + 1] !== '"')
        throw new Error(`bad label at ${i}: ${line}`)
      i += labelName.length + 2
      let value = ''
      for (;;) {
        const c = line[i++]
        if (c === undefined) throw new Error(`unterminated label value: ${line}`)
        if (c === '"') break
        if (c === '\\') {
          const e = line[i++]
          if (e === 'n') value += '\n'
          else if (e === '\\' || e === '"') value += e
          else throw new Error(`bad escape \\${e}: ${line}`)
        } else value += c
      }
      labels[labelName] = value
      if (line[i] === ',') i++
      else if (line[i] !== '}') throw new Error(`expected , or } at ${i}: ${line}`)
    }
    i++
  }
  if (line[i] !== ' ') throw new Error(`expected a space before the value: ${line}`)
  const [value, timestamp, extra] = line.slice(i + 1).split(' ')
  if (
    value === undefined ||
    !FLOAT.test(value) ||
    extra !== undefined ||
    (timestamp !== undefined && !/^-?\d+$/.test(timestamp))
  )
    throw new Error(`bad value: ${line}`)
  return { name, labels, value: value.endsWith('Inf') ? (value.startsWith('-') ? -Infinity : Infinity) : Number(value) }
}

let monitors: Monitor[] = []
afterEach(() => {
  for (const m of monitors) m.close()
  monitors = []
})

function busyMonitor(): Monitor {
  const monitor = createMonitor({ eventLoopDelay: false, slowQueryMs: 500, nPlusOneThreshold: 2 })
  monitors.push(monitor)
  const durations = [0.4, 0.9, 3, 7, 12, 40, 90, 200, 700, 3000, 20_000]
  monitor.scope(() => {
    durations.forEach((durationMs, i) =>
      monitor.record({
        source: 'prisma',
        sql: `SELECT * FROM "User" WHERE id = ${i}`,
        model: 'User',
        operation: 'findUnique',
        durationMs,
        rows: 1,
        cache: i % 2 ? 'hit' : 'miss',
      }),
    )
  })
  monitor.record({
    source: 'typeorm',
    sql: 'UPDATE t SET a = 1',
    model: 'Odd "model"\\with\nnewline',
    durationMs: 2,
    error: new Error('x'),
  })
  monitor.addPoolProbe({ name: 'pg', stats: () => ({ total: 8, idle: 2, active: 6, waiting: 1, max: 10, min: 2 }) })
  return monitor
}

describe('Monitor.toPrometheus()', () => {
  it('emits valid text exposition format 0.0.4', () => {
    const parsed = parseExposition(busyMonitor().toPrometheus())
    expect(Object.fromEntries(parsed.types)).toEqual({
      perf_queries_total: 'counter',
      perf_query_errors_total: 'counter',
      perf_query_seconds_total: 'counter',
      perf_query_rows_total: 'counter',
      perf_query_duration_seconds: 'histogram',
      perf_cache_requests_total: 'counter',
      perf_slow_queries_total: 'counter',
      perf_n_plus_one_total: 'counter',
      perf_pool_connections: 'gauge',
      perf_pool_waiting: 'gauge',
      perf_pool_max_connections: 'gauge',
      perf_pool_utilization_ratio: 'gauge',
      perf_health_score: 'gauge',
    })
    for (const name of parsed.types.keys()) expect(parsed.help.get(name)).toBeTruthy()
  })

  it('writes a cumulative duration histogram whose +Inf bucket equals _count', () => {
    const { samples } = parseExposition(busyMonitor().toPrometheus())
    const buckets = samples.filter((s) => s.name === 'perf_query_duration_seconds_bucket')
    const les = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)))
    expect(les).toEqual([...les].sort((a, b) => a - b))
    expect(les.at(-1)).toBe(Infinity)
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value)
    const count = samples.find((s) => s.name === 'perf_query_duration_seconds_count')!.value
    expect(count).toBe(12)
    expect(buckets.at(-1)!.value).toBe(count)
    // 0.4, 0.9 ms fall under 1 ms; 20 s only under +Inf.
    expect(buckets[0]).toMatchObject({ labels: { le: '0.001' }, value: 2 })
    expect(buckets.at(-2)!.value).toBe(11)
    const sum = samples.find((s) => s.name === 'perf_query_duration_seconds_sum')!.value
    expect(sum).toBeCloseTo(24.0553, 4)
  })

  it('labels per-fingerprint counters and escapes label values', () => {
    const { samples } = parseExposition(busyMonitor().toPrometheus())
    const queries = samples.filter((s) => s.name === 'perf_queries_total')
    expect(queries).toHaveLength(2)
    expect(queries[0]).toMatchObject({
      labels: { source: 'prisma', model: 'User', operation: 'findUnique' },
      value: 11,
    })
    expect(queries[0]!.labels.fingerprint_id).toMatch(/^[0-9a-f]{12}$/)
    expect(queries[1]!.labels.model).toBe('Odd "model"\\with\nnewline')
    expect(samples.find((s) => s.name === 'perf_query_errors_total' && s.labels.source === 'typeorm')!.value).toBe(1)
    expect(
      samples.filter((s) => s.name === 'perf_cache_requests_total').map((s) => [s.labels.outcome, s.value]),
    ).toEqual([
      ['hit', 5],
      ['stale', 0],
      ['grace', 0],
      ['miss', 6],
      ['bypass', 0],
    ])
    expect(samples.find((s) => s.name === 'perf_slow_queries_total')!.value).toBe(3)
    expect(samples.find((s) => s.name === 'perf_n_plus_one_total')!.value).toBe(1)
    expect(samples.find((s) => s.name === 'perf_pool_connections' && s.labels.state === 'active')).toMatchObject({
      labels: { pool: 'pg' },
      value: 6,
    })
    expect(samples.find((s) => s.name === 'perf_pool_utilization_ratio')!.value).toBe(0.6)
    expect(samples.find((s) => s.name === 'perf_health_score')!.value).toBeLessThan(100)
  })

  it('honours the prefix option and rejects an invalid one', () => {
    const monitor = busyMonitor()
    const { types } = parseExposition(monitor.toPrometheus({ prefix: 'app_db_' }))
    expect([...types.keys()].every((name) => name.startsWith('app_db_'))).toBe(true)
    expect(parseExposition(monitor.toPrometheus({ prefix: '' })).types.has('queries_total')).toBe(true)
    expect(() => monitor.toPrometheus({ prefix: 'bad-prefix' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('is valid for an empty monitor', () => {
    const monitor = createMonitor({ eventLoopDelay: false })
    monitors.push(monitor)
    const { samples } = parseExposition(monitor.toPrometheus())
    expect(samples.filter((s) => s.name === 'perf_queries_total')).toEqual([])
    expect(samples.find((s) => s.name === 'perf_query_duration_seconds_count')!.value).toBe(0)
    expect(samples.find((s) => s.name === 'perf_health_score')!.value).toBe(100)
  })

  it('the test parser rejects malformed lines (so the tests above can fail)', () => {
    expect(() => parseExposition('# TYPE x counter\nx{a="b} 1\n')).toThrow()
    expect(() => parseExposition('# TYPE x counter\nx{a="\\t"} 1\n')).toThrow()
    expect(() => parseExposition('# TYPE x counter\nx 1 2 3\n')).toThrow()
    expect(() => parseExposition('# TYPE x counter\ny 1\n')).toThrow()
    expect(() => parseExposition('# TYPE x counter\nx 1')).toThrow()
  })
})

describe('escapeLabelValue()', () => {
  it('escapes backslash, double quote and newline only', () => {
    expect(escapeLabelValue('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te')
  })
})
