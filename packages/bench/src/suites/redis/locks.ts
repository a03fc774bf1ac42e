import type { BenchCase, CaseResult } from '../../harness/measure.js'
import { formatNs } from '../../harness/format.js'
import type { SuiteContext } from '../../harness/suite.js'
import { cpuTable } from './cpu.js'
import { serverTime, type RedisRun } from './setup.js'

type PerfRedis = typeof import('@perf/redis')

/** The part of redlock 5 used here (its package.json `exports` hides its typings from NodeNext resolution). */
interface RedlockLike {
  acquire(resources: string[], durationMs: number): Promise<{ release(): Promise<unknown> }>
}
type RedlockClass = new (
  clients: Iterable<unknown>,
  settings?: { retryCount?: number; retryDelay?: number; retryJitter?: number },
) => RedlockLike

async function loadRedlock(): Promise<RedlockClass> {
  const specifier = 'redlock' // a variable specifier: typed by RedlockLike instead of the unresolvable typings
  return ((await import(specifier)) as { default: RedlockClass }).default
}

const LOCK_TTL_MS = 10_000
const CONTENDERS = 5

export const REDLOCK = 'redlock acquire + release (defaults)'
export const REDLOCK_FAST = 'redlock (retryDelay 5 ms, retryJitter 5 ms)'
export const OURS_LOCK = '@perf redlockLocker acquire + release'

/** Takes the lock on `resource`; resolves to its release. */
type Acquire = (resource: string) => Promise<() => Promise<unknown>>

/**
 * One unit of contended work: CONTENDERS tasks each take the same resource `cycles` times, hold it
 * across a microtask (so the others really wait) and check nobody else holds it.
 */
async function contended(acquire: Acquire, resource: string, cycles: number): Promise<void> {
  let holders = 0
  const task = async () => {
    for (let i = 0; i < cycles; i++) {
      const release = await acquire(resource)
      if (holders++ !== 0) throw new Error('[bench] two holders of one Redis lock at once')
      await undefined
      holders--
      await release()
    }
  }
  await Promise.all(Array.from({ length: CONTENDERS }, task))
}

/**
 * Lock acquire + release on one Redis: @perf redlockLocker([redis]) vs redlock 5 used directly on
 * the same client, uncontended and with a few contenders on one resource.
 */
export async function lockCases(
  ctx: SuiteContext,
  run: RedisRun,
  redis: PerfRedis,
): Promise<{ uncontended: Map<string, CaseResult>; contended: Map<string, CaseResult> }> {
  const client = await run.client()
  const ours = redis.redlockLocker([client], { prefix: `${run.prefix}lock:` })
  const Redlock = await loadRedlock()
  const redlock = new Redlock([client])
  const redlockFast = new Redlock([client], { retryDelay: 5, retryJitter: 5, retryCount: 1000 })
  run.onCleanup(() => ours.close())
  const key = (name: string) => `${run.prefix}redlock:${name}`

  const acquirers: Record<string, Acquire> = {
    [REDLOCK]: async (resource) => {
      const lock = await redlock.acquire([key(resource)], LOCK_TTL_MS)
      return () => lock.release()
    },
    [REDLOCK_FAST]: async (resource) => {
      const lock = await redlockFast.acquire([key(resource)], LOCK_TTL_MS)
      return () => lock.release()
    },
    [OURS_LOCK]: async (resource) => {
      const lock = await ours.acquire(resource, LOCK_TTL_MS)
      return () => lock.release()
    },
  }

  const uncontendedCase = (name: string): BenchCase => {
    const acquire = acquirers[name] as Acquire
    const resource = `solo:${name.split(' ')[0]}`
    const once = async () => (await acquire(resource))()
    return {
      name,
      async run(n) {
        for (let i = 0; i < n; i++) await (await acquire(resource))()
      },
      once,
    }
  }
  const uncontended = await ctx.compare(
    'Redis lock acquire + release, uncontended (one caller at a time)',
    [REDLOCK, OURS_LOCK].map(uncontendedCase),
    {
      baseline: REDLOCK,
      note: `One resource, ${LOCK_TTL_MS / 1000} s TTL, one Redis node, one default ioredis client shared by both. Each acquire is one Lua script call and each release another for both libraries; @perf's acquire also increments a fencing counter and returns the token.`,
    },
  )

  const cycles = ctx.size(4, 1)
  const contendedCase = (name: string): BenchCase => {
    const acquire = acquirers[name] as Acquire
    const resource = `shared:${name.split(' ')[0]}:${name.length}`
    return {
      name,
      opsPerCall: CONTENDERS * cycles,
      run: async (n) => {
        for (let i = 0; i < n; i++) await contended(acquire, resource, cycles)
      },
    }
  }
  const contendedResults = await ctx.compare(
    `Redis lock acquire + release, ${CONTENDERS} contenders on one resource`,
    [REDLOCK, REDLOCK_FAST, OURS_LOCK].map(contendedCase),
    {
      baseline: REDLOCK,
      note: `ops/s counts acquisitions: ${CONTENDERS} tasks each acquire, hold across a microtask, check they are alone and release, ${cycles} time(s). redlock retries a held lock after retryDelay ± retryJitter (defaults 200 ± 100 ms); @perf queues the waiter in Redis and the release wakes it through pub/sub (safety recheck after 1 s).`,
    },
  )
  await lockServerCosts(ctx, run, acquirers)
  const ops = ctx.size(4_000, 400)
  await cpuTable(
    ctx,
    client,
    'CPU per uncontended acquire + release — this process vs the Redis server',
    [REDLOCK, OURS_LOCK].map(uncontendedCase),
    ops,
    `About ${ops.toLocaleString('en-US')} sequential cycles per row (twice, lower kept); CPU of this process and of the Redis server (INFO cpu) divided by the cycles.`,
  )
  return { uncontended, contended: contendedResults }
}

/** Server time of one uncontended acquire + release, from INFO commandstats (EVALSHA and EVAL). */
async function lockServerCosts(ctx: SuiteContext, run: RedisRun, acquirers: Record<string, Acquire>): Promise<void> {
  const admin = await run.client()
  const n = ctx.size(2_000, 200)
  const rows: string[][] = []
  for (const name of [REDLOCK, OURS_LOCK]) {
    const acquire = acquirers[name] as Acquire
    const t = await serverTime(admin, ['evalsha', 'eval'], n, 2, async () => (await acquire('server-cost'))())
    rows.push([
      name,
      t.callsPerOp.toFixed(2),
      formatNs(t.usecPerOp * 1000),
      formatNs((t.usecPerOp * 1000) / t.callsPerOp),
    ])
  }
  ctx.table({
    title: 'Redis lock — server time per acquire + release (Redis INFO commandstats)',
    headers: ['case', 'script calls counted per cycle', 'server time per cycle', 'per script call'],
    rows,
    note: `${n.toLocaleString('en-US')} sequential uncontended cycles of each (one script call to acquire, one to release); EVALSHA and EVAL usec from \`cmdstat_*\` before and after (time inside Redis only). The counters are server-wide: more than 2.00 calls per cycle means other clients' scripts were counted too (the best of three attempts is kept).`,
  })
}
