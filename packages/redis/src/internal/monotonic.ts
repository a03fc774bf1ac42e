/**
 * A Lua fragment defining `next_counter(key)`: stores and returns `max(counter + 1, server TIME in µs)`.
 *
 * A counter kept only in Redis restarts at 0 when Redis restarts without persistence (or a failover
 * loses it); taking the server's clock in µs as a floor keeps what it hands out above everything
 * handed out before, as long as the server's clock did not step back by more than the outage lasted
 * and fewer than 1,000,000 numbers a second were handed out on average (the counter then stays at or
 * below the clock). Only the server's own clock is read: no two machines' clocks are compared.
 * Values are ~1.8e15, exact in a Lua double and in a JS number (< 2^53); string.format, because
 * tostring would write 1.8e+15, which Redis does not read back as an integer.
 * Redis 5+ replicates scripts by effects, so TIME before a write is allowed.
 */
export const NEXT_COUNTER_LUA = `
local function next_counter(key)
  local now = redis.call('TIME')
  local floor = tonumber(now[1]) * 1000000 + tonumber(now[2])
  local value = tonumber(redis.call('GET', key) or '0') + 1
  if value < floor then value = floor end
  redis.call('SET', key, string.format('%.0f', value))
  return value
end
`
