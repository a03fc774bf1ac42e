// A/B of a warm L1 hit through `perf()` between two builds of @perf/prisma, in one process, rounds
// interleaved (a machine whose speed drifts between runs cannot fake a difference this way). Both
// builds extend their own client on one pool, over the same seeded table; each has its own cache.
//
//   cd packages/bench && node --import tsx src/ab-prisma-hit.ts <before dist/index.mjs> <after dist/index.mjs>
//
// Keep a copy of the old build first (e.g. `cp -r packages/prisma/dist packages/bench/.ab/prisma-before`;
// the copy must sit inside packages/bench so `@perf/core` and `@prisma/client` resolve).
// Prints the median ns per `findUnique` hit of each build and the median of the per-round ratios
// before/after (> 1: the second build is faster).
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PrismaPg } from '@prisma/adapter-pg'
import { createCache } from '@perf/core'
import { loadPrismaClient, type PrismaLike } from './suites/prisma/client.js'
import { BenchDatabase } from './suites/prisma/database.js'

const [beforePath, afterPath] = process.argv.slice(2)
if (!beforePath || !afterPath) throw new Error('usage: ab-prisma-hit.ts <before dist/index.mjs> <after dist/index.mjs>')
const load = (path: string) => import(pathToFileURL(resolve(path)).href) as Promise<{ perf(o: unknown): unknown }>
const builds = { before: await load(beforePath), after: await load(afterPath) }
const ROWS = 1_000
const database = new BenchDatabase()
await database.create(ROWS)
const PrismaClient = await loadPrismaClient(() => undefined)
const pool = database.pool(4)
const runners: Record<string, (n: number) => Promise<void>> = {}
const clients: PrismaLike[] = []
for (const [name, build] of Object.entries(builds)) {
  const base = new PrismaClient({ adapter: new PrismaPg(pool, { schema: database.schema }) })
  const db = base.$extends(build.perf({ cache: createCache() }))
  clients.push(base, db)
  for (let id = 1; id <= ROWS; id++) await db.account.findUnique({ where: { id }, cacheStrategy: { ttl: 600 } })
  // A loop of its own per build, so neither shares call-site feedback with the other.
  runners[name] = new Function(
    'db',
    `return async function ${name}(n) { for (let i = 0; i < n; i++) await db.account.findUnique({ where: { id: (i * 7919) % ${ROWS} + 1 }, cacheStrategy: { ttl: 600 } }) }`,
  )(db) as (n: number) => Promise<void>
}
const ns: Record<'before' | 'after', number[]> = { before: [], after: [] }
const N = 20_000
for (let round = 0; round < 31; round++) {
  for (const name of round % 2 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
    const started = performance.now()
    await runners[name]?.(N)
    ns[name].push(((performance.now() - started) * 1e6) / N)
  }
}
const median = (values: number[]) => values.slice().sort((a, b) => a - b)[values.length >> 1] as number
const ratios = ns.before.map((b, i) => b / (ns.after[i] as number)).slice(1)
console.log(
  `prisma findUnique L1 hit: before ${median(ns.before).toFixed(0)} ns, after ${median(ns.after).toFixed(0)} ns, before/after ${median(ratios).toFixed(3)}`,
)
for (const client of clients) await client.$disconnect().catch(() => undefined)
await database.drop()
