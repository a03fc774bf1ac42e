import type * as typeorm1 from 'typeorm'
import type { BenchCase } from '../../harness/measure.js'
import { seededRandom } from '../../harness/stats.js'
import type { Account, StatementCounter } from './setup.js'

/** Freshness long enough that no cached row expires during a run, ms (TypeORM's unit). */
export const CACHE_TTL_MS = 600_000
const ORDER_LENGTH = 1 << 14
const ORDER_MASK = ORDER_LENGTH - 1

export const UNCACHED = 'findOneBy (uncached)'
export const AGAIN = 'findOneBy again (A/A check)'
export const INSTRUMENTED = 'instrument() findOneBy (uncached)'
export const L1_HIT = '@perf findOne + cache — L1 (memory) hit'
export const L2_HIT = '@perf findOne + cache — L2 (Redis only) hit'
export const PROVIDER_HIT = '@perf queryResultCache() provider, memory — hit'
export const PROVIDER_L2_HIT = '@perf queryResultCache() provider, Redis only — hit'
export const BUILTIN_HIT = "built-in cache: { type: 'ioredis' } hit"

/** One read of row `id`; throws when the row is not row `id`. */
export type Read = (id: number) => Promise<Account | null>

/** A DataSource measured as one contender, with the counter of the statements it sends. */
export interface Contender {
  dataSource: typeorm1.DataSource
  counter: StatementCounter
  entity: typeorm1.EntitySchema<Account>
}

function check(row: Account | null, id: number, name: string, strict: boolean): Account | null {
  // Cached rows are checked by id only: how faithfully a hit keeps types is reported, not enforced.
  if (row?.id !== id || (strict && !(row.createdAt instanceof Date)))
    throw new Error(`[bench] ${name} returned ${JSON.stringify(row)} for id ${id}`)
  return row
}

/** `findOneBy({ id })`: TypeORM's plain primary-key read. */
export function uncachedRead(c: Contender, name: string): Read {
  const repo = c.dataSource.getRepository(c.entity)
  return async (id) => check(await repo.findOneBy({ id }), id, name, true)
}

/** `findOne({ where: { id }, cache: ttl })`: TypeORM's own cache option, served by whatever cache the DataSource has. */
export function cachedRead(c: Contender, name: string): Read {
  const repo = c.dataSource.getRepository(c.entity)
  return async (id) => check(await repo.findOne({ where: { id }, cache: CACHE_TTL_MS }), id, name, false)
}

/** Ids drawn uniformly at random (seeded) from 1..rows; the same for every contender. */
export function accessOrder(rows: number, seed: number): Int32Array {
  const random = seededRandom(seed)
  const order = new Int32Array(ORDER_LENGTH)
  for (let i = 0; i < ORDER_LENGTH; i++) order[i] = 1 + Math.floor(random() * rows)
  return order
}

/** One awaited read per operation, walking `order`. */
export function sequentialCase(name: string, read: Read, order: Int32Array): BenchCase {
  let c = 0
  return {
    name,
    async run(n) {
      for (let i = 0; i < n; i++) await read(order[c++ & ORDER_MASK] as number)
    },
    once: () => read(order[c++ & ORDER_MASK] as number),
  }
}

/**
 * Reads every row once through `read` (each a miss that stores it), then reads a sample again and
 * returns how many statements that second pass sent: 0 when every read was a hit.
 */
export async function warm(c: Contender, read: Read, rows: number): Promise<number> {
  for (let id = 1; id <= rows; id++) await read(id)
  const before = c.counter.count
  for (let id = 1; id <= rows; id += Math.max(1, Math.floor(rows / 50))) await read(id)
  return c.counter.count - before
}
