import { describe, expect, it } from 'vitest'
import { isPerfError, type PerfErrorCode } from '../errors.js'
import { createCache } from './cache.js'
import type { CacheEvent } from './types.js'

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
    expect(await cache.getMany(['f', 's', 'c'])).toEqual([undefined, undefined, undefined])
  })

  it('getOrSet fails open once: an unstorable loaded value is served as loaded, uncached, counted and reported', async () => {
    const events: CacheEvent[] = []
    const cache = createCache({ onEvent: (e) => events.push(e) })
    let calls = 0
    const fn = () => 1
    const loader = () => {
      calls++
      return { fn }
    }
    // Three concurrent callers share one load; none of them re-runs it.
    const [a, b, c] = await Promise.all([
      cache.getOrSet('g', loader),
      cache.getOrSet('g', loader),
      cache.getOrSet('g', loader),
    ])
    expect(calls).toBe(1)
    expect(a).toEqual({ fn })
    expect(a.fn).toBe(fn)
    expect(b).toBe(a)
    expect(c).toBe(a)
    expect(cache.stats().unstorable).toBe(1)
    const reported = events.filter((e) => e.type === 'unstorable')
    expect(reported).toHaveLength(1)
    expect(reported[0]).toMatchObject({ key: 'g', namespace: 'app' })
    expect(isPerfError((reported[0] as { error: unknown }).error, 'UNSERIALIZABLE_VALUE')).toBe(true)
    // Nothing was stored: the next call loads again.
    expect(await cache.get('g')).toBeUndefined()
    const withMeta = await cache.getOrSet('g', loader, { meta: true })
    expect(calls).toBe(2)
    expect(withMeta.meta.status).toBe('miss')
    expect(isPerfError(withMeta.meta.error, 'UNSERIALIZABLE_VALUE')).toBe(true)
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

describe('Cache arguments of the wrong type (@see issue 9, item 7: these threw plain TypeErrors)', () => {
  it('every public method rejects a bad argument with a PerfError that has a code', async () => {
    const cache = createCache()
    const cases: [string, () => Promise<unknown>, string][] = [
      ['delete(123)', () => cache.delete(123 as never), 'INVALID_ARGUMENT'],
      ['delete([1])', () => cache.delete([1] as never), 'INVALID_KEY'],
      ['delete(null)', () => cache.delete(null as never), 'INVALID_ARGUMENT'],
      ['invalidateTags({})', () => cache.invalidateTags({} as never), 'INVALID_ARGUMENT'],
      ['invalidateTags([null])', () => cache.invalidateTags([null] as never), 'INVALID_ARGUMENT'],
      ['getMany("k")', () => cache.getMany('k' as never), 'INVALID_ARGUMENT'],
      ['getMany(42)', () => cache.getMany(42 as never), 'INVALID_ARGUMENT'],
      ['getMany([{}])', () => cache.getMany([{}] as never), 'INVALID_KEY'],
      ['getOrSet with a BigInt ttl', () => cache.getOrSet('k', () => 1, { ttl: 10n as never }), 'INVALID_TTL'],
      ['set with a Symbol ttl', () => cache.set('k', 1, { ttl: Symbol('x') as never }), 'INVALID_TTL'],
      [
        'set of a value with a throwing getter',
        () =>
          cache.set('k', {
            get boom() {
              throw new Error('getter')
            },
          }),
        'UNSERIALIZABLE_VALUE',
      ],
      [
        'set of a revoked proxy',
        () => {
          const { proxy, revoke } = Proxy.revocable({}, {})
          revoke()
          return cache.set('k', proxy)
        },
        'UNSERIALIZABLE_VALUE',
      ],
      ['getOrSet with a lone-surrogate key', () => cache.getOrSet('user:\uD800', () => 1), 'INVALID_KEY'],
      [
        'getOrSet with a lone-surrogate tag',
        () => cache.getOrSet('k', () => 1, { tags: ['t\uDC00'] }),
        'INVALID_ARGUMENT',
      ],
    ]
    for (const [name, call, code] of cases) {
      let error: unknown
      try {
        await call()
      } catch (e) {
        error = e
      }
      expect(isPerfError(error), `${name} threw ${String(error)}`).toBe(true)
      expect((error as { code: string }).code, name).toBe(code)
    }
  })
})
