import type pg from 'pg'
import { seededRandom } from '../../harness/stats.js'
import type { BenchCase, CaseResult } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'
import type { AccountRow, PrismaLike } from './client.js'
import { COLUMNS } from './database.js'

/** Freshness long enough that no cached row expires during a run (seconds, as in Accelerate). */
const CACHE_TTL_S = 600
const STRATEGY = { ttl: CACHE_TTL_S }
const ORDER_LENGTH = 1 << 14
const ORDER_MASK = ORDER_LENGTH - 1

export const PLAIN = 'plain Prisma findUnique (uncached)'
export const PLAIN_AGAIN = 'plain Prisma findUnique again (A/A check)'
export const RAW_PG = 'raw pg pool.query (same SELECT)'
export const WRAPPED = 'perf() findUnique, no cacheStrategy (uncached)'
export const WRAPPED_POOL = 'perf({ pool }) findUnique, no cacheStrategy (uncached, SQL captured)'
export const L1_HIT = 'perf() findUnique + cacheStrategy — L1 (memory) hit'
export const L2_HIT = 'perf() findUnique + cacheStrategy — L2 (Redis only) hit'

/** The clients one run compares; all share one PostgreSQL schema. */
export interface Contenders {
  plain: PrismaLike
  /** `plain.$extends(perf())`: default in-memory cache and monitor. */
  wrapped: PrismaLike
  /** `plain.$extends(perf({ pool }))`: SQL of every statement captured from the pg pool. */
  wrappedPool: PrismaLike
  /** perf() whose cache has only a redisStore tier; undefined without Redis. */
  l2: PrismaLike | undefined
  /** The pg pool raw queries use (its own, same settings as Prisma's). */
  rawPool: pg.Pool
}

/** Ids drawn uniformly at random (seeded) from 1..rows; the same for every contender. */
function accessOrder(rows: number, seed: number): Int32Array {
  const random = seededRandom(seed)
  const order = new Int32Array(ORDER_LENGTH)
  for (let i = 0; i < ORDER_LENGTH; i++) order[i] = 1 + Math.floor(random() * rows)
  return order
}

function check(row: AccountRow | null | undefined, id: number, name: string): void {
  if (row?.id !== id || !(row.createdAt instanceof Date))
    throw new Error(`[bench] ${name} returned ${JSON.stringify(row)} for id ${id}`)
}

export type Read = (id: number) => Promise<void>

function sequentialCase(name: string, read: Read, order: Int32Array): BenchCase {
  let c = 0
  return {
    name,
    async run(n) {
      for (let i = 0; i < n; i++) await read(order[c++ & ORDER_MASK] as number)
    },
    once: () => read(order[c++ & ORDER_MASK] as number),
  }
}

/** Every read, checked; `raw` maps pg's row like Prisma does (the driver already returns a Date and numbers). */
export function reads(c: Contenders): Record<string, Read> {
  const sql = `SELECT ${COLUMNS} FROM "Account" WHERE "id" = $1 LIMIT 1`
  const out: Record<string, Read> = {
    [RAW_PG]: async (id) => check((await c.rawPool.query<AccountRow>(sql, [id])).rows[0], id, RAW_PG),
    [PLAIN]: async (id) => check(await c.plain.account.findUnique({ where: { id } }), id, PLAIN),
    [PLAIN_AGAIN]: async (id) => check(await c.plain.account.findUnique({ where: { id } }), id, PLAIN_AGAIN),
    [WRAPPED]: async (id) => check(await c.wrapped.account.findUnique({ where: { id } }), id, WRAPPED),
    [WRAPPED_POOL]: async (id) => check(await c.wrappedPool.account.findUnique({ where: { id } }), id, WRAPPED_POOL),
    [L1_HIT]: async (id) =>
      check(await c.wrapped.account.findUnique({ where: { id }, cacheStrategy: STRATEGY }), id, L1_HIT),
  }
  const l2 = c.l2
  if (l2)
    out[L2_HIT] = async (id) =>
      check(await l2.account.findUnique({ where: { id }, cacheStrategy: STRATEGY }), id, L2_HIT)
  return out
}

/** Fills the caches: one findUnique with cacheStrategy per id (each a miss that stores the row). */
export async function warmCaches(c: Contenders, rows: number): Promise<void> {
  for (const client of [c.wrapped, c.l2]) {
    if (!client) continue
    for (let id = 1; id <= rows; id++) await client.account.findUnique({ where: { id }, cacheStrategy: STRATEGY })
  }
}

/** Uncached reads: plain Prisma vs the same client wrapped by perf() vs raw pg. */
export async function uncachedCases(ctx: SuiteContext, c: Contenders, rows: number): Promise<Map<string, CaseResult>> {
  const read = reads(c)
  const order = accessOrder(rows, 5)
  return ctx.compare(
    `findUnique by primary key, uncached — ${rows.toLocaleString('en-US')} rows`,
    [PLAIN, WRAPPED, WRAPPED_POOL, PLAIN_AGAIN, RAW_PG].map((name) => sequentialCase(name, read[name] as Read, order)),
    {
      baseline: PLAIN,
      note: `One call at a time, ids drawn at random (seeded). Every Prisma row shares one PrismaClient on @prisma/adapter-pg (pg.Pool of 10): the perf() rows are \`prisma.$extends(perf())\` with its defaults (in-memory cache, monitor recording one event per call) and no cacheStrategy, so every call reaches PostgreSQL. The A/A row repeats the plain call as a separate case: its distance from 1.00× is the noise floor of this table. The raw pg row runs the equivalent \`SELECT … WHERE "id" = $1 LIMIT 1\` on its own pool of the same size. Each result is checked.`,
    },
  )
}

/** Cached reads: L1 and L2 hits vs the uncached call. */
export async function cachedCases(ctx: SuiteContext, c: Contenders, rows: number): Promise<Map<string, CaseResult>> {
  const read = reads(c)
  const order = accessOrder(rows, 9)
  const names = [PLAIN, RAW_PG, L1_HIT, ...(c.l2 ? [L2_HIT] : [])]
  return ctx.compare(
    `findUnique by primary key, cached vs uncached — ${rows.toLocaleString('en-US')} rows`,
    names.map((name) => sequentialCase(name, read[name] as Read, order)),
    {
      baseline: PLAIN,
      note: `cacheStrategy \`{ ttl: ${CACHE_TTL_S} }\`; every row was read once beforehand, so each cached call is a hit. L1: perf()'s default cache (\`createCache({ codec: prismaCodec() })\`, one MemoryStore, isolate: true, so each hit returns a copy).${c.l2 ? ' L2: a cache whose only tier is `redisStore(redis)` (local Redis, default ioredis client), so every hit is a Redis round trip plus decoding.' : ''}`,
    },
  )
}
