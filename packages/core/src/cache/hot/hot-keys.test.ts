import { describe, expect, it } from 'vitest'
import { isPerfError } from '../../errors.js'
import { createCache } from '../cache.js'
import { HotKeys } from './hot-keys.js'

/** A deterministic skewed stream (Zipf-like, s = 1.1) over `keys` distinct keys. */
function zipfStream(length: number, keys: number, seed = 7): string[] {
  const weights = Array.from({ length: keys }, (_, i) => 1 / (i + 1) ** 1.1)
  const sum = weights.reduce((a, b) => a + b, 0)
  const cumulative: number[] = []
  let acc = 0
  for (const w of weights) cumulative.push((acc += w / sum))
  let state = seed
  const random = (): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state / 2 ** 31
  }
  const out: string[] = []
  for (let i = 0; i < length; i++) {
    const r = random()
    let lo = 0
    while ((cumulative[lo] as number) < r) lo++
    out.push(`k${lo}`)
  }
  return out
}

describe('HotKeys', () => {
  it('top() gives exact counts, most first, while the keys fit', () => {
    const hot = new HotKeys({ capacity: 8 })
    for (const [key, n] of [
      ['a', 5],
      ['b', 9],
      ['c', 1],
    ] as const)
      for (let i = 0; i < n; i++) hot.record(key)
    expect(hot.top()).toEqual([
      { key: 'b', count: 9, error: 0 },
      { key: 'a', count: 5, error: 0 },
      { key: 'c', count: 1, error: 0 },
    ])
    expect(hot.top(2).map((h) => h.key)).toEqual(['b', 'a'])
    expect(hot.total).toBe(15)
    expect(hot.size).toBe(3)
  })

  it('record() keeps at most capacity keys; a new key inherits the smallest count as its error', () => {
    const hot = new HotKeys({ capacity: 2 })
    hot.record('a')
    hot.record('a')
    hot.record('b')
    hot.record('c') // replaces b (count 1): c counts 2 with error 1
    expect(hot.size).toBe(2)
    expect(hot.top()).toEqual([
      { key: 'a', count: 2, error: 0 },
      { key: 'c', count: 2, error: 1 },
    ])
  })

  it('top() lists every key read more than total/capacity times, with count >= true count >= count - error', () => {
    const stream = zipfStream(20_000, 2_000)
    const exact = new Map<string, number>()
    for (const key of stream) exact.set(key, (exact.get(key) ?? 0) + 1)
    const hot = new HotKeys({ capacity: 50 })
    for (const key of stream) hot.record(key)
    const listed = new Map(hot.top().map((h) => [h.key, h]))
    const guaranteed = [...exact].filter(([, n]) => n > stream.length / 50)
    expect(guaranteed.length).toBeGreaterThan(3)
    for (const [key, n] of guaranteed) {
      const h = listed.get(key)
      expect(h, key).toBeDefined()
      expect(h!.count).toBeGreaterThanOrEqual(n)
      expect(h!.count - h!.error).toBeLessThanOrEqual(n)
    }
    // The three hottest are the three most frequent keys of the stream, in order.
    const trueTop = [...exact].sort((x, y) => y[1] - x[1]).slice(0, 3)
    expect(hot.top(3).map((h) => h.key)).toEqual(trueTop.map(([k]) => k))
    expect(hot.size).toBe(50)
    expect(hot.total).toBe(stream.length)
  })

  it('record() with sampleRate counts a share of accesses and top() scales the counts back', () => {
    const hot = new HotKeys({ capacity: 8, sampleRate: 0.25 })
    for (let i = 0; i < 40_000; i++) hot.record(i % 4 === 0 ? 'cold' : 'hot')
    const [first, second] = hot.top()
    expect(first?.key).toBe('hot')
    // 30 000 true reads; the estimate's standard deviation is about 87.
    expect(first!.count).toBeGreaterThan(29_000)
    expect(first!.count).toBeLessThan(31_000)
    expect(second?.key).toBe('cold')
    expect(hot.total).toBeGreaterThan(39_000)
    expect(hot.total).toBeLessThan(41_000)
    expect(() => new HotKeys({ sampleRate: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    expect(() => new HotKeys({ sampleRate: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
  })

  it('reset() forgets every key', () => {
    const hot = new HotKeys({ capacity: 4 })
    hot.record('a')
    hot.reset()
    expect(hot.top()).toEqual([])
    expect(hot.total).toBe(0)
    hot.record('b')
    expect(hot.top()).toEqual([{ key: 'b', count: 1, error: 0 }])
  })

  it('rejects a bad capacity with INVALID_OPTION and a bad top(n) with INVALID_ARGUMENT', () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) {
      expect(() => new HotKeys({ capacity })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    }
    const hot = new HotKeys()
    expect(hot.capacity).toBe(64)
    let caught: unknown
    try {
      hot.top(-1)
    } catch (error) {
      caught = error
    }
    expect(isPerfError(caught, 'INVALID_ARGUMENT')).toBe(true)
  })
})

describe('cache.hotKeys()', () => {
  it('counts hits and misses of getOrSet, get, getMany and lookup per key, without the namespace', async () => {
    const cache = createCache({ namespace: 'hk', hotKeys: { sampleRate: 1 } })
    for (let i = 0; i < 5; i++) await cache.getOrSet('user:1', () => ({ secret: 's3cr3t' }))
    for (let i = 0; i < 3; i++) await cache.get('user:2')
    await cache.getMany(['user:2', 'user:3'])
    await cache.lookup('user:3')
    const hot = cache.hotKeys()
    expect(hot).toEqual([
      { key: 'user:1', count: 5, error: 0 },
      { key: 'user:2', count: 4, error: 0 },
      { key: 'user:3', count: 2, error: 0 },
    ])
    expect(JSON.stringify(hot)).not.toContain('s3cr3t')
    expect(cache.hotKeys(1)).toEqual([{ key: 'user:1', count: 5, error: 0 }])
    await cache.close()
  })

  it("counts the last one to two minutes on the cache's clock by default; windowMs: undefined keeps everything", async () => {
    let now = 1_700_000_000_000
    const clock = { now: () => now }
    const windowed = createCache({ namespace: 'w', clock, hotKeys: { sampleRate: 1 } })
    const forever = createCache({ namespace: 'f', clock, hotKeys: { sampleRate: 1, windowMs: undefined } })
    for (const cache of [windowed, forever]) for (let i = 0; i < 3; i++) await cache.get('report:2025')
    now += 30_000
    expect(windowed.hotKeys()).toEqual([{ key: 'report:2025', count: 3, error: 0 }])
    now += 120_000
    expect(windowed.hotKeys()).toEqual([])
    expect(forever.hotKeys()).toEqual([{ key: 'report:2025', count: 3, error: 0 }])
    await windowed.close()
    await forever.close()
  })

  it('is empty by default and with hotKeys: false or 0, bounded by the option otherwise, and rejects a bad option', async () => {
    for (const hotKeys of [undefined, false, 0] as const) {
      const off = createCache({ hotKeys })
      await off.getOrSet('a', () => 1)
      expect(off.hotKeys()).toEqual([])
      await off.close()
    }
    const small = createCache({ hotKeys: { capacity: 2, sampleRate: 1 } })
    for (const key of ['a', 'b', 'c', 'd']) await small.getOrSet(key, () => 1)
    expect(small.hotKeys()).toHaveLength(2)
    await small.close()
    expect(() => createCache({ hotKeys: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
    // A capacity alone samples one read in sixteen: 8000 reads of one key are estimated near 8000.
    const sampled = createCache({ hotKeys: 64 })
    for (let i = 0; i < 8000; i++) await sampled.getOrSet('only', () => 1)
    const [only] = sampled.hotKeys()
    expect(only?.key).toBe('only')
    expect(only!.count).toBeGreaterThan(7000)
    expect(only!.count).toBeLessThan(9000)
    await sampled.close()
  })

  it('with windowMs, counts cover the current and the previous window: old traffic ages out', () => {
    let now = 1_000_000
    const hot = new HotKeys({ capacity: 8, windowMs: 1_000, clock: { now: () => now } })
    for (let i = 0; i < 50; i++) hot.record('old')
    now += 600
    for (let i = 0; i < 5; i++) hot.record('new')
    expect(hot.top()).toEqual([
      { key: 'old', count: 50, error: 0 },
      { key: 'new', count: 5, error: 0 },
    ])
    now += 600 // second window: the first one is now "previous" and still counts
    for (let i = 0; i < 5; i++) hot.record('new')
    expect(hot.top()).toEqual([
      { key: 'old', count: 50, error: 0 },
      { key: 'new', count: 10, error: 0 },
    ])
    now += 1_000 // third window: the first one is gone
    hot.record('new')
    expect(hot.top()).toEqual([{ key: 'new', count: 6, error: 0 }])
    now += 5_000 // long silence: nothing is hot
    expect(hot.top()).toEqual([])
    expect(hot.total).toBe(61) // total stays since creation
  })
})
