import { randomBytes } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'

/** The Redis the suite measures against. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Far enough ahead that nothing expires during a run. */
export const TTL_MS = 10 * 60_000

/**
 * Connections and a key prefix of this run. Every key the suite (or a library it drives) writes
 * starts with `prefix`, so {@link RedisRun.cleanup} can remove exactly those keys afterwards.
 */
export class RedisRun {
  /** `perf-bench:<random>:`; unique per run so concurrent runs on one Redis never meet. */
  readonly prefix = `perf-bench:${randomBytes(4).toString('hex')}:`
  readonly #clients: Redis[] = []
  readonly #cleanups: Array<() => unknown> = []

  /** A new ioredis connection with ioredis defaults plus `options`; waits until it is ready. */
  async client(options: RedisOptions = {}): Promise<Redis> {
    const client = new Redis(REDIS_URL, { lazyConnect: true, ...options })
    await client.connect()
    this.#clients.push(client)
    return client
  }

  /** Registers something to close before the connections are quit (lockers, caches, other clients). */
  onCleanup(fn: () => unknown): void {
    this.#cleanups.push(fn)
  }

  /** Closes what was registered, deletes every key under the prefix (SCAN + UNLINK) and quits the connections. */
  async cleanup(): Promise<void> {
    for (const fn of this.#cleanups.reverse()) {
      try {
        await fn()
      } catch {
        // a library's close() failing must not leave the keys behind
      }
    }
    const admin = this.#clients[0] ?? (await this.client())
    let cursor = '0'
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await admin.unlink(...keys)
    } while (cursor !== '0')
    await Promise.all(this.#clients.map((c) => c.quit().catch(() => c.disconnect())))
  }
}

/** Server-side cost of commands, from INFO commandstats: calls and microseconds per command name. */
export type CommandStats = Map<string, { calls: number; usec: number }>

export async function commandStats(client: Redis): Promise<CommandStats> {
  const text = await client.info('commandstats')
  const stats: CommandStats = new Map()
  for (const line of text.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim())
    if (match) stats.set(match[1] as string, { calls: Number(match[2]), usec: Number(match[3]) })
  }
  return stats
}

/** Server time that `n` operations cost, per operation, from INFO commandstats. */
export interface ServerTime {
  /** Microseconds inside Redis per operation (all `commands` summed). */
  usecPerOp: number
  /** Calls of `commands` counted per operation (more than expected: other clients were counted too). */
  callsPerOp: number
}

/**
 * Runs `n` operations and reads how much server time the `commands` they send took, from INFO
 * commandstats before and after. The counters are server-wide, so another client running the same
 * commands meanwhile is counted too: up to three attempts are made and the one whose call count is
 * nearest to `expectedCallsPerOp × n` is kept.
 */
export async function serverTime(
  admin: Redis,
  commands: readonly string[],
  n: number,
  expectedCallsPerOp: number,
  op: (i: number) => Promise<unknown>,
): Promise<ServerTime> {
  let best: ServerTime | undefined
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await commandStats(admin)
    for (let i = 0; i < n; i++) await op(i)
    const after = await commandStats(admin)
    let calls = 0
    let usec = 0
    for (const command of commands) {
      calls += (after.get(command)?.calls ?? 0) - (before.get(command)?.calls ?? 0)
      usec += (after.get(command)?.usec ?? 0) - (before.get(command)?.usec ?? 0)
    }
    const result = { usecPerOp: usec / n, callsPerOp: calls / n }
    if (!best || Math.abs(result.callsPerOp - expectedCallsPerOp) < Math.abs(best.callsPerOp - expectedCallsPerOp))
      best = result
    if (calls === expectedCallsPerOp * n) break
  }
  return best as ServerTime
}

/** Runs `calls` as `concurrency` overlapping chains; resolves when every call is done. */
export async function concurrently(concurrency: number, call: (i: number) => Promise<unknown>): Promise<void> {
  const pending: Promise<unknown>[] = new Array(concurrency)
  for (let i = 0; i < concurrency; i++) pending[i] = call(i)
  await Promise.all(pending)
}
