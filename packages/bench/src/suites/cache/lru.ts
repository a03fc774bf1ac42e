import { LRUCache } from 'lru-cache'
import type { CoreApi, StoreEntryLike } from '../../core.js'
import type { CaseResult } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'
import { accessOrder, KEY_COUNT, ORDER_MASK, TTL_MS, userKey, userRow } from './data.js'

/** Pre-built StoreEntry objects, so both LRUs store and return the same objects: we compare the LRU itself. */
function entries(count: number): { keys: string[]; values: StoreEntryLike[] } {
  const now = Date.now()
  const keys: string[] = []
  const values: StoreEntryLike[] = []
  for (let i = 0; i < count; i++) {
    keys.push(userKey(i))
    values.push({ value: userRow(i), createdAt: now, staleAt: now + TTL_MS, expiresAt: now + TTL_MS })
  }
  return { keys, values }
}

/** MemoryStore vs lru-cache: get hits over 10k keys, then set (update and insert + evict). */
export async function lruCases(
  ctx: SuiteContext,
  core: Pick<CoreApi, 'MemoryStore'>,
): Promise<{ get: Map<string, CaseResult> }> {
  const { keys, values } = entries(2 * KEY_COUNT)
  const hitOrder = accessOrder(KEY_COUNT, 1)
  const store = new core.MemoryStore({ maxEntries: KEY_COUNT })
  const lru = new LRUCache<string, StoreEntryLike>({ max: KEY_COUNT })
  const lruTtl = new LRUCache<string, StoreEntryLike>({ max: KEY_COUNT, ttl: TTL_MS })
  for (let i = 0; i < KEY_COUNT; i++) {
    store.set(keys[i] as string, values[i] as StoreEntryLike)
    lru.set(keys[i] as string, values[i] as StoreEntryLike)
    lruTtl.set(keys[i] as string, values[i] as StoreEntryLike)
  }
  const miss = (name: string) => new Error(`[bench] ${name} missed a key that must be present`)

  let c1 = 0
  let c2 = 0
  let c3 = 0
  const get = await ctx.compare(
    'MemoryStore vs lru-cache — get (hit), 10k keys',
    [
      {
        name: 'lru-cache get',
        run(n) {
          for (let i = 0; i < n; i++)
            if (lru.get(keys[hitOrder[c1++ & ORDER_MASK] as number] as string) === undefined) throw miss('lru-cache')
        },
      },
      {
        name: 'lru-cache get (ttl set)',
        run(n) {
          for (let i = 0; i < n; i++)
            if (lruTtl.get(keys[hitOrder[c2++ & ORDER_MASK] as number] as string) === undefined)
              throw miss('lru-cache (ttl)')
        },
      },
      {
        name: 'MemoryStore get',
        run(n) {
          for (let i = 0; i < n; i++)
            if (store.get(keys[hitOrder[c3++ & ORDER_MASK] as number] as string) === undefined)
              throw miss('MemoryStore')
        },
      },
    ],
    {
      baseline: 'lru-cache get',
      note: `Keys drawn uniformly at random (seeded) from 10,000 present keys; values are pre-built StoreEntry objects wrapping ~110-byte rows, the same objects in every store. MemoryStore checks each entry's expiry on get, like lru-cache with \`ttl\` set; plain lru-cache does not.`,
    },
  )

  await setCases(ctx, core, keys, values)
  store.close()
  return { get }
}

async function setCases(
  ctx: SuiteContext,
  core: Pick<CoreApi, 'MemoryStore'>,
  keys: string[],
  values: StoreEntryLike[],
): Promise<void> {
  const updateOrder = accessOrder(KEY_COUNT, 2)
  const insertOrder = accessOrder(2 * KEY_COUNT, 3)
  const store = new core.MemoryStore({ maxEntries: KEY_COUNT })
  const lru = new LRUCache<string, StoreEntryLike>({ max: KEY_COUNT })
  const storeEvict = new core.MemoryStore({ maxEntries: KEY_COUNT })
  const lruEvict = new LRUCache<string, StoreEntryLike>({ max: KEY_COUNT })
  for (let i = 0; i < KEY_COUNT; i++) {
    for (const s of [store, storeEvict]) s.set(keys[i] as string, values[i] as StoreEntryLike)
    for (const l of [lru, lruEvict]) l.set(keys[i] as string, values[i] as StoreEntryLike)
  }
  let c1 = 0
  let c2 = 0
  let c3 = 0
  let c4 = 0
  const note =
    "Update: random keys among the 10,000 present ones. Insert + evict: random keys among 20,000 with room for 10,000, so about half the sets insert a key and evict the least recently used one. MemoryStore also estimates each entry's size on set (its `maxBytes` bound); lru-cache is used without `maxSize`."
  await ctx.compare(
    'MemoryStore vs lru-cache — set',
    [
      {
        name: 'lru-cache set (update)',
        run(n) {
          for (let i = 0; i < n; i++) {
            const k = updateOrder[c1++ & ORDER_MASK] as number
            lru.set(keys[k] as string, values[k] as StoreEntryLike)
          }
        },
      },
      {
        name: 'MemoryStore set (update)',
        run(n) {
          for (let i = 0; i < n; i++) {
            const k = updateOrder[c2++ & ORDER_MASK] as number
            store.set(keys[k] as string, values[k] as StoreEntryLike)
          }
        },
      },
      {
        name: 'lru-cache set (insert + evict)',
        run(n) {
          for (let i = 0; i < n; i++) {
            const k = insertOrder[c3++ & ORDER_MASK] as number
            lruEvict.set(keys[k] as string, values[k] as StoreEntryLike)
          }
        },
      },
      {
        name: 'MemoryStore set (insert + evict)',
        run(n) {
          for (let i = 0; i < n; i++) {
            const k = insertOrder[c4++ & ORDER_MASK] as number
            storeEvict.set(keys[k] as string, values[k] as StoreEntryLike)
          }
        },
      },
    ],
    { baseline: 'lru-cache set (update)', note },
  )
  store.close()
  storeEvict.close()
}
