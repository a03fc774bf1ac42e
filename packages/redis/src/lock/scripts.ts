import { NEXT_COUNTER_LUA } from '../internal/monotonic.js'
import { LuaScript } from '../internal/script.js'

// Keys of one lock: the lock keys (n), then their wait queues (n, same hash slots: '<key>:q'),
// then, for ACQUIRE on a single node, the fence counter. A wait queue lists waiter tokens
// '<lockerId>|<seq>' in arrival order; a release pops the first and publishes to that locker's
// channel only, so one waiter wakes per release instead of every process (no thundering herd).
// Fences come from next_counter (internal/monotonic.ts): max(counter + 1, server TIME in µs), so
// they keep growing when a restart without persistence loses the counter.

/**
 * Takes every lock key or none. ARGV: value, ttlMs, withFence ('1'/'0'), waiter token ('' = do not
 * queue), queueTtlMs, n, front ('1' = queue at the head: a woken waiter that lost a race).
 * Replies {1, fence} on success, {0, holderValue, holderPttl} when held (and queues the waiter).
 */
export const ACQUIRE = new LuaScript(`${NEXT_COUNTER_LUA}
local n = tonumber(ARGV[6])
local token = ARGV[4]
for i = 1, n do
  -- SET NX is the whole uncontended path: one command per key, no read first.
  if not redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then
    for j = 1, i - 1 do redis.call('DEL', KEYS[j]) end
    if token ~= '' then
      local queue = KEYS[n + i]
      if not redis.call('LPOS', queue, token) then
        if ARGV[7] == '1' then redis.call('LPUSH', queue, token) else redis.call('RPUSH', queue, token) end
      end
      if redis.call('PTTL', queue) < tonumber(ARGV[5]) then redis.call('PEXPIRE', queue, ARGV[5]) end
    end
    return { 0, redis.call('GET', KEYS[i]), redis.call('PTTL', KEYS[i]) }
  end
end
if token ~= '' then
  for i = 1, n do redis.call('LREM', KEYS[n + i], 0, token) end
end
if ARGV[3] == '1' then return { 1, next_counter(KEYS[2 * n + 1]) } end
return { 1, 0 }
`)

/**
 * The uncontended fast path of {@link ACQUIRE}: one key, no wait queue involved (a first attempt),
 * single node. KEYS: lock key, fence counter. ARGV: value, ttlMs. Replies the fence (an integer)
 * when taken, {holderValue, holderPttl} when held. Same effect as ACQUIRE with n = 1 and no token.
 */
export const ACQUIRE_ONE = new LuaScript(`${NEXT_COUNTER_LUA}
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return next_counter(KEYS[2]) end
return { redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1]) }
`)

/**
 * Deletes the lock keys this owner holds and wakes the first waiter of each.
 * KEYS: lock keys, then their queues. ARGV: value, channel prefix. Returns how many were held.
 */
export const RELEASE = new LuaScript(`
local n = #KEYS / 2
local released = 0
for i = 1, n do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('DEL', KEYS[i])
    released = released + 1
    local waiter = redis.call('LPOP', KEYS[n + i])
    if waiter then
      local bar = string.find(waiter, '|', 1, true)
      redis.call('PUBLISH', ARGV[2] .. string.sub(waiter, 1, bar - 1), KEYS[i] .. '|' .. string.sub(waiter, bar + 1))
    end
  end
end
return released
`)

/**
 * Passes a wake-up on to the next waiter when the one it was meant for has stopped waiting and the
 * lock is free. KEYS: lock key, its queue. ARGV: channel prefix. Returns 1 if someone was woken.
 */
export const WAKE_NEXT = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local waiter = redis.call('LPOP', KEYS[2])
if not waiter then return 0 end
local bar = string.find(waiter, '|', 1, true)
redis.call('PUBLISH', ARGV[1] .. string.sub(waiter, 1, bar - 1), KEYS[1] .. '|' .. string.sub(waiter, bar + 1))
return 1
`)

/** Removes a waiter that gave up from the queues. KEYS: queues. ARGV[1]: token. */
export const LEAVE_QUEUE = new LuaScript(`
for _, queue in ipairs(KEYS) do redis.call('LREM', queue, 0, ARGV[1]) end
return 1
`)

/** Extends all keys if this owner still holds every one. KEYS: lock keys. ARGV: value, ttlMs. Returns 1 or 0. */
export const EXTEND = new LuaScript(`
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) ~= ARGV[1] then return 0 end
end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[2]) end
return 1
`)

/** Issues the next fence on a Cluster, where the counter has a slot of its own. KEYS[1]: counter. */
export const NEXT_FENCE = new LuaScript(`${NEXT_COUNTER_LUA}
return next_counter(KEYS[1])
`)

/** Raises a fence counter to at least ARGV[1] (keeps the counters of several nodes in step). KEYS[1]: counter. */
export const RAISE_FENCE = new LuaScript(`
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
`)
