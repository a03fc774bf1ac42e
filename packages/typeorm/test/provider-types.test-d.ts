import { createCache } from '@perf/core'
import type * as typeorm1 from 'typeorm'
import type * as typeorm03 from 'typeorm03'
import { expectTypeOf, test } from 'vitest'
import { queryResultCache } from '../src/index.js'

test('queryResultCache() fits the cache.provider option of both TypeORM lines without a cast', () => {
  const cache = createCache()
  const on1: typeorm1.DataSourceOptions['cache'] = { provider: () => queryResultCache(cache) }
  const on03: typeorm03.DataSourceOptions['cache'] = { provider: () => queryResultCache(cache) }
  expectTypeOf(on1).not.toBeUndefined()
  expectTypeOf(on03).not.toBeUndefined()
})
