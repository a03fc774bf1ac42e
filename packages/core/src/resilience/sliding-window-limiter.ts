import { PerfError } from '../errors.js'
import { systemClock, type Clock } from '../util/clock.js'
import { CHANNELS, publish } from '../util/diagnostics.js'
import { toMs, type Duration } from '../util/duration.js'
import { assertFunction, assertInt } from '../util/validate.js'
import type { RateLimiter, RateLimitResult } from './types.js'

/** Options of {@link SlidingWindowLimiter}. */
export interface SlidingWindowLimiterOptions {
  /** Permits per window (integer >= 1); also the largest burst. */
  limit: number
  /** Window length: a whole number of ms, or a duration string. */
  windowMs: Duration
  /** Time source. @default systemClock */
  clock?: Clock
  /** Keys remembered at once; the least recently used key is forgotten beyond this. @default 100_000 */
  maxKeys?: number
}

/**
 * Per-key state: the theoretical arrival time (TAT) of GCRA, kept as whole ms plus a remainder
 * in units of 1/limit ms so that `limit` permits always add up to exactly one window (plain
 * floats drift: 3 × 1000/3 is not always 1000 at epoch-sized magnitudes).
 */
interface KeyState {
  tatMs: number
  tatFrac: number
}

/** Largest `limit × windowMs` for which the integer arithmetic below stays exact. */
const MAX_PRODUCT = 2 ** 50

/**
 * In-memory rate limiter using GCRA (the generic cell rate algorithm): a key may spend its
 * whole `limit` at once, after which permits come back evenly, one every `windowMs / limit` ms,
 * and the whole limit is back `windowMs` after the last spend. A client can therefore never
 * fire two full bursts back to back across a window edge, as fixed windows allow; over any span
 * of `t < windowMs` it gets at most `limit + ceil(t × limit / windowMs)` permits. State is O(1)
 * per key and at most `maxKeys` keys are kept: idle keys are dropped as new keys arrive, and
 * beyond the cap the least recently used key is forgotten (it starts again with a full limit).
 *
 * @example
 * const limiter = new SlidingWindowLimiter({ limit: 100, windowMs: '1m' })
 * const { allowed, retryAfterMs } = await limiter.consume(`login:${ip}`)
 * @throws PerfError INVALID_OPTION naming the option
 */
export class SlidingWindowLimiter implements RateLimiter {
  /** Permits per window. */
  readonly limit: number
  /** Window length in ms. */
  readonly windowMs: number
  private readonly clock: Clock
  private readonly maxKeys: number
  private readonly keys = new Map<string, KeyState>()
  private evictions = 0

  constructor(options: SlidingWindowLimiterOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new PerfError(
        'INVALID_OPTION',
        '[perf:resilience] SlidingWindowLimiter needs an options object with "limit" and "windowMs"',
        {
          context: { option: 'options', value: options },
        },
      )
    }
    this.limit = assertInt(options.limit, 'limit', 1)
    this.windowMs = assertInt(toMs(options.windowMs, 'windowMs', 'INVALID_OPTION'), 'windowMs', 1)
    if (this.limit * this.windowMs > MAX_PRODUCT) {
      throw new PerfError(
        'INVALID_OPTION',
        `[perf:resilience] option "limit" × "windowMs" must be at most 2^50, got ${this.limit} × ${this.windowMs}`,
        {
          context: { option: 'limit', value: this.limit, windowMs: this.windowMs },
        },
      )
    }
    this.clock = options.clock ?? systemClock
    assertFunction(this.clock?.now, 'clock.now')
    this.maxKeys = assertInt(options.maxKeys ?? 100_000, 'maxKeys', 1)
  }

  /** Keys currently remembered (at most `maxKeys`). */
  get size(): number {
    return this.keys.size
  }

  /** Keys forgotten while still active because `maxKeys` was reached. */
  get evicted(): number {
    return this.evictions
  }

  /**
   * Takes `cost` permits for `key` if that many are available now; a rejected call takes none.
   *
   * @throws PerfError INVALID_ARGUMENT when `key` is not a string or `cost` is not an integer in [1, limit]
   */
  async consume(key: string, cost = 1): Promise<RateLimitResult> {
    this.check(key, cost)
    const now = this.clock.now()
    const { limit, windowMs } = this
    const state = this.keys.get(key)
    // An idle key (TAT in the past) is the same as a fresh one: start from now.
    const busy = state !== undefined && (state.tatMs - now) * limit + state.tatFrac > 0
    const baseMs = busy ? state.tatMs : now
    const baseFrac = busy ? state.tatFrac : 0
    const units = baseFrac + cost * windowMs
    const nextMs = baseMs + Math.floor(units / limit)
    const nextFrac = units % limit
    // Units (1/limit ms) by which the new TAT would overshoot now + windowMs; <= 0 means allowed.
    const excess = (nextMs - now - windowMs) * limit + nextFrac
    if (excess <= 0) {
      this.store(key, state, nextMs, nextFrac)
      return { allowed: true, limit, remaining: Math.floor((0 - excess) / windowMs), retryAfterMs: 0 }
    }
    if (state !== undefined) this.touch(key, state)
    const available = Math.max(0, Math.floor(-((baseMs - now - windowMs) * limit + baseFrac) / windowMs))
    const retryAfterMs = Math.max(1, Math.ceil(excess / limit))
    publish(CHANNELS.resilience, { type: 'rateLimit.rejected', key, cost, limit, remaining: available, retryAfterMs })
    return { allowed: false, limit, remaining: available, retryAfterMs }
  }

  /** Forgets `key`: its next call starts with the full limit. */
  async reset(key: string): Promise<void> {
    this.keys.delete(key)
  }

  /** Forgets every key. The limiter stays usable. */
  async close(): Promise<void> {
    this.keys.clear()
  }

  private check(key: string, cost: number): void {
    if (typeof key !== 'string') {
      throw new PerfError('INVALID_ARGUMENT', `[perf:resilience] rate-limit key must be a string, got ${typeof key}`, {
        context: { argument: 'key' },
      })
    }
    if (!Number.isInteger(cost) || cost < 1 || cost > this.limit) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:resilience] cost must be an integer from 1 to limit=${this.limit}, got ${String(cost)}`,
        {
          context: { argument: 'cost', value: cost, limit: this.limit },
        },
      )
    }
  }

  private store(key: string, state: KeyState | undefined, tatMs: number, tatFrac: number): void {
    if (state === undefined) {
      this.makeRoom()
      this.keys.set(key, { tatMs, tatFrac })
      return
    }
    state.tatMs = tatMs
    state.tatFrac = tatFrac
    this.touch(key, state)
  }

  /** Moves `key` to the back of the map, which is kept in least-recently-used order. */
  private touch(key: string, state: KeyState): void {
    this.keys.delete(key)
    this.keys.set(key, state)
  }

  /**
   * Called before a new key is added: drops up to two idle keys from the least recently used end
   * (so idle keys drain at the rate new ones arrive), then evicts one active key if still full.
   */
  private makeRoom(): void {
    const now = this.clock.now()
    let checked = 0
    for (const [key, state] of this.keys) {
      if (checked++ === 2 || (state.tatMs - now) * this.limit + state.tatFrac > 0) break
      this.keys.delete(key)
    }
    if (this.keys.size < this.maxKeys) return
    const oldest = this.keys.keys().next()
    if (oldest.done !== true) {
      this.keys.delete(oldest.value)
      this.evictions += 1
    }
  }
}
