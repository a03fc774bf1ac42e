import { setTimeout as sleep } from 'node:timers/promises'
import { performance } from 'node:perf_hooks'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { createCache as createCacheManager } from 'cache-manager'
import type { CoreApi } from '../../core.js'
import { formatNs } from '../../harness/format.js'
import { median } from '../../harness/stats.js'
import type { SuiteContext } from '../../harness/suite.js'
import { TTL_MS, userRow, type UserRow } from './data.js'

const CALLERS = 1000
const LOADER_MS = 20
const KEY = 'stampede:1'

/** One contender: a fresh cache per round, and a function that reads KEY through it with `load` on a miss. */
interface Contender {
  name: string
  create(): { read(load: () => Promise<UserRow>): Promise<UserRow | undefined>; close(): Promise<unknown> }
}

/**
 * 1000 concurrent reads of one missing key with a 20 ms loader: how many times does the loader
 * run? Counts loader calls and the time until every caller has its value.
 */
export async function stampedeCases(
  ctx: SuiteContext,
  core: Pick<CoreApi, 'createCache'>,
): Promise<Map<string, number>> {
  const contenders: Contender[] = [
    {
      name: '@perf getOrSet',
      create() {
        const cache = core.createCache()
        return { read: (load) => cache.getOrSet(KEY, load, { ttl: TTL_MS }), close: () => cache.close() }
      },
    },
    {
      name: 'bentocache getOrSet',
      create() {
        const bento = new BentoCache({
          default: 'memory',
          stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: 1000 })) },
        })
        return {
          read: (load) => bento.getOrSet({ key: KEY, factory: load, ttl: TTL_MS }),
          close: () => bento.disconnectAll(),
        }
      },
    },
    {
      name: 'cache-manager wrap',
      create() {
        const cm = createCacheManager({ ttl: TTL_MS })
        return { read: (load) => cm.wrap(KEY, load, TTL_MS), close: () => cm.disconnect() }
      },
    },
    {
      name: 'naive cache-aside (get → load → set)',
      create() {
        // The pattern most code starts with; cache-manager's get/set as the store.
        const cm = createCacheManager({ ttl: TTL_MS })
        const read = async (load: () => Promise<UserRow>) => {
          let value = await cm.get<UserRow>(KEY)
          if (value === undefined) {
            value = await load()
            await cm.set(KEY, value, TTL_MS)
          }
          return value
        }
        return { read, close: () => cm.disconnect() }
      },
    },
  ]
  const rounds = ctx.size(5, 1)
  const rows: string[][] = []
  const calls = new Map<string, number>()
  for (const contender of contenders) {
    const times: number[] = []
    let maxCalls = 0
    for (let r = 0; r < rounds; r++) {
      const cache = contender.create()
      let loaderCalls = 0
      const load = async () => {
        loaderCalls++
        await sleep(LOADER_MS)
        return userRow(42)
      }
      const start = performance.now()
      const values = await Promise.all(Array.from({ length: CALLERS }, () => cache.read(load)))
      times.push((performance.now() - start) * 1e6)
      if (values.some((v) => v?.id !== 42)) throw new Error(`[bench] ${contender.name}: a caller got a wrong value`)
      maxCalls = Math.max(maxCalls, loaderCalls)
      await cache.close()
    }
    calls.set(contender.name, maxCalls)
    rows.push([contender.name, String(maxCalls), formatNs(median(times))])
  }
  ctx.table({
    title: `Stampede — ${CALLERS} concurrent reads of one missing key, ${LOADER_MS} ms loader`,
    headers: ['contender', 'loader calls', 'time until all resolved (median)'],
    rows,
    note: `A fresh cache per round, ${rounds} round(s); loader calls is the largest count seen in any round. Every caller's value is checked.`,
  })
  return calls
}
