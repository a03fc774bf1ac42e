import diagnosticsChannel from 'node:diagnostics_channel'
import { describe, expect, it } from 'vitest'
import { isPerfError, type PerfError } from '../errors.js'
import { BatchLoader, type BatchLoaderOptions } from './batch-loader.js'
import { rejection } from '../__tests__/errors.js'

/** A loader whose batch function echoes its keys and records every call. */
function idLoader<K, C = K>(options?: BatchLoaderOptions<K, K, C>): [BatchLoader<K, K, C>, K[][]] {
  const calls: K[][] = []
  const loader = new BatchLoader<K, K, C>((keys) => {
    calls.push([...keys])
    return Promise.resolve(keys)
  }, options)
  return [loader, calls]
}

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('BatchLoader', () => {
  it('load() coalesces the loads of one tick into one batch call', async () => {
    const [loader, calls] = idLoader<number>()
    const values = await Promise.all([loader.load(1), loader.load(2), loader.load(3)])
    expect(values).toEqual([1, 2, 3])
    expect(calls).toEqual([[1, 2, 3]])
  })

  it('load() 1000 distinct keys in one tick make exactly one batch call with all keys in order', async () => {
    const [loader, calls] = idLoader<number>()
    const keys = Array.from({ length: 1000 }, (_, i) => i)
    const values = await Promise.all(keys.map((k) => loader.load(k)))
    expect(values).toEqual(keys)
    expect(calls).toHaveLength(1)
    expect(calls[0]).toEqual(keys)
  })

  it('load() batches loads issued across several resolved-promise turns of one tick', async () => {
    const [loader, calls] = idLoader<string>()
    await Promise.all([
      loader.load('A'),
      Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => {
          void loader.load('B')
          void Promise.resolve()
            .then(() => Promise.resolve())
            .then(() => {
              void loader.load('C')
              void Promise.resolve()
                .then(() => Promise.resolve())
                .then(() => void loader.load('D'))
            })
        }),
    ])
    expect(calls).toEqual([['A', 'B', 'C', 'D']])
  })

  it("load() from inside another loader's batch function joins one shared batch", async () => {
    const [deep, deepCalls] = idLoader<readonly string[]>()
    const aLoader = new BatchLoader<string, string>((keys) => deep.load(keys) as Promise<string[]>)
    const bLoader = new BatchLoader<string, string>((keys) => deep.load(keys) as Promise<string[]>)
    const values = await Promise.all([aLoader.load('A1'), bLoader.load('B1'), aLoader.load('A2'), bLoader.load('B2')])
    expect(values).toEqual(['A1', 'B1', 'A2', 'B2'])
    expect(deepCalls).toEqual([
      [
        ['A1', 'A2'],
        ['B1', 'B2'],
      ],
    ])
  })

  it('load() splits batches at maxBatchSize', async () => {
    const [loader, calls] = idLoader<number>({ maxBatchSize: 2 })
    expect(await Promise.all([1, 2, 3, 4, 5].map((k) => loader.load(k)))).toEqual([1, 2, 3, 4, 5])
    expect(calls).toEqual([[1, 2], [3, 4], [5]])
  })

  it('load() with batch: false calls the batch function once per key', async () => {
    const [loader, calls] = idLoader<number>({ batch: false, maxBatchSize: 10 })
    await Promise.all([loader.load(1), loader.load(2)])
    expect(calls).toEqual([[1], [2]])
  })

  it('load() coalesces identical keys, also across sized batches', async () => {
    const [loader, calls] = idLoader<number>({ maxBatchSize: 2 })
    const values = await Promise.all([loader.load(1), loader.load(2), loader.load(1), loader.load(3)])
    expect(values).toEqual([1, 2, 1, 3])
    expect(calls).toEqual([[1, 2], [3]])
  })

  it('load() returns the memoized promise for a repeated key across ticks', async () => {
    const [loader, calls] = idLoader<string>()
    await Promise.all([loader.load('A'), loader.load('B')])
    expect(await Promise.all([loader.load('A'), loader.load('C')])).toEqual(['A', 'C'])
    expect(await Promise.all([loader.load('A'), loader.load('B'), loader.load('C')])).toEqual(['A', 'B', 'C'])
    expect(calls).toEqual([['A', 'B'], ['C']])
  })

  // Timing verified against dataloader 2.2.3: a hit settles with the batch it was issued in
  // (one job after the fresh keys, since it adopts the memoized promise).
  it('load() settles a memo hit together with its batch, not before', async () => {
    let release = (): void => undefined
    const calls: number[][] = []
    const loader = new BatchLoader<number, number>((keys) => {
      calls.push([...keys])
      return new Promise((resolve) => (release = () => resolve(keys)))
    })
    loader.prime(1, 1)
    const settled: number[] = []
    void loader.load(1).then(() => settled.push(1))
    void loader.load(2).then(() => settled.push(2))
    await nextMacrotask()
    expect(settled).toEqual([])
    release()
    await nextMacrotask()
    expect(settled).toEqual([2, 1])
    expect(calls).toEqual([[2]])
  })

  it('load() with maxBatchSize 1 still holds a memo hit until the batch it joined settles (dataloader 2.2.3)', async () => {
    let release = (): void => undefined
    const loader = new BatchLoader<number, number>(
      (keys) => new Promise((resolve) => (release = () => resolve(keys))),
      { maxBatchSize: 1 },
    )
    loader.prime(1, 1)
    const settled: number[] = []
    void loader.load(1).then(() => settled.push(1))
    void loader.load(2).then(() => settled.push(2))
    await nextMacrotask()
    expect(settled).toEqual([])
    release()
    await nextMacrotask()
    expect(settled).toEqual([2, 1])
  })

  it('load() of only memoized keys resolves without calling the batch function', async () => {
    const [loader, calls] = idLoader<number>()
    loader.prime(1, 10).prime(2, 20)
    expect(await Promise.all([loader.load(1), loader.load(2)])).toEqual([10, 20])
    expect(calls).toEqual([])
  })

  it('load() rejects only the keys whose result is an Error and memoizes that error', async () => {
    const calls: number[][] = []
    const loader = new BatchLoader<number, number>((keys) => {
      calls.push([...keys])
      return Promise.resolve(keys.map((k) => (k % 2 === 0 ? k : new Error(`Odd: ${k}`))))
    })
    const [one, two] = [loader.load(1), loader.load(2)]
    expect(((await rejection(one)) as Error).message).toBe('Odd: 1')
    expect(await two).toBe(2)
    expect(((await rejection(loader.load(1))) as Error).message).toBe('Odd: 1')
    expect(calls).toEqual([[1, 2]])
  })

  it('load() rejects every key of a batch whose promise rejects, with the same error, and forgets them', async () => {
    const calls: number[][] = []
    const failure = new Error('I am a terrible loader')
    const loader = new BatchLoader<number, number>((keys) => {
      calls.push([...keys])
      return Promise.reject(failure)
    })
    const errors = await Promise.all([rejection(loader.load(1)), rejection(loader.load(2))])
    expect(errors).toEqual([failure, failure])
    expect(errors[0]).toBe(failure)
    await rejection(loader.load(1))
    expect(calls).toEqual([[1, 2], [1]])
  })

  it('load() rejects with a TypeError naming the cause when the batch function throws synchronously', async () => {
    const loader = new BatchLoader<number, number>(() => {
      throw new Error('boom')
    })
    const error = (await rejection(loader.load(1))) as TypeError
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toContain('threw synchronously instead of returning a Promise: Error: boom')
    expect((error.cause as Error).message).toBe('boom')
  })

  it('load() rejects with BATCH_RESULT_INVALID naming the loader and both lengths when the result is too short', async () => {
    const calls: number[][] = []
    const loader = new BatchLoader<number, number>(
      async (keys) => {
        calls.push([...keys])
        return keys.slice(1)
      },
      { name: 'users' },
    )
    const errors = await Promise.all([rejection(loader.load(1)), rejection(loader.load(2)), rejection(loader.load(3))])
    const error = errors[0] as PerfError
    expect(error).toBeInstanceOf(Error)
    expect(isPerfError(error, 'BATCH_RESULT_INVALID')).toBe(true)
    expect(error.message).toContain('"users"')
    expect(error.message).toContain('2 values for 3 keys')
    expect(error.context).toMatchObject({ loader: 'users', expected: 3, actual: 2 })
    expect(errors[1]).toBe(error)
    expect(errors[2]).toBe(error)
    // A failed batch is not memoized: the next load calls the batch function again.
    await rejection(loader.load(1))
    expect(calls).toEqual([[1, 2, 3], [1]])
  })

  it('load() rejects with BATCH_RESULT_INVALID when the batch function returns no promise or a non-array', async () => {
    const noPromise = new BatchLoader<number, number>((() => [1]) as never)
    const notArray = new BatchLoader<number, number>((async () => null) as never)
    for (const loader of [noPromise, notArray]) {
      const error = await rejection(loader.load(1))
      expect(isPerfError(error, 'BATCH_RESULT_INVALID')).toBe(true)
      expect((error as Error).message).toContain('(unnamed)')
    }
  })

  it('load() throws a TypeError synchronously for null and undefined keys but accepts 0', async () => {
    const [loader] = idLoader<number | null | undefined>()
    expect(() => loader.load(null)).toThrow(
      new TypeError('The loader.load() function must be called with a value, but got: null.'),
    )
    expect(() => loader.load(undefined)).toThrow('but got: undefined.')
    expect(await loader.load(0)).toBe(0)
  })

  it('loadMany() resolves to values and Error instances in key order and never rejects', async () => {
    const loader = new BatchLoader<string, string>((keys) =>
      Promise.resolve(keys.map((k) => (k === 'bad' ? new Error('Bad Key') : k))),
    )
    const values = await loader.loadMany(['a', 'b', 'bad'])
    expect(values.slice(0, 2)).toEqual(['a', 'b'])
    expect(values[2]).toBeInstanceOf(Error)
    expect((values[2] as Error).message).toBe('Bad Key')
    expect(await loader.loadMany([])).toEqual([])
    expect(() => loader.loadMany(1 as never)).toThrow(
      new TypeError('The loader.loadMany() function must be called with Array<key> but got: 1.'),
    )
  })

  it('loadMany() with cache: false repeats keys in the batch', async () => {
    const [loader, calls] = idLoader<string>({ cache: false })
    const values = await Promise.all([loader.load('A'), loader.load('C'), loader.loadMany(['C', 'A', 'A', 'B'])])
    expect(values).toEqual(['A', 'C', ['C', 'A', 'A', 'B']])
    expect(calls).toEqual([['A', 'C', 'C', 'A', 'A', 'B']])
  })

  it('clear() and clearAll() make the next load call the batch function again, and chain', async () => {
    const [loader, calls] = idLoader<string>()
    await Promise.all([loader.load('A'), loader.load('B')])
    expect(loader.clear('A')).toBe(loader)
    await Promise.all([loader.load('A'), loader.load('B')])
    expect(loader.clearAll()).toBe(loader)
    await Promise.all([loader.load('A'), loader.load('B')])
    expect(calls).toEqual([['A', 'B'], ['A'], ['A', 'B']])
  })

  it('prime() fills only missing keys, and clear().prime() overwrites', async () => {
    const [loader, calls] = idLoader<string>()
    expect(loader.prime('A', 'X')).toBe(loader)
    expect(await loader.load('A')).toBe('X')
    expect(await loader.load('B')).toBe('B')
    loader.prime('A', 'Y').prime('B', 'Y')
    expect([await loader.load('A'), await loader.load('B')]).toEqual(['X', 'B'])
    loader.clear('A').prime('A', 'Y')
    expect(await loader.load('A')).toBe('Y')
    expect(calls).toEqual([['B']])
  })

  it('prime() with an Error memoizes a rejection without an unhandled rejection', async () => {
    const [loader, calls] = idLoader<number>()
    loader.prime(1, new Error('Error: 1'))
    await nextMacrotask()
    expect(((await rejection(loader.load(1))) as Error).message).toBe('Error: 1')
    expect(calls).toEqual([])
  })

  it('cacheKeyFn maps equivalent object keys to one memo entry and is called with the loader as this', async () => {
    let that: unknown
    const [loader, calls] = idLoader<{ id: number }, string>({
      cacheKeyFn(this: unknown, key) {
        that = this
        return `id:${key.id}`
      },
    })
    const a = { id: 1 }
    const values = await Promise.all([loader.load(a), loader.load({ id: 1 })])
    expect(values[0]).toBe(a)
    expect(values[1]).toBe(a)
    loader.clear({ id: 1 })
    await loader.load({ id: 1 })
    expect(calls).toHaveLength(2)
    expect(that).toBe(loader)
  })

  it('cacheMap accepts a custom map, and null or cache: false disable memoization without touching it', async () => {
    const custom = new Map<string, Promise<string>>()
    const [loader, calls] = idLoader<string>({ cacheMap: custom })
    await loader.load('a')
    expect([...custom.keys()]).toEqual(['a'])
    loader.clearAll()
    expect(custom.size).toBe(0)

    const [noCache, noCacheCalls] = idLoader<string>({ cacheMap: null })
    await noCache.load('A')
    await noCache.load('A')
    expect(noCacheCalls).toEqual([['A'], ['A']])

    const existing = Promise.resolve('X')
    const untouched = new Map([['X', existing]])
    const [disabled] = idLoader<string>({ cache: false, cacheMap: untouched })
    disabled.prime('A', 'A').clear('X').clearAll()
    expect(untouched.get('A')).toBeUndefined()
    expect(untouched.get('X')).toBe(existing)
    expect(calls).toEqual([['a']])
  })

  it('batchScheduleFn controls dispatch and is called with the loader as this', () => {
    let callbacks: Array<() => void> = []
    let that: unknown
    const [loader, calls] = idLoader<string>({
      batchScheduleFn(this: unknown, callback) {
        that = this
        callbacks.push(callback)
      },
    })
    const dispatch = (): void => {
      for (const callback of callbacks) callback()
      callbacks = []
    }
    void loader.load('A')
    void loader.load('B')
    dispatch()
    void loader.load('A')
    void loader.load('C')
    dispatch()
    void loader.load('D')
    expect(calls).toEqual([['A', 'B'], ['C']])
    expect(that).toBe(loader)
  })

  it('calls the batch function with the loader as this, and exposes name (null by default)', async () => {
    let that: unknown
    const loader = new BatchLoader<number, number>(
      async function (this: unknown, keys) {
        that = this
        return keys
      },
      { name: 'ids' },
    )
    await loader.load(1)
    expect(that).toBe(loader)
    expect(loader.name).toBe('ids')
    expect(new BatchLoader<number, number>(async (k) => k).name).toBeNull()
  })

  it('a batch function that clears the memo during dispatch still gets deduplicated keys', async () => {
    const calls: string[][] = []
    const loader: BatchLoader<string, string> = new BatchLoader<string, string>((keys) => {
      loader.clearAll()
      calls.push([...keys])
      return Promise.resolve(keys)
    })
    expect(await Promise.all([loader.load('A'), loader.load('B'), loader.load('A')])).toEqual(['A', 'B', 'A'])
    expect(await Promise.all([loader.load('A'), loader.load('B'), loader.load('A')])).toEqual(['A', 'B', 'A'])
    expect(calls).toEqual([
      ['A', 'B'],
      ['A', 'B'],
    ])
  })

  it('concurrent waves of loads each make one batch call with exactly their new keys', async () => {
    const [loader, calls] = idLoader<number>()
    const waves = await Promise.all(
      [0, 1, 2].map(async (wave) => {
        await new Promise((resolve) => setTimeout(resolve, wave * 5))
        return Promise.all([wave * 10, wave * 10 + 1, 0].map((k) => loader.load(k)))
      }),
    )
    expect(waves).toEqual([
      [0, 1, 0],
      [10, 11, 0],
      [20, 21, 0],
    ])
    expect(calls).toEqual([
      [0, 1],
      [10, 11],
      [20, 21],
    ])
  })

  it('publishes one dispatch event per batch call on the perf:batch diagnostics channel', async () => {
    const events: unknown[] = []
    const listener = (message: unknown): void => void events.push(message)
    diagnosticsChannel.subscribe('perf:batch', listener)
    try {
      const [loader] = idLoader<number>({ name: 'ids', maxBatchSize: 2 })
      await Promise.all([1, 2, 3].map((k) => loader.load(k)))
    } finally {
      diagnosticsChannel.unsubscribe('perf:batch', listener)
    }
    expect(events).toEqual([
      { type: 'dispatch', loader: 'ids', size: 2 },
      { type: 'dispatch', loader: 'ids', size: 1 },
    ])
  })
})
