import { createCache, createCodec, type Cache } from '@perf/core'
import type { Redis } from 'ioredis'
import { formatNs } from '../../harness/format.js'
import type { BenchCase, CaseResult } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'
import { accessOrder, ORDER_MASK, userRow, type UserRow } from '../cache/data.js'
import { cpuTable } from './cpu.js'
import { CONCURRENCY } from './hits.js'
import { concurrently, serverTime, TTL_MS, type RedisRun } from './setup.js'

type PerfRedis = typeof import('@perf/redis')

/** The command a store sent, captured by {@link spyOn}. */
type Captured = unknown[] | undefined

/**
 * A view of `client` that records the last `evalshaBuffer` arguments (the store's EVALSHA), so the
 * suite can replay exactly the command the store sends without knowing its script.
 */
function spyOn(client: Redis): { client: Redis; last: () => Captured } {
  let captured: Captured
  const proxy = new Proxy(client, {
    get(target, property) {
      if (property === 'evalshaBuffer') {
        const evalshaBuffer = (target as unknown as Record<string, (...a: unknown[]) => unknown>).evalshaBuffer as (...a: unknown[]) => unknown
        return (...args: unknown[]) => {
          captured = ['evalsha', ...args]
          return evalshaBuffer.apply(target, args)
        }
      }
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
  return { client: proxy, last: () => captured }
}

export const BREAKDOWN_RAW = 'ioredis GET + JSON.parse (as above)'

/**
 * Where the time of an L2 hit goes, layer by layer, each measured on its own in one table:
 * the round trip (GET), the same hash read without Lua (HMGET), the store's Lua script sent raw,
 * RedisStore.get (script + deadline + decode), then the cache engine (get, getOrSet). Then the
 * synchronous client costs (decode, clone) and the server's own time per command.
 */
export async function breakdownCases(ctx: SuiteContext, run: RedisRun, redis: PerfRedis, keys: readonly string[], cache: Cache): Promise<Map<string, CaseResult>> {
  const plain = await run.client()
  const prefix = `${run.prefix}perf:`
  const spy = spyOn(plain)
  const store = redis.redisStore(spy.client, { prefix })
  const spyCache = createCache({ tiers: [store] })
  run.onCleanup(() => spyCache.close())
  await spyCache.get(keys[0] as string)
  // ioredis accepts the arguments flat or as one array; normalise to [command, sha, numKeys, key, ...args].
  const captured = spy.last()?.flat()
  const entryKey0 = captured?.[3]
  if (captured?.[0] !== 'evalsha' || typeof entryKey0 !== 'string' || !entryKey0.endsWith(keys[0] as string)) {
    throw new Error(`[bench] could not capture RedisStore's read command (got ${JSON.stringify(spy.last())})`)
  }
  // Entry keys are `<store prefix>e:<cache namespace><key>`: rebuild them for every key.
  const entryPrefix = entryKey0.slice(0, entryKey0.length - (keys[0] as string).length)
  const fullPrefix = entryPrefix.slice(`${prefix}e:`.length)
  const [, sha, , , ...scriptArgs] = captured as [string, string, number, string, ...unknown[]]
  const entryKeys = keys.map((key) => entryPrefix + key)
  const fullKeys = keys.map((key) => fullPrefix + key)
  const rawKeys = keys.map((key) => `${run.prefix}raw:${key}`)
  const order = accessOrder(keys.length, 11)

  const read: Record<string, (i: number) => Promise<unknown>> = {
    [BREAKDOWN_RAW]: async (i) => check(JSON.parse((await plain.get(rawKeys[i] as string)) as string) as UserRow, i),
    'ioredis HMGET of the entry hash (5 fields, Buffers, no Lua)': (i) => plain.hmgetBuffer(entryKeys[i] as string, 'v', 'c', 's', 'e', 't'),
    "EVALSHA of RedisStore's read script, sent raw": (i) => plain.callBuffer('evalsha', sha, 1, entryKeys[i] as string, ...(scriptArgs as string[])),
    'RedisStore.get() (script + deadline + decode)': async (i) => check((await store.get(fullKeys[i] as string))?.value as UserRow, i),
    'cache.get() (engine + store)': async (i) => check(await cache.get<UserRow>(keys[i] as string), i),
    'cache.getOrSet() (engine + store)': async (i) => check(await cache.getOrSet(keys[i] as string, neverLoaded, { ttl: TTL_MS }), i),
  }
  const cases: BenchCase[] = Object.entries(read).map(([name, fn]) => {
    let c = 0
    return {
      name,
      async run(n) {
        for (let k = 0; k < n; k++) await fn(order[c++ & ORDER_MASK] as number)
      },
      once: () => fn(order[c++ & ORDER_MASK] as number),
    }
  })
  const results = await ctx.compare('Where an L2 hit spends its time — sequential, layer by layer', cases, {
    baseline: BREAKDOWN_RAW,
    note: 'Each row adds one layer to the one above it (the HMGET row is the script\'s read without Lua). Same keys and rows as the sequential table; all on one default ioredis client.',
  })
  const concurrentLayers = Object.entries(read)
    .filter(([name]) => !name.startsWith('ioredis HMGET'))
    .map(([name, fn]): BenchCase => {
      let c = 0
      return {
        name: `${name} — ${CONCURRENCY} concurrent`,
        opsPerCall: CONCURRENCY,
        async run(n) {
          for (let k = 0; k < n; k++) {
            const base = c
            c += CONCURRENCY
            await concurrently(CONCURRENCY, (j) => fn(order[(base + j) & ORDER_MASK] as number))
          }
        },
      }
    })
  const ops = ctx.size(20_000, 2_000)
  await cpuTable(
    ctx,
    plain,
    `Where an L2 hit spends its CPU — ${CONCURRENCY} concurrent, layer by layer`,
    concurrentLayers,
    ops,
    `About ${ops.toLocaleString('en-US')} reads per row (twice, lower kept), ${CONCURRENCY} in flight; CPU of this process and of the Redis server divided by the reads. Each row adds one layer to the one above it; the difference between rows is what that layer costs per hit.`,
  )
  await syncCosts(ctx, plain, entryKeys[0] as string)
  await serverCosts(ctx, plain, rawKeys, entryKeys, sha, scriptArgs as string[])
  return results
}

function neverLoaded(): UserRow {
  throw new Error('[bench] the breakdown called a loader: the key was missing')
}

function check(row: UserRow | undefined, id: number): void {
  if (row?.id !== id) throw new Error(`[bench] breakdown read ${JSON.stringify(row)} for user ${id}`)
}

/** Client-side CPU per hit that is not I/O: JSON.parse vs the codec's decode and clone. */
async function syncCosts(ctx: SuiteContext, plain: Redis, entryKey: string): Promise<void> {
  const codec = createCodec()
  const bytes = await plain.hgetBuffer(entryKey, 'v')
  if (bytes === null) throw new Error('[bench] entry hash has no value field')
  const json = JSON.stringify(userRow(0))
  const value = codec.decode(bytes) as UserRow
  let sink = 0
  await ctx.compare(
    'Client CPU per hit — decoding the ~110-byte row',
    [
      {
        name: 'JSON.parse (what the raw GET row does)',
        run(n) {
          for (let i = 0; i < n; i++) sink += (JSON.parse(json) as UserRow).id
        },
      },
      {
        name: 'codec.decode (what RedisStore.get does)',
        run(n) {
          for (let i = 0; i < n; i++) sink += (codec.decode(bytes) as UserRow).id
        },
      },
      {
        name: 'codec.clone (isolate: true copy of the decoded value)',
        run(n) {
          for (let i = 0; i < n; i++) sink += (codec.clone(value) as UserRow).id
        },
      },
    ],
    {
      baseline: 'JSON.parse (what the raw GET row does)',
      note: `Encoded value: ${bytes.byteLength} bytes (codec) vs ${json.length} bytes (JSON). Synchronous, no I/O.`,
    },
  )
  if (sink === -1) console.log(sink)
}

/** Server time per command from INFO commandstats, over dedicated runs of each command. */
async function serverCosts(ctx: SuiteContext, plain: Redis, rawKeys: string[], entryKeys: string[], sha: string, scriptArgs: string[]): Promise<void> {
  const n = ctx.size(5_000, 500)
  const at = (i: number) => i % rawKeys.length
  // The floor of any script call: a one-line script doing only the HMGET.
  const floorSha = (await plain.script('LOAD', "return redis.call('HMGET', KEYS[1], 'v', 'c', 's', 'e', 't')")) as string
  const rows: Array<[string, string, (i: number) => Promise<unknown>]> = [
    ['GET (raw row)', 'get', (i) => plain.get(rawKeys[at(i)] as string)],
    ['HMGET (entry hash, 5 fields)', 'hmget', (i) => plain.hmgetBuffer(entryKeys[at(i)] as string, 'v', 'c', 's', 'e', 't')],
    ['EVALSHA of a one-line script that only does that HMGET (the floor of any script)', 'evalsha', (i) => plain.callBuffer('evalsha', floorSha, 1, entryKeys[at(i)] as string)],
    ["EVALSHA (RedisStore's read script)", 'evalsha', (i) => plain.callBuffer('evalsha', sha, 1, entryKeys[at(i)] as string, ...scriptArgs)],
  ]
  const table: string[][] = []
  for (const [name, command, op] of rows) {
    const t = await serverTime(plain, [command], n, 1, op)
    table.push([name, formatNs(t.usecPerOp * 1000), t.callsPerOp.toFixed(2)])
  }
  ctx.table({
    title: 'Server time per command (Redis INFO commandstats)',
    headers: ['command', 'server time per call', 'calls counted per call sent'],
    rows: table,
    note: `${n.toLocaleString('en-US')} sequential calls of each; usec from \`cmdstat_<command>\` before and after (time inside Redis only: no network, no parsing). The counters are server-wide: a count above 1.00 means other clients ran the same command meanwhile (the best of three attempts is kept).`,
  })
}
