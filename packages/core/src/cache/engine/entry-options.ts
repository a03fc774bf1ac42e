import { PerfError } from '../../errors.js'
import { toMs, type Duration } from '../../util/duration.js'
import { assertTagList, isWellFormed } from '../value/keys.js'
import type { EntryOptions, GetOrSetOptions } from '../types.js'

/** Per-call options after validation, all in milliseconds. */
export interface ResolvedOptions {
  ttl: number
  swr: number
  grace: number
  jitter: number
  tags: readonly string[] | undefined
  timeout: number | undefined
  hardTimeout: number | undefined
  failureBackoff: number
}

/** Cache-wide defaults the per-call options fall back to. */
export interface OptionDefaults {
  ttl: number
  swr: number
  grace: number
  jitter: number
  failureBackoff: number
  maxStale: number
}

function ms(value: Duration | undefined, name: string, fallback: number): number {
  return value === undefined ? fallback : toMs(value, name)
}

/** Validates one call's options against the cache defaults. @throws PerfError INVALID_TTL, INVALID_ARGUMENT */
export function resolveOptions(
  opts: GetOrSetOptions | EntryOptions | undefined,
  d: OptionDefaults,
  base: ResolvedOptions,
): ResolvedOptions {
  if (opts === undefined) return base
  const o = opts as GetOrSetOptions
  const tags = o.tags
  if (tags !== undefined) validateTags(tags)
  return {
    ttl: ms(o.ttl, 'ttl', d.ttl),
    // swr and grace are clamped to maxStale: nothing is served longer than that after going stale.
    swr: Math.min(ms(o.swr, 'swr', d.swr), d.maxStale),
    grace: Math.min(ms(o.grace, 'grace', d.grace), d.maxStale),
    jitter: ms(o.jitter, 'jitter', d.jitter),
    tags: tags === undefined || tags.length === 0 ? undefined : tags,
    timeout: o.timeout === undefined ? undefined : toMs(o.timeout, 'timeout'),
    hardTimeout: o.hardTimeout === undefined ? undefined : toMs(o.hardTimeout, 'hardTimeout'),
    failureBackoff: ms(o.failureBackoff, 'failureBackoff', d.failureBackoff),
  }
}

const DURATION_KEYS = ['ttl', 'swr', 'grace', 'jitter', 'timeout', 'hardTimeout', 'failureBackoff'] as const

/**
 * Validates a call's options without building anything (the hit path needs no resolved options,
 * but bad input must still be rejected on a hit). @throws PerfError INVALID_TTL, INVALID_ARGUMENT
 */
export function checkOptions(opts: GetOrSetOptions | undefined): void {
  if (opts === undefined) return
  for (let i = 0; i < DURATION_KEYS.length; i++) {
    const name = DURATION_KEYS[i] as (typeof DURATION_KEYS)[number]
    const value = opts[name]
    if (value === undefined || (typeof value === 'number' && value >= 0 && value < Number.POSITIVE_INFINITY)) continue
    toMs(value, name)
  }
  // Well-formedness is checked when the tags are used (resolveOptions, on the way to a write).
  if (opts.tags !== undefined) validateTags(opts.tags, false)
}

/** The options used when a call passes none. */
export function baseOptions(d: OptionDefaults): ResolvedOptions {
  return {
    ttl: d.ttl,
    swr: d.swr,
    grace: d.grace,
    jitter: d.jitter,
    tags: undefined,
    timeout: undefined,
    hardTimeout: undefined,
    failureBackoff: d.failureBackoff,
  }
}

function validateTags(tags: readonly string[], wellFormed = true): void {
  if (!Array.isArray(tags)) {
    throw new PerfError('INVALID_ARGUMENT', `[perf:cache] tags must be an array of strings, got ${typeof tags}`, {
      context: { tags },
    })
  }
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length === 0 || (wellFormed && !isWellFormed(tag))) {
      if (typeof tag === 'string' && tag.length > 0) assertTagList(tag)
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[perf:cache] every tag must be a non-empty string, got ${JSON.stringify(tag)}`,
        {
          context: { tags },
        },
      )
    }
  }
}
