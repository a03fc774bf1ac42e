// store (L2 tier)
export { RedisStore, redisStore } from './store/redis-store.js'
export type { RedisStoreOptions } from './store/redis-store.js'

// invalidation bus
export { RedisBus, redisBus } from './bus/redis-bus.js'
export type { RedisBusOptions } from './bus/redis-bus.js'

// locks
export { RedlockLocker, redlockLocker } from './lock/redlock-locker.js'
export type { RedlockLockerOptions } from './lock/redlock-locker.js'
export type { RedlockLock } from './lock/redlock-lock.js'

// rate limiting
export { RedisRateLimiter, redisRateLimiter } from './rate-limit/redis-rate-limiter.js'
export type { RedisRateLimiterOptions } from './rate-limit/redis-rate-limiter.js'

// leader election
export { RedisLeaderElection, redisLeaderElection } from './leader/redis-leader-election.js'
export type { RedisLeaderElectionOptions } from './leader/redis-leader-election.js'

// clients
export { createRedisClient, failFastClusterOptions, failFastOptions } from './fail-fast.js'
export type { FailFastSettings } from './fail-fast.js'
export type { RedisClient } from './internal/client.js'
