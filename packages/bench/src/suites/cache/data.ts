import { seededRandom } from '../../harness/stats.js'

/** Keys in the working set (the "10k keys"). */
export const KEY_COUNT = 10_000
/** Length of the precomputed access order; a power of two so `i & ORDER_MASK` wraps it. */
export const ORDER_LENGTH = 1 << 16
export const ORDER_MASK = ORDER_LENGTH - 1
/** Far enough ahead that nothing expires during a run. */
export const TTL_MS = 10 * 60_000

/** A row as an ORM returns it: about 110 bytes as JSON. */
export interface UserRow {
  id: number
  name: string
  email: string
  active: boolean
  score: number
  role: string
}

export function userRow(i: number): UserRow {
  return {
    id: i,
    name: `User ${i}`,
    email: `user${i}@mail.example.com`,
    active: i % 3 !== 0,
    score: (i % 1000) / 10,
    role: 'member',
  }
}

export function userKey(i: number): string {
  return `user:${i}`
}

/** `count` indices drawn uniformly from [0, range), the same for every contender (seeded). */
export function accessOrder(range: number, seed = 42): Int32Array {
  const random = seededRandom(seed)
  const order = new Int32Array(ORDER_LENGTH)
  for (let i = 0; i < ORDER_LENGTH; i++) order[i] = Math.floor(random() * range)
  return order
}

/** Average JSON size of the rows, to state the value size in the docs. */
export function averageRowBytes(): number {
  let total = 0
  for (let i = 0; i < KEY_COUNT; i++) total += JSON.stringify(userRow(i)).length
  return Math.round(total / KEY_COUNT)
}
