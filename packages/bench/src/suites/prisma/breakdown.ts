import { canonicalize, createMonitor, type Cache, type GetOrSetOptions } from '@perf/core'
import { Prisma } from '@prisma/client/extension'
import type { CaseResult } from '../../harness/measure.js'
import type { SuiteContext } from '../../harness/suite.js'
import type { AccountRow, PrismaLike } from './client.js'
import { L1_HIT } from './cases.js'

type PerfPrisma = typeof import('@perf/prisma')

/** What perf() passed to cache.getOrSet for one read, captured through a proxy around its cache. */
interface CapturedCall {
  key: string
  options: GetOrSetOptions
}

/** A cache that records the key and options of the last getOrSet call, forwarding everything. */
function spyCache(cache: Cache): { cache: Cache; last: () => CapturedCall | undefined } {
  let captured: CapturedCall | undefined
  const proxy = new Proxy(cache, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown
      if (property === 'getOrSet') {
        return (key: string, loader: unknown, options: GetOrSetOptions) => {
          captured = { key, options }
          return (value as (...args: unknown[]) => unknown).call(target, key, loader, options)
        }
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
  return { cache: proxy, last: () => captured }
}

function neverLoaded(): never {
  throw new Error('[bench] the L1 breakdown called a loader: the key was missing')
}

/**
 * Where an L1 hit through perf() spends its time: the whole call, then its parts measured alone —
 * the cache engine with exactly the key and options perf() passes, Prisma's dispatch of an
 * extension model method (a no-op one on a client extended the way perf() extends it), the
 * canonical argument text the key is built from, and one monitor event.
 */
export async function l1Breakdown(
  ctx: SuiteContext,
  plain: PrismaLike,
  wrapped: PrismaLike,
  perfPrisma: PerfPrisma,
  createCacheFn: (o: object) => Cache,
): Promise<Map<string, CaseResult>> {
  const id = 1
  const strategy = { ttl: 600 }
  const spy = spyCache(createCacheFn({ codec: perfPrisma.prismaCodec() }))
  const spied = plain.$extends(perfPrisma.perf({ cache: spy.cache }))
  await spied.account.findUnique({ where: { id }, cacheStrategy: strategy })
  const call = spy.last()
  await spied.$perf?.close()
  await spy.cache.close()
  if (!call) throw new Error('[bench] perf() did not call cache.getOrSet for a read with cacheStrategy')
  const cache = (wrapped.$perf as unknown as { cache: Cache } | undefined)?.cache
  if (!cache) throw new Error('[bench] db.$perf.cache is missing')
  const hit = await cache.getOrSet<AccountRow>(call.key, neverLoaded, call.options)
  const probeClient = plain
    .$extends({
      name: 'probe-hooks',
      query: {
        $allModels: { create: ({ args, query }: { args: unknown; query: (a: unknown) => unknown }) => query(args) },
      },
    })
    .$extends({
      name: 'probe-models',
      model: {
        $allModels: {
          probe(this: unknown) {
            return Promise.resolve((Prisma.getExtensionContext(this) as unknown as { $name: string }).$name)
          },
        },
      },
    }) as unknown as { account: { probe(): Promise<string> } }
  const monitor = createMonitor()
  const args = { where: { id } }
  let sink = 0
  const results = await ctx.compare(
    'Where an L1 hit through perf() spends its time',
    [
      {
        name: L1_HIT,
        async run(n) {
          for (let i = 0; i < n; i++)
            sink += ((await wrapped.account.findUnique({ where: { id }, cacheStrategy: strategy })) as AccountRow).id
        },
      },
      {
        name: 'cache.getOrSet with the key and options perf() passes (engine alone)',
        async run(n) {
          for (let i = 0; i < n; i++)
            sink += ((await cache.getOrSet(call.key, neverLoaded, call.options)) as unknown as { value: AccountRow })
              .value.id
        },
      },
      {
        name: 'a no-op model method on a client extended like perf() does (Prisma dispatch)',
        async run(n) {
          for (let i = 0; i < n; i++) sink += (await probeClient.account.probe()).length
        },
      },
      {
        name: 'canonicalize(args) (the text the cache key is built from)',
        run(n) {
          for (let i = 0; i < n; i++) sink += canonicalize(args).length
        },
      },
      {
        name: 'monitor.record(one read event) (default createMonitor())',
        run(n) {
          for (let i = 0; i < n; i++)
            monitor.record({
              source: 'prisma',
              model: 'Account',
              operation: 'findUnique',
              durationMs: 0.004,
              startedAt: 0,
              rows: 1,
              cache: 'hit',
            })
        },
      },
    ],
    {
      baseline: L1_HIT,
      note: `All on row ${id}, so the whole call is a little cheaper here than in the cached table above, which spreads its hits over every row. The parts are measured alone, so their sum need not equal the whole; what the whole costs beyond them is perf()'s own per-call work (the read promise, splitting cacheStrategy off the arguments, validating it, the key, the memo lookup, timing). The engine row uses key \`${call.key.length > 80 ? `${call.key.slice(0, 77)}…` : call.key}\` and options \`${JSON.stringify(call.options)}\` (a ${(hit as unknown as { meta?: { status?: string } }).meta?.status ?? 'value'} every time).`,
    },
  )
  monitor.close()
  if (sink === -1) console.log(sink)
  return results
}
