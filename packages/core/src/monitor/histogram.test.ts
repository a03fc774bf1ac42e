import { describe, expect, it } from 'vitest'
import { isPerfError } from '../errors.js'
import { seededRandom } from '../testing/chaos-corrupt.js'
import { Histogram } from './histogram.js'

function lognormal(n: number, seed: number, mu: number, sigma: number): number[] {
  const rand = seededRandom(seed)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    // Box-Muller; 1 - rand() keeps log() away from 0.
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
    out.push(Math.exp(mu + sigma * z))
  }
  return out
}

function pareto(n: number, seed: number, scale: number, shape: number): number[] {
  const rand = seededRandom(seed)
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push(scale / (1 - rand()) ** (1 / shape))
  return out
}

/** The same rank rule the histogram uses: the value at index floor(p/100 * (n-1)) of the sorted sample. */
function exact(sorted: readonly number[], p: number): number {
  return sorted[Math.floor((p / 100) * (sorted.length - 1))]!
}

function expectAccurate(values: number[], h: Histogram, tolerance = 0.01): void {
  const sorted = [...values].sort((a, b) => a - b)
  for (const p of [0, 1, 50, 90, 95, 99, 99.9, 100]) {
    const want = exact(sorted, p)
    const got = h.percentile(p)
    expect(Math.abs(got - want) / want, `p${p}: got ${got}, exact ${want}`).toBeLessThanOrEqual(tolerance)
  }
}

describe('Histogram', () => {
  it('percentile() is within 1% of exact percentiles on 100k lognormal latencies', () => {
    const values = lognormal(100_000, 42, Math.log(20), 1.2)
    const h = new Histogram()
    for (const v of values) h.record(v)
    expect(h.count).toBe(100_000)
    expectAccurate(values, h)
  })

  it('percentile() is within 1% of exact percentiles on 100k Pareto (heavy-tailed) values', () => {
    const values = pareto(100_000, 7, 0.5, 1.1).map((v) => Math.min(v, 3_600_000))
    const h = new Histogram()
    for (const v of values) h.record(v)
    expectAccurate(values, h)
  })

  it('percentile() honours a coarser relativeError', () => {
    const values = lognormal(20_000, 3, Math.log(5), 1)
    const h = new Histogram({ relativeError: 0.05 })
    for (const v of values) h.record(v)
    expectAccurate(values, h, 0.05)
  })

  it('merge() of two halves answers like one histogram of everything', () => {
    const values = lognormal(50_000, 11, Math.log(50), 0.8)
    const whole = new Histogram()
    const a = new Histogram()
    const b = new Histogram()
    values.forEach((v, i) => {
      whole.record(v)
      ;(i % 2 === 0 ? a : b).record(v)
    })
    expect(a.merge(b)).toBe(a)
    expect(a.count).toBe(whole.count)
    expect(a.sum).toBeCloseTo(whole.sum, 6)
    expect(a.min).toBe(whole.min)
    expect(a.max).toBe(whole.max)
    for (const p of [50, 95, 99, 99.9]) expect(a.percentile(p)).toBe(whole.percentile(p))
    expectAccurate(values, a)
  })

  it('merge() rejects a histogram built with other options with INVALID_ARGUMENT', () => {
    const a = new Histogram()
    expect(() => a.merge(new Histogram({ relativeError: 0.02 }))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(() => a.merge(new Histogram({ maxValue: 10 }))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(() => a.merge({} as Histogram)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('an empty histogram reports zeros everywhere', () => {
    const h = new Histogram()
    expect(h.toJSON()).toEqual({ count: 0, sum: 0, min: 0, max: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 })
    expect(h.mean).toBe(0)
    expect(h.cumulativeCounts([1, Number.POSITIVE_INFINITY])).toEqual([0, 0])
  })

  it('record() sends values <= 0 and below minValue to the zero bucket', () => {
    const h = new Histogram({ minValue: 0.01 })
    h.record(0)
    h.record(-5)
    h.record(0.001)
    h.record(10)
    expect(h.count).toBe(4)
    expect(h.min).toBe(-5)
    expect(h.percentile(0)).toBe(0)
    expect(h.percentile(66)).toBe(0)
    expect(h.percentile(100)).toBe(10)
    expect(h.cumulativeCounts([-1, 0, 5])).toEqual([0, 3, 3])
  })

  it('record() clamps values above maxValue (sum and max included)', () => {
    const h = new Histogram({ maxValue: 1000 })
    h.record(5000)
    h.record(Number.POSITIVE_INFINITY)
    expect(h.max).toBe(1000)
    expect(h.sum).toBe(2000)
    expect(h.percentile(100)).toBe(1000)
    expect(Math.abs(h.percentile(50) - 1000) / 1000).toBeLessThanOrEqual(0.01)
  })

  it('record(value, count) weights the value', () => {
    const h = new Histogram()
    h.record(1, 99)
    h.record(100)
    expect(h.count).toBe(100)
    expect(h.sum).toBe(199)
    expect(h.mean).toBeCloseTo(1.99, 10)
    expect(h.percentile(98)).toBe(1)
    expect(h.percentile(100)).toBe(100)
  })

  it('record() rejects NaN and a non-positive count with INVALID_ARGUMENT', () => {
    const h = new Histogram()
    for (const [v, c] of [
      [Number.NaN, 1],
      [1, 0],
      [1, -1],
      [1, Number.NaN],
      [1, Number.POSITIVE_INFINITY],
    ] as const) {
      let caught: unknown
      try {
        h.record(v, c)
      } catch (err) {
        caught = err
      }
      expect(isPerfError(caught, 'INVALID_ARGUMENT')).toBe(true)
    }
    expect(h.count).toBe(0)
  })

  it('percentile() rejects p outside [0, 100]', () => {
    const h = new Histogram()
    expect(() => h.percentile(101)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => h.percentile(Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('a single value is reported exactly at every percentile (clamped to min/max)', () => {
    const h = new Histogram()
    h.record(123.456)
    for (const p of [0, 50, 99.9, 100]) expect(h.percentile(p)).toBe(123.456)
  })

  it('cumulativeCounts() returns monotonic le-bucket counts (±1% of the bound) ending at count for +Inf', () => {
    const h = new Histogram()
    for (let i = 1; i <= 1000; i++) h.record(i)
    const bounds = [0.5, 10.5, 100.5, 250, 500.5, 999]
    const counts = h.cumulativeCounts([...bounds, Number.POSITIVE_INFINITY])
    expect(counts[0]).toBe(0)
    expect(counts[1]).toBe(10)
    bounds.forEach((bound, i) => {
      // Values within 1% of a bound may share its bucket, so they may fall on either side.
      expect(Math.abs(counts[i]! - Math.floor(bound))).toBeLessThanOrEqual(Math.ceil(bound * 0.01))
      if (i > 0) expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!)
    })
    expect(counts.at(-1)).toBe(1000)
    expect(() => h.cumulativeCounts([10, 5])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('reset() forgets everything and the histogram is reusable', () => {
    const h = new Histogram()
    for (let i = 1; i <= 100; i++) h.record(i)
    h.reset()
    expect(h.toJSON().count).toBe(0)
    expect(h.percentile(50)).toBe(0)
    h.record(7)
    expect(h.percentile(50)).toBe(7)
    expect(h.min).toBe(7)
  })

  it('validates options with INVALID_OPTION', () => {
    expect(() => new Histogram({ relativeError: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => new Histogram({ relativeError: 0.6 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => new Histogram({ minValue: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => new Histogram({ minValue: 10, maxValue: 1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    )
  })

  it('toJSON() is JSON-serialisable and consistent with the getters', () => {
    const h = new Histogram()
    for (let i = 1; i <= 10; i++) h.record(i)
    const json = JSON.parse(JSON.stringify(h)) as ReturnType<Histogram['toJSON']>
    expect(json).toMatchObject({ count: 10, sum: 55, min: 1, max: 10 })
    expect(json.p50).toBe(h.percentile(50))
  })
})
