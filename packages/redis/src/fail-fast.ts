import { Redis } from 'ioredis'
import type { ClusterOptions, RedisOptions } from 'ioredis'

/** Knobs of {@link failFastOptions}; every duration is in milliseconds. */
export interface FailFastSettings {
  /** Per-command deadline enforced by ioredis. @default 500 */
  commandTimeoutMs?: number
  /** Deadline for establishing a connection. @default 2000 */
  connectTimeoutMs?: number
  /** Longest pause between reconnect attempts (exponential from 50 ms, with jitter). @default 2000 */
  maxReconnectDelayMs?: number
}

/** Exponential reconnect delay from 50 ms up to `maxMs`, with full jitter so instances do not reconnect in lockstep. */
export function reconnectDelay(maxMs: number): (attempt: number) => number {
  return (attempt) => Math.round(Math.random() * Math.min(maxMs, 50 * 2 ** Math.min(attempt, 16)))
}

/**
 * ioredis options that make a dead or slow Redis cost a bounded few milliseconds instead of a
 * hang: no offline queue (commands fail at once while disconnected, also before the first
 * connection: `await redis.connect()` with `lazyConnect: true`, or use {@link createRedisClient}),
 * at most one retry per command, per-command and connect deadlines, and a capped, jittered
 * reconnect backoff. Your own `options` win over these defaults.
 *
 * @example
 * const redis = new Redis(failFastOptions({ host: '127.0.0.1', port: 6379 }))
 */
export function failFastOptions(options: RedisOptions = {}, settings: FailFastSettings = {}): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: settings.commandTimeoutMs ?? 500,
    connectTimeout: settings.connectTimeoutMs ?? 2_000,
    retryStrategy: reconnectDelay(settings.maxReconnectDelayMs ?? 2_000),
    ...options,
  }
}

/**
 * The Cluster counterpart of {@link failFastOptions}: no offline queue, per-command deadlines on
 * every node connection and a capped reconnect backoff.
 *
 * @example
 * const cluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], failFastClusterOptions())
 */
export function failFastClusterOptions(options: ClusterOptions = {}, settings: FailFastSettings = {}): ClusterOptions {
  const { redisOptions, ...rest } = options
  return {
    enableOfflineQueue: false,
    maxRedirections: 4,
    clusterRetryStrategy: reconnectDelay(settings.maxReconnectDelayMs ?? 2_000),
    ...rest,
    redisOptions: {
      maxRetriesPerRequest: 1,
      commandTimeout: settings.commandTimeoutMs ?? 500,
      connectTimeout: settings.connectTimeoutMs ?? 2_000,
      ...redisOptions,
    },
  }
}

/**
 * Opens an ioredis client configured by {@link failFastOptions}, except that commands sent before
 * the first connection is ready wait for it (bounded by `connectTimeoutMs`) instead of failing, so
 * start-up code need not wait for 'ready'. Once connected, the offline queue is off. You own the
 * client: call `quit()` when done.
 *
 * @example
 * const redis = createRedisClient('redis://127.0.0.1:6379')
 * await redis.ping()
 */
export function createRedisClient(
  url = 'redis://127.0.0.1:6379',
  options: RedisOptions = {},
  settings: FailFastSettings = {},
): Redis {
  const merged = failFastOptions(options, settings)
  const failFastAfterStart = merged.enableOfflineQueue === false
  const client = new Redis(url, { ...merged, enableOfflineQueue: true })
  // ioredis reads this option per command, so switching it after the first 'ready' takes effect at once.
  if (failFastAfterStart) client.once('ready', () => void (client.options.enableOfflineQueue = false))
  return client
}
