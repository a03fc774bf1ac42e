import { describe, expect, it } from 'vitest'
import { isPerfError, type PerfError } from '../errors.js'
import { BatchLoader, type BatchLoaderOptions } from './batch-loader.js'

function idLoader(options?: BatchLoaderOptions<number, number>): [BatchLoader<number, number>, number[][]] {
  const calls: number[][] = []
  const loader = new BatchLoader<number, number>((keys) => {
    calls.push([...keys])
    return Promise.resolve(keys)
  }, options)
  return [loader, calls]
}

function invalidOption(make: () => unknown): PerfError {
  try {
    make()
  } catch (error) {
    expect(isPerfError(error, 'INVALID_OPTION')).toBe(true)
    return error as PerfError
  }
  throw new Error('expected INVALID_OPTION')
}

describe('BatchLoader options', () => {
  it('constructor throws INVALID_OPTION naming each malformed option', () => {
    const echo = async (keys: readonly number[]): Promise<readonly number[]> => keys
    const cases: Array<[string, BatchLoaderOptions<number, number>]> = [
      ['maxBatchSize', { maxBatchSize: 0 }],
      ['maxBatchSize', { maxBatchSize: null as never }],
      ['maxBatchSize', { maxBatchSize: Number.NaN }],
      ['batchScheduleFn', { batchScheduleFn: null as never }],
      ['cacheKeyFn', { cacheKeyFn: null as never }],
      ['batch', { batch: 'yes' as never }],
      ['cache', { cache: 1 as never }],
      ['name', { name: 42 as never }],
      ['cacheMap', { cacheMap: { get() {} } as never }],
      ['maxCacheSize', { maxCacheSize: 0 }],
      ['maxCacheSize', { maxCacheSize: 1.5 }],
      ['cacheTtlMs', { cacheTtlMs: -1 }],
      ['cacheTtlMs', { cacheTtlMs: 0 }],
      ['cacheTtlMs', { cacheTtlMs: 'soon' }],
      ['maxCacheSize', { maxCacheSize: 10, cache: false }],
      ['cacheTtlMs', { cacheTtlMs: 10, cacheMap: new Map() }],
      ['clock', { clock: {} as never }],
    ]
    for (const [option, options] of cases) {
      const error = invalidOption(() => new BatchLoader(echo, options))
      expect(error.context.option, JSON.stringify(options)).toBe(option)
      expect(error.message).toContain(option)
    }
    expect(invalidOption(() => new BatchLoader(undefined as never)).context.option).toBe('batchLoadFn')
    expect(invalidOption(() => new BatchLoader(echo, { cacheMap: { get() {} } as never })).message).toContain(
      'missing: set, delete, clear',
    )
  })

  it('accepts Infinity and fractional maxBatchSize like dataloader', async () => {
    const [infinite, infiniteCalls] = idLoader({ maxBatchSize: Infinity })
    const [fractional, fractionalCalls] = idLoader({ maxBatchSize: 1.5 })
    await Promise.all([1, 2, 3].flatMap((k) => [infinite.load(k), fractional.load(k)]))
    expect(infiniteCalls).toEqual([[1, 2, 3]])
    expect(fractionalCalls).toEqual([[1, 2], [3]])
  })

  it('maxCacheSize keeps at most that many keys, evicting the least recently used', async () => {
    const [loader, calls] = idLoader({ maxCacheSize: 2 })
    await Promise.all([loader.load(1), loader.load(2)])
    await loader.load(1) // 1 becomes most recently used
    await loader.load(3) // evicts 2
    await Promise.all([loader.load(1), loader.load(3)])
    expect(calls).toEqual([[1, 2], [3]])
    await loader.load(2)
    expect(calls).toEqual([[1, 2], [3], [2]])
  })

  it('maxCacheSize bounds memory over many distinct keys', async () => {
    const [loader, calls] = idLoader({ maxCacheSize: 10 })
    for (let wave = 0; wave < 20; wave++)
      await Promise.all(Array.from({ length: 50 }, (_, i) => loader.load(wave * 50 + i)))
    // Only the last 10 keys are still memoized.
    await Promise.all([990, 999, 989].map((k) => loader.load(k)))
    expect(calls.at(-1)).toEqual([989])
    expect(calls).toHaveLength(21)
  })

  it('cacheTtlMs forgets a key after its lifetime on the injected clock', async () => {
    let now = 1_000
    const [loader, calls] = idLoader({ cacheTtlMs: '1s', clock: { now: () => now } })
    await loader.load(1)
    now += 999
    await loader.load(1)
    expect(calls).toEqual([[1]])
    now += 1
    await loader.load(1)
    expect(calls).toEqual([[1], [1]])
  })

  it('cacheTtlMs memoizes per-key errors only for their lifetime', async () => {
    let now = 0
    const calls: number[][] = []
    const loader = new BatchLoader<number, number>(
      (keys) => {
        calls.push([...keys])
        return Promise.resolve(keys.map(() => new Error('transient')))
      },
      { cacheTtlMs: 100, clock: { now: () => now } },
    )
    await expect(loader.load(1)).rejects.toThrow('transient')
    await expect(loader.load(1)).rejects.toThrow('transient')
    now = 100
    await expect(loader.load(1)).rejects.toThrow('transient')
    expect(calls).toEqual([[1], [1]])
  })
})
