import { describe, expect, it } from 'vitest'
import { isPerfError, type PerfErrorCode } from '../errors.js'
import { createCache } from './cache.js'

async function code(p: Promise<unknown>): Promise<PerfErrorCode | 'none'> {
  try {
    await p
    return 'none'
  } catch (e) {
    return isPerfError(e) ? e.code : 'none'
  }
}

describe('Cache bad input', () => {
  it('rejects negative, NaN and unparsable TTLs with INVALID_TTL naming the option', async () => {
    const cache = createCache()
    expect(await code(cache.getOrSet('k', () => 1, { ttl: -1 }))).toBe('INVALID_TTL')
    expect(await code(cache.getOrSet('k', () => 1, { ttl: Number.NaN }))).toBe('INVALID_TTL')
    expect(await code(cache.set('k', 1, { swr: 'soon' }))).toBe('INVALID_TTL')
    await expect(cache.getOrSet('k', () => 1, { grace: -5 })).rejects.toThrow(/grace/)
  })

  it('rejects empty and oversized keys', async () => {
    const cache = createCache({ maxKeyLength: 10 })
    expect(await code(cache.getOrSet('', () => 1))).toBe('INVALID_KEY')
    expect(await code(cache.get(undefined as unknown as string))).toBe('INVALID_KEY')
    expect(await code(cache.set('x'.repeat(11), 1))).toBe('KEY_TOO_LONG')
  })

  it('rejects values the codec cannot encode and writes nothing', async () => {
    const cache = createCache()
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(await code(cache.set('f', { fn: () => 1 }))).toBe('UNSERIALIZABLE_VALUE')
    expect(await code(cache.set('s', Symbol('x')))).toBe('UNSERIALIZABLE_VALUE')
    expect(await code(cache.set('c', cyclic))).toBe('UNSERIALIZABLE_VALUE')
    expect(await code(cache.getOrSet('g', () => ({ fn: () => 1 })))).toBe('UNSERIALIZABLE_VALUE')
    expect(await cache.getMany(['f', 's', 'c', 'g'])).toEqual([undefined, undefined, undefined, undefined])
  })

  it('validates construction options with INVALID_OPTION', () => {
    const bad: [string, object][] = [
      ['defaultTtl', { defaultTtl: -1 }],
      ['namespace', { namespace: '' }],
      ['maxKeyLength', { maxKeyLength: 0 }],
      ['tiers', { tiers: [{}] }],
      ['tierTimeout', { tierTimeout: 'never' }],
    ]
    for (const [name, options] of bad) {
      let error: unknown
      try {
        createCache(options)
      } catch (e) {
        error = e
      }
      expect(isPerfError(error, 'INVALID_OPTION'), name).toBe(true)
      expect(String((error as Error).message)).toContain(name)
    }
  })

  it('rejects invalid tags with INVALID_ARGUMENT', async () => {
    const cache = createCache()
    expect(await code(cache.set('k', 1, { tags: [''] }))).toBe('INVALID_ARGUMENT')
    expect(await code(cache.invalidateTags([3 as unknown as string]))).toBe('INVALID_ARGUMENT')
  })
})
