import { PerfError, toMs } from '@perf/core'
import type { Duration, RateLimiter, RateLimitResult } from '@perf/core'
import { assertClient, lostConnection, type RedisClient } from '../internal/client.js'
import { withDeadline } from '../internal/deadline.js'
import { LuaScript } from '../internal/script.js'
import { assertPrefix, assertWholeNumber } from '../internal/validate.js'

/** Options for {@link redisRateLimiter}. */
export interface RedisRateLimiterOptions {
  /** Permits per window. */
  limit: number
  /** Window length in ms (or a duration string); `limit` permits per window, at most `limit` at once. */
  windowMs: Duration
  /** Prefix of the per-key state. Must not contain `{` or `}`. @default 'perf:rl:' */
  prefix?: string
  /** Deadline of each Redis call in ms. 0 disables. @default 250 */
  commandTimeoutMs?: Duration
}

// GCRA (generic cell rate algorithm): one number per key, the theoretical arrival time (TAT) of
// the next permit, in microseconds of the Redis server's clock (TIME), so every instance agrees
// and no app-server clock skew matters. A permit costs window/limit; a burst may use the whole
// window, so `limit` calls pass at once and then one every window/limit: no edge where a fixed
// window would hand out a second full burst. KEYS[1]: state. ARGV: limit, windowUs, cost.
// Replies {allowed, remaining, retryAfterMs}.
const CONSUME = new LuaScript(`
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = window / limit
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local newTat = tat + cost * interval
local allowAt = newTat - window
if allowAt > now then
  local remaining = math.floor((now + window - tat) / interval + 1e-6)
  return { 0, math.max(0, remaining), math.ceil((allowAt - now) / 1000) }
end
redis.call('SET', KEYS[1], string.format('%.17g', newTat), 'PX', math.ceil((newTat - now) / 1000) + 1)
return { 1, math.max(0, math.floor((now + window - newTat) / interval + 1e-6)), 0 }
`)

/**
 * A {@link RateLimiter} shared by every instance through Redis: GCRA in one Lua script per call,
 * timed by the Redis server's clock, one small key per limited key (expiring when idle).
 *
 * @example
 * const limiter = redisRateLimiter(redis, { limit: 100, windowMs: '1m' })
 * const { allowed, retryAfterMs } = await limiter.consume(`login:${ip}`)
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #client: RedisClient
  readonly #limit: number
  readonly #windowUs: number
  readonly #prefix: string
  readonly #timeoutMs: number

  constructor(client: RedisClient, options: RedisRateLimiterOptions) {
    this.#client = assertClient(client, 'redisRateLimiter')
    if (typeof options !== 'object' || options === null) {
      throw new PerfError('INVALID_OPTION', '[perf:redis] redisRateLimiter needs options { limit, windowMs }')
    }
    this.#limit = assertWholeNumber(options.limit, 'limit', 1, 1_000_000_000, 'redisRateLimiter')
    const windowMs = toMs(options.windowMs, 'windowMs', 'INVALID_OPTION')
    if (windowMs < 1) throw new PerfError('INVALID_OPTION', `[perf:redis] redisRateLimiter option "windowMs" must be at least 1 ms, got ${windowMs}`, { context: { option: 'windowMs' } })
    this.#windowUs = Math.round(windowMs * 1000)
    this.#prefix = assertPrefix(options.prefix ?? 'perf:rl:', 'redisRateLimiter', 'prefix')
    this.#timeoutMs = toMs(options.commandTimeoutMs ?? 250, 'commandTimeoutMs', 'INVALID_OPTION')
  }

  /**
   * Takes `cost` permits for `key` if available; a rejected call takes none.
   * @throws PerfError INVALID_ARGUMENT (cost not an integer in 1..limit), TIER_FAILED / TIER_TIMEOUT (Redis)
   */
  async consume(key: string, cost = 1): Promise<RateLimitResult> {
    if (!Number.isInteger(cost) || cost < 1 || cost > this.#limit) {
      throw new PerfError('INVALID_ARGUMENT', `[perf:redis] redisRateLimiter.consume(): cost must be an integer from 1 to limit=${this.#limit}, got ${String(cost)}`, {
        context: { key, cost, limit: this.#limit },
      })
    }
    const [allowed, remaining, retryAfterMs] = (await this.#call('consume', () =>
      CONSUME.run(this.#client, [this.#key(key)], [this.#limit, this.#windowUs, cost]),
    )) as [number, number, number]
    return { allowed: allowed === 1, limit: this.#limit, remaining: Math.min(remaining, this.#limit), retryAfterMs }
  }

  /** Forgets everything recorded for `key`. */
  async reset(key: string): Promise<void> {
    await this.#call('reset', () => this.#client.del(this.#key(key)))
  }

  /** Nothing to release: the client is yours. */
  async close(): Promise<void> {}

  #key(key: string): string {
    if (typeof key !== 'string' || key.length === 0) {
      throw new PerfError('INVALID_ARGUMENT', '[perf:redis] redisRateLimiter: key must be a non-empty string', { context: { key } })
    }
    return this.#prefix + key
  }

  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const status = lostConnection(this.#client)
    if (status !== undefined) throw new PerfError('TIER_FAILED', `[perf:redis] redisRateLimiter.${operation}(): Redis connection is ${status}`)
    try {
      return await withDeadline(run(), this.#timeoutMs, `redisRateLimiter.${operation}()`)
    } catch (err) {
      if (err instanceof PerfError) throw err
      throw new PerfError('TIER_FAILED', `[perf:redis] redisRateLimiter.${operation}() failed: ${(err as Error).message}`, { cause: err })
    }
  }
}

/**
 * Creates a {@link RedisRateLimiter} on the client you already have.
 * @throws PerfError CLIENT_INVALID, INVALID_OPTION
 * @example
 * const limiter = redisRateLimiter(redis, { limit: 10, windowMs: '1s' })
 */
export function redisRateLimiter(client: RedisClient, options: RedisRateLimiterOptions): RedisRateLimiter {
  return new RedisRateLimiter(client, options)
}
