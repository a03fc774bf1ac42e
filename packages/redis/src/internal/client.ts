import { PerfError } from '@perf/core'
import type { Cluster, Redis } from 'ioredis'

/** An ioredis client: a single node (`Redis`, also Sentinel-managed) or a `Cluster`. */
export type RedisClient = Redis | Cluster

const COMMAND_METHODS = ['evalsha', 'eval', 'duplicate', 'publish', 'pipeline', 'on', 'removeListener'] as const

/**
 * Throws CLIENT_INVALID unless `client` looks like an ioredis `Redis` or `Cluster`.
 * Duck-typed rather than `instanceof`, so a second copy of ioredis in node_modules still passes.
 */
export function assertClient(client: unknown, component: string, option = 'client'): RedisClient {
  const candidate = client as Record<string, unknown> | null
  const missing =
    typeof candidate !== 'object' || candidate === null
      ? ['object']
      : COMMAND_METHODS.filter((name) => typeof candidate[name] !== 'function')
  if (missing.length > 0 || typeof candidate?.status !== 'string' || typeof candidate?.isCluster !== 'boolean') {
    throw new PerfError(
      'CLIENT_INVALID',
      `[perf:redis] ${component} needs an ioredis Redis or Cluster instance as "${option}" (missing: ${missing.join(', ') || 'status/isCluster'})`,
      { context: { component, option } },
    )
  }
  return client as RedisClient
}

/**
 * The `keyPrefix` option of an ioredis client ('' when none). ioredis adds it to every key passed
 * as a key argument (KEYS of a script included) but not to keys a script builds itself, to SCAN
 * patterns or results, or to channels, so code that meets those must account for it.
 */
export function clientKeyPrefix(client: RedisClient): string {
  const prefix = (client as unknown as { options?: { keyPrefix?: unknown } }).options?.keyPrefix
  return typeof prefix === 'string' ? prefix : ''
}

/** Whether `client` is an ioredis Cluster. */
export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster === true
}

// 'reconnecting' and 'end' mean a connection existed and is gone; a command would wait in the
// offline queue until the next reconnect, so fail now instead. 'wait'/'connecting'/'connect' are
// the first connection (or a lazyConnect client): the command waits, bounded by the deadline.
const DEAD_STATES = new Set(['end', 'close', 'reconnecting', 'disconnecting'])

/**
 * The status when the client has lost its connection (`reconnecting`, `end`, ...), else undefined.
 * Callers fail at once in that case, so a dead Redis costs microseconds per call rather than a
 * queued command and a deadline.
 */
export function lostConnection(client: RedisClient): string | undefined {
  return DEAD_STATES.has(client.status) ? client.status : undefined
}

/** TIER_FAILED saying `what` cannot run because the client lost its connection; undefined while it is usable. */
export function lostConnectionError(
  client: RedisClient,
  what: string,
  context: Record<string, unknown> = {},
): PerfError | undefined {
  const status = lostConnection(client)
  if (status === undefined) return undefined
  return new PerfError('TIER_FAILED', `[perf:redis] ${what}: Redis connection is ${status}`, {
    context: { ...context, status },
  })
}

/** A failed Redis call of `what` as TIER_FAILED with the driver error as cause; PerfErrors pass through. */
export function redisFailure(what: string, err: unknown, context?: Record<string, unknown>): PerfError {
  if (err instanceof PerfError) return err
  return new PerfError('TIER_FAILED', `[perf:redis] ${what} failed: ${(err as Error).message}`, { cause: err, context })
}

/**
 * Closes a connection this package opened: QUIT when connected (bounded by `timeoutMs`), else a
 * plain disconnect, so closing never waits on a dead Redis (a QUIT would sit in the offline queue).
 */
export async function closeConnection(connection: RedisClient, timeoutMs = 1_000): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect()
    return
  }
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs)
    timer.unref()
  })
  await Promise.race([connection.quit().catch(() => undefined), timeout])
  clearTimeout(timer)
  if ((connection.status as string) !== 'end') connection.disconnect()
}
