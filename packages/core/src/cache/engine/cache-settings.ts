import { PerfError } from '../../errors.js'
import { toMs } from '../../util/duration.js'
import { assertInt } from '../../util/validate.js'
import { assertKey, assertKeyList } from '../value/keys.js'
import type { CacheOptions } from '../types.js'
import { baseOptions, type OptionDefaults } from './entry-options.js'

/**
 * Validates {@link CacheOptions} once and resolves every default, so the engine's parts read
 * plain numbers. @throws PerfError INVALID_OPTION naming the option
 */
export function cacheSettings(options: CacheOptions) {
  const namespace = options.namespace ?? 'app'
  if (typeof namespace !== 'string' || namespace.length === 0 || namespace.includes(':')) {
    throw new PerfError(
      'INVALID_OPTION',
      `[perf:cache] option "namespace" must be a non-empty string without ':', got ${JSON.stringify(namespace)}`,
      {
        context: { option: 'namespace' },
      },
    )
  }
  const duration = (value: CacheOptions[keyof CacheOptions], fallback: string | number, name: string): number =>
    toMs((value ?? fallback) as string | number, name, 'INVALID_OPTION')
  const maxStale = duration(options.maxStaleMs, '1h', 'maxStaleMs')
  const defaults: OptionDefaults = {
    ttl: duration(options.defaultTtl, '1m', 'defaultTtl'),
    swr: Math.min(duration(options.defaultSwr, 0, 'defaultSwr'), maxStale),
    grace: Math.min(duration(options.defaultGrace, 0, 'defaultGrace'), maxStale),
    jitter: duration(options.jitter, 0, 'jitter'),
    failureBackoff: duration(options.failureBackoff, '1s', 'failureBackoff'),
    maxStale,
  }
  const maxKeyLength = assertInt(options.maxKeyLength ?? 1024, 'maxKeyLength', 1)
  return {
    namespace,
    maxKeyLength,
    defaults,
    base: baseOptions(defaults),
    maxTags: assertInt(options.maxTags ?? 100_000, 'maxTags', 1),
    localMaxAgeMs:
      options.localMaxAgeMs === undefined
        ? Number.POSITIVE_INFINITY
        : duration(options.localMaxAgeMs, 0, 'localMaxAgeMs'),
    lockWaitMs: duration(options.lockWaitMs, '5s', 'lockWaitMs'),
    lockTtlMs: duration(options.lockTtlMs, '10s', 'lockTtlMs'),
    guard: {
      timeoutMs: duration(options.tierTimeout, '250ms', 'tierTimeout'),
      breakerThreshold: assertInt(options.tierBreakerThreshold ?? 3, 'tierBreakerThreshold', 1),
      breakerCooldownMs: duration(options.tierCooldownMs, '2s', 'tierCooldownMs'),
    },
    /** Validates a user key. @throws PerfError INVALID_KEY, KEY_TOO_LONG */
    assertKey: (key: unknown): string => assertKey(key, maxKeyLength),
    /** Validates a key or a list of keys. @throws PerfError INVALID_ARGUMENT, INVALID_KEY, KEY_TOO_LONG */
    assertKeys: (keys: unknown): string[] => assertKeyList(keys, maxKeyLength),
  }
}
