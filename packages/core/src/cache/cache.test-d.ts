import { describe, expectTypeOf, it } from 'vitest'
import { createCache } from './cache.js'
import type { CacheMeta, WithMeta } from './types.js'

describe('Cache types', () => {
  it('getOrSet() infers the loader result type, sync or async', () => {
    const cache = createCache()
    expectTypeOf(cache.getOrSet('k', async () => ({ id: 1 }))).toEqualTypeOf<Promise<{ id: number }>>()
    expectTypeOf(cache.getOrSet('k', () => 'x')).toEqualTypeOf<Promise<string>>()
  })

  it('getOrSet() with { meta: true } resolves { value, meta }', () => {
    const cache = createCache()
    const result = cache.getOrSet('k', async () => 1, { meta: true })
    expectTypeOf(result).toEqualTypeOf<Promise<WithMeta<number>>>()
    expectTypeOf<Awaited<typeof result>['meta']>().toEqualTypeOf<CacheMeta>()
  })

  it('get() returns T | undefined and needs the type from the caller', () => {
    const cache = createCache()
    expectTypeOf(cache.get<{ a: string }>('k')).toEqualTypeOf<Promise<{ a: string } | undefined>>()
    expectTypeOf(cache.get<number>('k', { meta: true })).toEqualTypeOf<Promise<WithMeta<number> | undefined>>()
  })

  it('loader context is typed', () => {
    const cache = createCache()
    void cache.getOrSet('k', (ctx) => {
      expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
      expectTypeOf(ctx.setTtl).parameter(0).toEqualTypeOf<number | string>()
      return 1
    })
  })
})
