import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { createCache as createCacheManager } from 'cache-manager'
import type { CoreApi } from '../../core.js'
import type { CaseResult } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'
import { accessOrder, KEY_COUNT, ORDER_MASK, TTL_MS, userKey, userRow, type UserRow } from './data.js'

/** A loader that must never run: every key is present before the measurement. */
function neverLoaded(): UserRow {
  throw new Error('[bench] a hit benchmark called its loader: the key was missing')
}

/**
 * getOrSet on a present key (an L1 hit) through our cache, bentocache (memory only) and
 * cache-manager v7 (`wrap` and plain `get`). All three hand the caller an isolated copy by
 * default: ours deep-copies (isolate: true), bentocache's memory driver and cache-manager's Keyv
 * store serialize.
 */
export async function hitCases(
  ctx: SuiteContext,
  core: Pick<CoreApi, 'createCache'>,
): Promise<Map<string, CaseResult>> {
  const keys = Array.from({ length: KEY_COUNT }, (_, i) => userKey(i))
  const order = accessOrder(KEY_COUNT, 4)
  const ours = core.createCache()
  const oursShared = core.createCache({ isolate: false })
  const bento = new BentoCache({
    default: 'memory',
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 2 * KEY_COUNT })) },
  })
  const cm = createCacheManager({ ttl: TTL_MS })
  for (let i = 0; i < KEY_COUNT; i++) {
    const key = keys[i] as string
    await ours.set(key, userRow(i), { ttl: TTL_MS })
    await oursShared.set(key, userRow(i), { ttl: TTL_MS })
    await bento.set({ key, value: userRow(i), ttl: TTL_MS })
    await cm.set(key, userRow(i), TTL_MS)
  }
  const check = (row: UserRow | undefined, name: string) => {
    if (row === undefined || typeof row.id !== 'number')
      throw new Error(`[bench] ${name} returned ${String(row)} for a present key`)
  }
  let c1 = 0
  let c2 = 0
  let c3 = 0
  let c4 = 0
  let c5 = 0
  let c6 = 0
  const key = (c: number) => keys[order[c & ORDER_MASK] as number] as string
  const results = await ctx.compare(
    'getOrSet hit (L1 / memory), 10k keys, ~110-byte rows',
    [
      {
        name: 'cache-manager get',
        async run(n) {
          for (let i = 0; i < n; i++) check(await cm.get<UserRow>(key(c1++)), 'cache-manager get')
        },
        once: () => cm.get(key(c1++)),
      },
      {
        name: 'cache-manager wrap',
        async run(n) {
          for (let i = 0; i < n; i++) check(await cm.wrap(key(c2++), neverLoaded, TTL_MS), 'cache-manager wrap')
        },
        once: () => cm.wrap(key(c2++), neverLoaded, TTL_MS),
      },
      {
        name: 'bentocache getOrSet',
        async run(n) {
          for (let i = 0; i < n; i++)
            check(await bento.getOrSet({ key: key(c3++), factory: neverLoaded, ttl: TTL_MS }), 'bentocache')
        },
        once: () => bento.getOrSet({ key: key(c3++), factory: neverLoaded, ttl: TTL_MS }),
      },
      {
        name: '@perf getOrSet',
        async run(n) {
          for (let i = 0; i < n; i++)
            check(await ours.getOrSet(key(c4++), neverLoaded, { ttl: TTL_MS }), '@perf getOrSet')
        },
        once: () => ours.getOrSet(key(c4++), neverLoaded, { ttl: TTL_MS }),
      },
      {
        name: '@perf get',
        async run(n) {
          for (let i = 0; i < n; i++) check(await ours.get<UserRow>(key(c5++)), '@perf get')
        },
        once: () => ours.get(key(c5++)),
      },
      {
        name: '@perf getOrSet (isolate: false)',
        async run(n) {
          for (let i = 0; i < n; i++)
            check(await oursShared.getOrSet(key(c6++), neverLoaded, { ttl: TTL_MS }), '@perf getOrSet (isolate: false)')
        },
        once: () => oursShared.getOrSet(key(c6++), neverLoaded, { ttl: TTL_MS }),
      },
    ],
    {
      baseline: 'cache-manager get',
      note: 'Every call awaits its promise. Defaults everywhere: @perf `createCache()` (one MemoryStore tier, isolate: true, so each hit returns a deep copy), bentocache with a memory-only store (driver serializes by default), cache-manager v7 with its default Keyv in-memory store (serializes). The `isolate: false` row shows what result isolation costs.',
    },
  )
  await Promise.all([ours.close(), oursShared.close(), bento.disconnectAll(), cm.disconnect()])
  return results
}
