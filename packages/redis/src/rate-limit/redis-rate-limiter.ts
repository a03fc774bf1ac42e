import { PerfError, toMs } from '@perf/core'
import type { Duration, RateLimiter, RateLimitResult } from '@perf/core'
import { assertClient, isCluster, lostConnectionError, redisFailure, type RedisClient } from '../internal/client.js'
import { settleWithin, withDeadline } from '../internal/deadline.js'
import { LuaScript } from '../internal/script.js'
import { groupBySlot } from '../internal/slot.js'
import { TickQueue } from '../internal/tick-queue.js'
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
// window would hand out a second full burst.
//
// One script call checks every key of a batch (the checks issued in one tick), in arrival order,
// each atomically. KEYS: state keys. ARGV[1]: windowUs; ARGV[1 + i]: the increment of KEYS[i]
// (cost x window/limit, µs). Reply per key, in nanoseconds so the client can derive `remaining`
// and `retryAfterMs` exactly: allowed -> TAT - now after the call (>= 0); refused -> -(TAT - now) - 1
// (nothing written). The client does that arithmetic: the server does only TIME, GET, PTTL, SET.
const CONSUME = new LuaScript(`
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local window = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i])) or now
  if tat < now then tat = now end
  local ahead = tat + ARGV[i + 1] - now
  if ahead > window then
    out[i] = -math.ceil((tat - now) * 1000) - 1
  else
    -- The key must outlive the new TAT. Re-setting an expiry costs more than reading it, so the
    -- TTL is renewed (with a window of slack) only when it would not cover the new TAT.
    if redis.call('PTTL', KEYS[i]) * 1000 > ahead then
      redis.call('SET', KEYS[i], string.format('%.17g', now + ahead), 'KEEPTTL')
    else
      redis.call('SET', KEYS[i], string.format('%.17g', now + ahead), 'PX', math.ceil((ahead + window) / 1000) + 1)
    end
    out[i] = math.ceil(ahead * 1000)
  end
end
return out
`)

/** Checks per script call: a script blocks Redis while it runs (~4 µs per check), so a burst is cut into calls of at most this many. */
const MAX_CHECKS_PER_SCRIPT = 100

/** One consume() waiting for its batch. */
interface PendingCheck {
  key: string
  cost: number
  resolve(result: RateLimitResult): void
  reject(error: unknown): void
}

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
  readonly #intervalUs: number
  readonly #checks = new TickQueue<PendingCheck>((checks) => this.#flush(checks), MAX_CHECKS_PER_SCRIPT)

  constructor(client: RedisClient, options: RedisRateLimiterOptions) {
    this.#client = assertClient(client, 'redisRateLimiter')
    if (typeof options !== 'object' || options === null) {
      throw new PerfError('INVALID_OPTION', '[perf:redis] redisRateLimiter needs options { limit, windowMs }')
    }
    this.#limit = assertWholeNumber(options.limit, 'limit', 1, 1_000_000_000, 'redisRateLimiter')
    const windowMs = toMs(options.windowMs, 'windowMs', 'INVALID_OPTION')
    if (windowMs < 1)
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:redis] redisRateLimiter option "windowMs" must be at least 1 ms, got ${windowMs}`,
        { context: { option: 'windowMs' } },
      )
    this.#windowUs = Math.round(windowMs * 1000)
    this.#intervalUs = this.#windowUs / this.#limit
    this.#prefix = assertPrefix(options.prefix ?? 'perf:rl:', 'redisRateLimiter', 'prefix')
    this.#timeoutMs = toMs(options.commandTimeoutMs ?? 250, 'commandTimeoutMs', 'INVALID_OPTION')
  }

  /**
   * Takes `cost` permits for `key` if available; a rejected call takes none.
   * @throws PerfError INVALID_ARGUMENT (cost not an integer in 1..limit), TIER_FAILED / TIER_TIMEOUT (Redis)
   */
  consume(key: string, cost = 1): Promise<RateLimitResult> {
    return new Promise<RateLimitResult>((resolve, reject) =>
      this.#checks.add({ key: this.#checkedKey(key, cost), cost, resolve, reject }),
    )
  }

  /** The state key of a valid call. @throws PerfError INVALID_ARGUMENT, TIER_FAILED (inside consume's promise: it rejects) */
  #checkedKey(key: string, cost: number): string {
    if (!Number.isInteger(cost) || cost < 1 || cost > this.#limit) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:redis] redisRateLimiter.consume(): cost must be an integer from 1 to limit=${this.#limit}, got ${String(cost)}`,
        {
          context: { key, cost, limit: this.#limit },
        },
      )
    }
    const stateKey = this.#key(key)
    const lost = lostConnectionError(this.#client, 'redisRateLimiter.consume()')
    if (lost !== undefined) throw lost
    return stateKey
  }

  /** Sends the checks of one tick: one script call (one per hash slot on a Cluster). */
  #flush(checks: PendingCheck[]): void {
    if (checks.length > 1 && isCluster(this.#client)) {
      for (const group of groupBySlot(checks, (check) => check.key)) this.#send(group)
    } else {
      this.#send(checks)
    }
  }

  #send(checks: PendingCheck[]): void {
    const keys = new Array<string>(checks.length)
    const args = new Array<number>(checks.length + 1)
    args[0] = this.#windowUs
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i] as PendingCheck
      keys[i] = check.key
      args[i + 1] = check.cost * this.#intervalUs
    }
    settleWithin(
      CONSUME.run(this.#client, keys, args) as Promise<number[]>,
      this.#timeoutMs,
      'redisRateLimiter.consume()',
      (err) => redisFailure('redisRateLimiter.consume()', err),
      (replies) => {
        for (let i = 0; i < checks.length; i++) {
          const check = checks[i] as PendingCheck
          check.resolve(this.#result(Number(replies[i]), check.cost))
        }
      },
      (error) => {
        for (const check of checks) check.reject(error)
      },
    )
  }

  /** The caller's answer from the script's reply (ns; see CONSUME). */
  #result(reply: number, cost: number): RateLimitResult {
    const limit = this.#limit
    const interval = this.#intervalUs
    if (reply >= 0) {
      const ahead = reply / 1000
      return {
        allowed: true,
        limit,
        remaining: clamp(Math.floor((this.#windowUs - ahead) / interval + 1e-6), limit),
        retryAfterMs: 0,
      }
    }
    const behind = (-reply - 1) / 1000
    const wait = behind + cost * interval - this.#windowUs
    return {
      allowed: false,
      limit,
      remaining: clamp(Math.floor((this.#windowUs - behind) / interval + 1e-6), limit),
      retryAfterMs: Math.max(1, Math.ceil(wait / 1000)),
    }
  }

  /** Forgets everything recorded for `key`. */
  async reset(key: string): Promise<void> {
    await this.#call('reset', () => this.#client.del(this.#key(key)))
  }

  /** Nothing to release: the client is yours. */
  async close(): Promise<void> {}

  #key(key: string): string {
    if (typeof key !== 'string' || key.length === 0) {
      throw new PerfError('INVALID_ARGUMENT', '[perf:redis] redisRateLimiter: key must be a non-empty string', {
        context: { key },
      })
    }
    return this.#prefix + key
  }

  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const what = `redisRateLimiter.${operation}()`
    const lost = lostConnectionError(this.#client, what)
    if (lost !== undefined) throw lost
    try {
      return await withDeadline(run(), this.#timeoutMs, what)
    } catch (err) {
      throw redisFailure(what, err)
    }
  }
}

function clamp(remaining: number, limit: number): number {
  return remaining < 0 ? 0 : remaining > limit ? limit : remaining
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
