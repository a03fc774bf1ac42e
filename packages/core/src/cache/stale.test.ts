import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isPerfError } from '../errors.js'
import { createCache } from './cache.js'
import { deferred } from './__tests__/helpers.js'

beforeEach(() => {
  vi.useFakeTimers({ now: 10_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('Cache stale-while-revalidate, grace and timeouts', () => {
  it('within swr a stale value is returned at once and refreshed once in the background', async () => {
    const cache = createCache()
    let version = 1
    const loader = vi.fn(async () => version)
    await cache.getOrSet('s', loader, { ttl: 1_000, swr: 5_000 })
    await vi.advanceTimersByTimeAsync(1_500)
    version = 2
    const gate = deferred<number>()
    loader.mockImplementation(() => gate.promise)
    const stale = await Promise.all([
      cache.getOrSet('s', loader, { ttl: 1_000, swr: 5_000, meta: true }),
      cache.getOrSet('s', loader, { ttl: 1_000, swr: 5_000 }),
    ])
    expect(stale[0].value).toBe(1)
    expect(stale[0].meta.status).toBe('stale')
    expect(stale[1]).toBe(1)
    expect(loader).toHaveBeenCalledTimes(2)
    gate.resolve(2)
    await vi.advanceTimersByTimeAsync(0)
    expect(await cache.getOrSet('s', loader, { ttl: 1_000, swr: 5_000 })).toBe(2)
    expect(loader).toHaveBeenCalledTimes(2)
    expect(cache.stats().staleHits).toBe(2)
  })

  it('past swr the caller waits for the fresh value', async () => {
    const cache = createCache()
    await cache.getOrSet('s', () => 1, { ttl: 1_000, swr: 1_000 })
    await vi.advanceTimersByTimeAsync(2_500)
    expect(await cache.getOrSet('s', () => 2, { ttl: 1_000, swr: 1_000 })).toBe(2)
  })

  it('within grace a failing loader yields the stale value and the error in meta', async () => {
    const cache = createCache()
    await cache.getOrSet('g', () => 'old', { ttl: 1_000, grace: 60_000 })
    await vi.advanceTimersByTimeAsync(5_000)
    const boom = new Error('db down')
    const result = await cache.getOrSet('g', () => Promise.reject(boom), { ttl: 1_000, grace: 60_000, meta: true })
    expect(result.value).toBe('old')
    expect(result.meta.status).toBe('grace')
    expect(result.meta.error).toBe(boom)
    expect(cache.stats().loadErrors).toBe(1)
    expect(cache.stats().graceHits).toBe(1)
  })

  it('after a failure the loader is not called again during failureBackoff; after it, it is', async () => {
    const cache = createCache()
    await cache.getOrSet('f', () => 'old', { ttl: 1_000, grace: 60_000 })
    await vi.advanceTimersByTimeAsync(2_000)
    const failing = vi.fn(() => Promise.reject(new Error('down')))
    const opts = { ttl: 1_000, grace: 60_000, failureBackoff: 5_000 }
    expect(await cache.getOrSet('f', failing, opts)).toBe('old')
    expect(await cache.getOrSet('f', failing, opts)).toBe('old')
    await vi.advanceTimersByTimeAsync(4_000)
    expect(await cache.getOrSet('f', failing, opts)).toBe('old')
    expect(failing).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1_001)
    expect(await cache.getOrSet('f', () => 'new', opts)).toBe('new')
  })

  it('without a grace value the loader error reaches the caller', async () => {
    const cache = createCache()
    await expect(cache.getOrSet('x', () => Promise.reject(new Error('nope')))).rejects.toThrow('nope')
  })

  it('soft timeout serves the stale value when the loader is slow and caches the late result', async () => {
    const cache = createCache()
    await cache.getOrSet('t', () => 'old', { ttl: 1_000, grace: 60_000 })
    await vi.advanceTimersByTimeAsync(2_000)
    const gate = deferred<string>()
    const pending = cache.getOrSet('t', () => gate.promise, { ttl: 1_000, grace: 60_000, timeout: 100, meta: true })
    await vi.advanceTimersByTimeAsync(100)
    const result = await pending
    expect(result.value).toBe('old')
    expect(result.meta.status).toBe('stale')
    gate.resolve('new')
    await vi.advanceTimersByTimeAsync(0)
    expect(await cache.get('t')).toBe('new')
  })

  it('hard timeout rejects with LOADER_TIMEOUT and aborts the loader signal', async () => {
    const cache = createCache()
    let signal: AbortSignal | undefined
    const pending = cache.getOrSet(
      'h',
      (ctx) => {
        signal = ctx.signal
        return new Promise(() => undefined)
      },
      { hardTimeout: 200 },
    )
    const assertion = expect(pending).rejects.toSatisfy((e: unknown) => isPerfError(e, 'LOADER_TIMEOUT'))
    await vi.advanceTimersByTimeAsync(200)
    await assertion
    expect(signal?.aborted).toBe(true)
  })

  it('hard timeout with a grace value serves the grace value', async () => {
    const cache = createCache()
    await cache.getOrSet('hg', () => 'old', { ttl: 1_000, grace: 60_000 })
    await vi.advanceTimersByTimeAsync(2_000)
    const pending = cache.getOrSet('hg', () => new Promise<string>(() => undefined), {
      ttl: 1_000,
      grace: 60_000,
      hardTimeout: 50,
    })
    await vi.advanceTimersByTimeAsync(50)
    expect(await pending).toBe('old')
  })

  it('maxStaleMs bounds swr and grace', async () => {
    const cache = createCache({ maxStaleMs: 2_000 })
    await cache.getOrSet('b', () => 'old', { ttl: 1_000, grace: 60_000 })
    await vi.advanceTimersByTimeAsync(3_500)
    await expect(
      cache.getOrSet('b', () => Promise.reject(new Error('down')), { ttl: 1_000, grace: 60_000 }),
    ).rejects.toThrow('down')
  })

  it('loader context can change ttl, add tags and skip caching', async () => {
    const cache = createCache()
    await cache.getOrSet('ctx', (ctx) => {
      ctx.setTtl(50)
      ctx.addTags(['late'])
      return 1
    })
    await cache.invalidateTags('late')
    expect(await cache.get('ctx')).toBeUndefined()
    await cache.getOrSet('skip', (ctx) => {
      ctx.skip()
      return 1
    })
    expect(await cache.get('skip')).toBeUndefined()
  })
})
