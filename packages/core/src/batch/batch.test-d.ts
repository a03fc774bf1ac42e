import { describe, expectTypeOf, it } from 'vitest'
import { BatchLoader } from './batch-loader.js'
import { batches } from './batches.js'
import { retry } from './retry.js'

interface User {
  id: number
  name: string
}

describe('batch module types', () => {
  it('BatchLoader<K, V, C> types load, loadMany, prime and cacheKeyFn like dataloader', () => {
    const users = new BatchLoader<{ id: number }, User, string>(
      async (keys) => keys.map((k) => ({ id: k.id, name: '' })),
      {
        cacheKeyFn: (key) => {
          expectTypeOf(key).toEqualTypeOf<{ id: number }>()
          return String(key.id)
        },
      },
    )
    expectTypeOf(users.load({ id: 1 })).toEqualTypeOf<Promise<User>>()
    expectTypeOf(users.loadMany([{ id: 1 }])).toEqualTypeOf<Promise<Array<User | Error>>>()
    expectTypeOf(users.prime).parameter(1).toEqualTypeOf<User | PromiseLike<User> | Error>()
    expectTypeOf(users.clear({ id: 1 })).toEqualTypeOf<typeof users>()
    expectTypeOf(users.name).toEqualTypeOf<string | null>()
    // @ts-expect-error the key type is enforced
    void users.load(1)
    // @ts-expect-error cacheKeyFn must return the cache key type C
    void new BatchLoader<number, User, string>(async () => [], { cacheKeyFn: (key: number) => key })
  })

  it('batch functions may answer per key with an Error', () => {
    const loader = new BatchLoader<number, string>(async (keys) =>
      keys.map((k) => (k > 0 ? String(k) : new Error('bad'))),
    )
    expectTypeOf(loader.load(1)).toEqualTypeOf<Promise<string>>()
  })

  it('batches() infers the item type from sync and async sources', () => {
    async function* rows(): AsyncGenerator<User> {
      yield { id: 1, name: 'a' }
    }
    void batches(
      rows(),
      (items, context) => {
        expectTypeOf(items).toEqualTypeOf<User[]>()
        expectTypeOf(context.batchIndex).toEqualTypeOf<number>()
        expectTypeOf(context.signal).toEqualTypeOf<AbortSignal>()
      },
      { size: 10 },
    )
    void batches(
      new Set(['a']),
      (items) => {
        expectTypeOf(items).toEqualTypeOf<string[]>()
      },
      { size: 10 },
    ).then((result) => expectTypeOf(result.failed[0]?.items).toEqualTypeOf<string[] | undefined>())
  })

  it('retry() resolves to what fn returns', () => {
    expectTypeOf(retry(async () => 42)).toEqualTypeOf<Promise<number>>()
    expectTypeOf(retry(() => 'sync')).toEqualTypeOf<Promise<string>>()
  })
})
