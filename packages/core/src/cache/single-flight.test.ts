import { describe, expect, it, vi } from 'vitest'
import { createCache } from './cache.js'
import { deferred } from './__tests__/helpers.js'

describe('Cache single-flight', () => {
  it('getOrSet() runs the loader once for 1000 concurrent callers of a missing key', async () => {
    const cache = createCache()
    const gate = deferred<{ v: number }>()
    const loader = vi.fn(() => gate.promise)
    const callers = Array.from({ length: 1000 }, () => cache.getOrSet('hot', loader))
    gate.resolve({ v: 7 })
    const results = await Promise.all(callers)
    expect(loader).toHaveBeenCalledTimes(1)
    expect(results.every((r) => r.v === 7)).toBe(true)
    // every caller owns its copy
    expect(new Set(results).size).toBe(1000)
  })

  it('getOrSet() gives every concurrent caller the same error and does not cache the failure', async () => {
    const cache = createCache()
    const gate = deferred<number>()
    const loader = vi.fn(() => gate.promise)
    const callers = Array.from({ length: 50 }, () =>
      cache.getOrSet('bad', loader).then(
        () => 'ok',
        (e: Error) => e,
      ),
    )
    const boom = new Error('db down')
    gate.reject(boom)
    const results = await Promise.all(callers)
    expect(results.every((r) => r === boom)).toBe(true)
    expect(loader).toHaveBeenCalledTimes(1)
    expect(await cache.getOrSet('bad', () => 5)).toBe(5)
    expect(cache.stats().loadErrors).toBe(1)
  })

  it('different keys load independently and concurrently', async () => {
    const cache = createCache()
    const gates = [deferred<number>(), deferred<number>()]
    const p0 = cache.getOrSet('k0', () => gates[0]!.promise)
    const p1 = cache.getOrSet('k1', () => gates[1]!.promise)
    gates[1]!.resolve(1)
    expect(await p1).toBe(1)
    gates[0]!.resolve(0)
    expect(await p0).toBe(0)
  })

  it('a caller signal aborts only that caller; the shared load completes for the others', async () => {
    const cache = createCache()
    const gate = deferred<number>()
    const controller = new AbortController()
    const aborted = cache.getOrSet('sig', () => gate.promise, { signal: controller.signal })
    const other = cache.getOrSet('sig', () => gate.promise)
    controller.abort()
    await expect(aborted).rejects.toThrow(/aborted/)
    gate.resolve(3)
    expect(await other).toBe(3)
    expect(await cache.get('sig')).toBe(3)
  })
})
