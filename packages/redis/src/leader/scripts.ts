import { NEXT_COUNTER_LUA } from '../internal/monotonic.js'
import { LuaScript } from '../internal/script.js'

/**
 * Takes the lease if free and opens a new term: `max(last term + 1, server TIME in µs)`, so terms
 * keep growing across a Redis restart that lost the counter. KEYS: lease, term counter.
 * ARGV: value, leaseMs. Replies {1, term} elected, {2, term} already ours (renewed), {0, holderPttl}
 * held by another.
 */
export const CAMPAIGN = new LuaScript(`${NEXT_COUNTER_LUA}
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { 2, tonumber(redis.call('GET', KEYS[2]) or '0') }
end
if current then return { 0, redis.call('PTTL', KEYS[1]) } end
local term = next_counter(KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return { 1, term }
`)

/** Extends the lease if still ours. KEYS[1]: lease. ARGV: value, leaseMs. Returns 1 or 0. */
export const RENEW = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`)

/** Deletes the lease only if ours. KEYS[1]: lease. ARGV[1]: value. Returns 1 or 0. */
export const RESIGN = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)
