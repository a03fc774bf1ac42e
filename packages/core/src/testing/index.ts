/**
 * Conformance suites every implementation of a core interface runs. Each takes the test
 * runner's functions, so core never imports a test framework.
 *
 * @example
 * import { describe, it, expect, beforeEach, afterEach } from 'vitest'
 * import { cacheStoreSuite } from '@perf/core/testing'
 * cacheStoreSuite('redisStore', () => redisStore(redis), { describe, it, expect, beforeEach, afterEach })
 *
 * Also fault injection for any `CacheStore` (`chaosStore`) and the skip-or-fail policy for tests
 * that need a real service (`requireService`, `PERF_REQUIRE_SERVICES=1`).
 *
 * @example
 * const chaos = chaosStore(new MemoryStore())
 * chaos.fail('set', { times: 3 }).hang('get')
 * const ok = await requireService('Redis at 127.0.0.1:6379', () => redisPing(6379), { scope: '[my-adapter tests]' })
 */
export type { TestRunner } from './runner.js'
export { skipWithReason } from './runner.js'
export { cacheStoreSuite } from './cache-store-suite.js'
export type { CacheStoreFactory, CacheStoreSuiteOptions } from './cache-store-suite.js'
export { lockerSuite } from './locker-suite.js'
export type { LockerCapabilities, LockerFactory, LockerSuiteOptions } from './locker-suite.js'
export { invalidationBusSuite } from './invalidation-bus-suite.js'
export type {
  InvalidationBusCapabilities,
  InvalidationBusFactory,
  InvalidationBusSuiteOptions,
} from './invalidation-bus-suite.js'
export { leaderElectionSuite } from './leader-election-suite.js'
export type { LeaderElectionFactory, LeaderElectionSuiteOptions } from './leader-election-suite.js'
export { rateLimiterSuite } from './rate-limiter-suite.js'
export type { RateLimiterFactory, RateLimiterSuiteOptions } from './rate-limiter-suite.js'
export { ormAdapterSuite, ormSuiteSchema } from './orm-adapter-suite.js'
export type {
  OrmAdapterContext,
  OrmAdapterFactory,
  OrmAdapterHarness,
  OrmAdapterSuiteOptions,
  OrmSuiteRead,
  OrmSuiteTransaction,
  OrmSuiteWrite,
  OrmSuiteWriteArgs,
} from './orm-adapter-suite.js'
export { chaosStore } from './chaos-store.js'
export type { ChaosStore, ChaosStoreOptions } from './chaos-store.js'
export type {
  ChaosCorruptOptions,
  ChaosErrorOptions,
  ChaosFault,
  ChaosOperation,
  ChaosOperationStats,
  ChaosScheduleOptions,
  ChaosStats,
} from './chaos-schedule.js'
export { postgresPing, redisPing, requireService, serviceMissing, servicesRequired, tcpReachable } from './services.js'
export type { RequireServiceOptions } from './services.js'
