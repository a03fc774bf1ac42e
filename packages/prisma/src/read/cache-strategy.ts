import { PerfError, toMs, type GetOrSetOptions } from '@perf/core'

/**
 * A duration in `cacheStrategy`: a number of SECONDS (as in Prisma Accelerate, so its users can
 * paste their code), or a duration string such as `'500ms'`, `'30s'`, `'5m'`.
 */
export type StrategyDuration = number | string

/**
 * Per-call caching of a read, in the shape Prisma Accelerate uses.
 *
 * @example
 * await db.user.findMany({ where: { active: true }, cacheStrategy: { ttl: 60, swr: 30, tags: ['users'] } })
 */
export interface CacheStrategy {
  /** How long the result is fresh, in seconds (or a string like `'30s'`). @default the model's default, else the cache's `defaultTtl` */
  ttl?: StrategyDuration
  /** After `ttl`, serve the stale result at once and refresh it in the background for this long, in seconds. @default 0 */
  swr?: StrategyDuration
  /** Extra tags for `db.$perf.invalidate({ tags })`; the models the read touches are tagged automatically. */
  tags?: readonly string[]
}

/** Per-model defaults: reads of the model are cached without a per-call `cacheStrategy`. */
export interface ModelCacheOptions extends CacheStrategy {
  /** Read operations cached by default. @default every read operation */
  operations?: readonly string[]
}

/** A validated strategy in milliseconds. */
export interface ResolvedStrategy {
  ttlMs: number | undefined
  swrMs: number
  tags: readonly string[]
}

const MAX_TAG_LENGTH = 256

/**
 * Converts a strategy duration to milliseconds: numbers are seconds, strings are parsed.
 * @throws PerfError INVALID_TTL naming `name` when negative, NaN, infinite or unparsable
 */
export function strategyMs(value: StrategyDuration, name: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value * 1000
    throw new PerfError(
      'INVALID_TTL',
      `[perf:prisma] ${name} must be a finite, non-negative number of seconds, got ${String(value)}`,
      {
        context: { option: name, value },
      },
    )
  }
  return toMs(value, name, 'INVALID_TTL')
}

/**
 * Validates a strategy's shape and tags.
 * @throws PerfError INVALID_CACHE_STRATEGY when it is not an object, has unknown keys or bad tags; INVALID_TTL for bad durations
 */
export function validateStrategy(value: unknown, name: string, extraKeys: readonly string[] = []): CacheStrategy {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PerfError(
      'INVALID_CACHE_STRATEGY',
      `[perf:prisma] ${name} must be an object like { ttl: 60, swr: 30, tags: ['users'] }, got ${String(value)}`,
      {
        context: { option: name, value },
      },
    )
  }
  const strategy = value as Record<string, unknown>
  for (const key of Object.keys(strategy)) {
    if (key !== 'ttl' && key !== 'swr' && key !== 'tags' && !extraKeys.includes(key)) {
      throw new PerfError(
        'INVALID_CACHE_STRATEGY',
        `[perf:prisma] ${name} has unknown key "${key}" (allowed: ttl, swr, tags${extraKeys.map((k) => `, ${k}`).join('')})`,
        {
          context: { option: name, key },
        },
      )
    }
  }
  if (strategy.ttl !== undefined) strategyMs(strategy.ttl as StrategyDuration, `${name}.ttl`)
  if (strategy.swr !== undefined) strategyMs(strategy.swr as StrategyDuration, `${name}.swr`)
  const tags = strategy.tags
  if (tags !== undefined) {
    const valid =
      Array.isArray(tags) && tags.every((t) => typeof t === 'string' && t.length > 0 && t.length <= MAX_TAG_LENGTH)
    if (!valid) {
      throw new PerfError(
        'INVALID_CACHE_STRATEGY',
        `[perf:prisma] ${name}.tags must be an array of non-empty strings of at most ${MAX_TAG_LENGTH} characters`,
        {
          context: { option: name, tags },
        },
      )
    }
  }
  return strategy as CacheStrategy
}

/** Merges a per-call strategy over a model default (per-call fields win; tags are combined). */
export function resolveStrategy(
  call: CacheStrategy | undefined,
  model: CacheStrategy | undefined,
  name: string,
): ResolvedStrategy {
  const ttl = call?.ttl ?? model?.ttl
  const swr = call?.swr ?? model?.swr
  return {
    ttlMs: ttl === undefined ? undefined : strategyMs(ttl, `${name}.ttl`),
    swrMs: swr === undefined ? 0 : strategyMs(swr, `${name}.swr`),
    tags: [...(model?.tags ?? []), ...(call?.tags ?? [])],
  }
}

/** The getOrSet options of a cached read: always with `meta`, whose status the adapter counts and reports. */
export type CacheEntryOptions = GetOrSetOptions & { meta: true }

/** The getOrSet options for a read under `strategy` with `tags`. */
export function cacheEntryOptions(strategy: ResolvedStrategy, tags: readonly string[]): CacheEntryOptions {
  // Built in one shape (no `delete`, no undefined `ttl`): the cache reads these options on every call.
  return strategy.ttlMs === undefined
    ? { swr: strategy.swrMs, tags, meta: true }
    : { ttl: strategy.ttlMs, swr: strategy.swrMs, tags, meta: true }
}

/** Splits `cacheStrategy` off Prisma's arguments. */
export function splitArgs(args: unknown): { args: unknown; strategy: unknown } {
  if (args === null || typeof args !== 'object' || !('cacheStrategy' in args)) return { args, strategy: undefined }
  const { cacheStrategy, ...rest } = args as Record<string, unknown>
  return { args: rest, strategy: cacheStrategy }
}
