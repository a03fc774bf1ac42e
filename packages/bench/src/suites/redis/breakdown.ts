import { createCodec, type Cache } from '@perf/core'
import type { Redis } from 'ioredis'
import { formatNs } from '../../harness/format.js'
import type { BenchCase, CaseResult } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'
import { accessOrder, ORDER_MASK, userRow, type UserRow } from '../cache/data.js'
import { cpuTable } from './cpu.js'
import { CONCURRENCY } from './hits.js'
import { concurrently, serverTime, TTL_MS, type RedisRun } from './setup.js'

type PerfRedis = typeof import('@perf/redis')

export const BREAKDOWN_RAW = 'ioredis GET + JSON.parse (as above)'

/**
 * Where the time of an L2 hit goes, layer by layer, each measured on its own in one table:
 * the round trip (GET), the store's MGET sent raw, RedisStore.get (batching + decode),
 * then the cache engine (get, getOrSet). Then the
 * synchronous client costs (decode, clone) and the server's own time per command.
 */
export async function breakdownCases(
  ctx: SuiteContext,
  run: RedisRun,
  redis: PerfRedis,
  keys: readonly string[],
  cache: Cache,
): Promise<Map<string, CaseResult>> {
  const plain = await run.client()
  const prefix = `${run.prefix}perf:`
  const store = redis.redisStore(plain, { prefix })
  // The cache writes `<store prefix>e:<namespace>:<key>`; find the namespace part from one key.
  const [found] = await plain.keys(`${prefix}e:*${keys[0] as string}`)
  if (found === undefined) throw new Error(`[bench] could not find the entry of ${keys[0] as string} under ${prefix}e:`)
  const entryPrefix = found.slice(0, found.length - (keys[0] as string).length)
  const fullPrefix = entryPrefix.slice(`${prefix}e:`.length)
  const entryKeys = keys.map((key) => entryPrefix + key)
  const fullKeys = keys.map((key) => fullPrefix + key)
  const rawKeys = keys.map((key) => `${run.prefix}raw:${key}`)
  const order = accessOrder(keys.length, 11)

  const read: Record<string, (i: number) => Promise<unknown>> = {
    [BREAKDOWN_RAW]: async (i) => check(JSON.parse((await plain.get(rawKeys[i] as string)) as string) as UserRow, i),
    // What the store sends for one read: the bucket's clock and clears record, then the entry.
    "ioredis MGET of the entry with its bucket's clock and clears (Buffer reply, no decode)": (i) =>
      plain.mgetBuffer([`${prefix}c`, `${prefix}x`, entryKeys[i] as string]),
    'RedisStore.get() (MGET batch + decode)': async (i) =>
      check((await store.get(fullKeys[i] as string))?.value as UserRow, i),
    'cache.get() (engine + store)': async (i) => check(await cache.get<UserRow>(keys[i] as string), i),
    'cache.getOrSet() (engine + store)': async (i) =>
      check(await cache.getOrSet(keys[i] as string, neverLoaded, { ttl: TTL_MS }), i),
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
    note: "Each row adds one layer to the one above it (the MGET row is the store's read command sent raw). Same keys and rows as the sequential table; all on one default ioredis client.",
  })
  const concurrentLayers = Object.entries(read).map(([name, fn]): BenchCase => {
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
  await serverCosts(ctx, plain, rawKeys, entryKeys)
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
  const stored = await plain.getBuffer(entryKey)
  if (stored === null) throw new Error('[bench] entry is missing')
  // The stored string is a one-line header, then the codec's bytes.
  const bytes = stored.subarray(stored.indexOf(10) + 1)
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
async function serverCosts(ctx: SuiteContext, plain: Redis, rawKeys: string[], entryKeys: string[]): Promise<void> {
  const n = ctx.size(5_000, 500)
  const at = (i: number) => i % rawKeys.length
  const rows: Array<[string, string, (i: number) => Promise<unknown>]> = [
    ['GET (raw row)', 'get', (i) => plain.get(rawKeys[at(i)] as string)],
    [
      'MGET of one entry (what RedisStore.get sends for one key)',
      'mget',
      (i) => plain.mgetBuffer([entryKeys[at(i)] as string]),
    ],
    [
      'MGET of 100 entries (what 100 concurrent RedisStore.get calls send)',
      'mget',
      (i) => plain.mgetBuffer(Array.from({ length: 100 }, (_, j) => entryKeys[at(i * 100 + j)] as string)),
    ],
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
