import { LuaScript } from '../internal/script.js'

// Layout of one entry: a hash with v (encoded value), c (createdAt), s (staleAt), e (expiresAt),
// t (JSON array of tags, absent when none). A deleted entry becomes a tombstone hash {d = at}
// that lives `tombstoneMs`, so a slow load that began before the delete cannot write back.
// Times are milliseconds, possibly fractional (the engine orders same-millisecond events with
// .001 steps); they travel and are stored as the caller's decimal strings, never reformatted
// (tostring would print 1.7e+12 and lose digits).

/**
 * Reads entries and, in the same script, the latest invalidation time of each entry's tags.
 * KEYS: entry keys. ARGV[1]: the tag-key prefix of their bucket. Replies per key: false, or
 * {value, 'createdAt|staleAt|expiresAt|tagsInvalidatedAt|tagsJson'} (two bulk strings: cheaper
 * for the client to parse than six).
 */
export const GET_ENTRIES = new LuaScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local h = redis.call('HMGET', key, 'v', 'c', 's', 'e', 't')
  if h[1] then
    local tagMax, tagMaxText = 0, '0'
    if h[5] then
      for _, tag in ipairs(cjson.decode(h[5])) do
        local text = redis.call('GET', ARGV[1] .. tag)
        if text and tonumber(text) > tagMax then tagMax, tagMaxText = tonumber(text), text end
      end
    end
    out[i] = { h[1], h[2] .. '|' .. h[3] .. '|' .. h[4] .. '|' .. tagMaxText .. '|' .. (h[5] or '') }
  else
    out[i] = false
  end
end
return out
`)

/**
 * Writes one entry unless a tombstone newer than its createdAt exists (no stale write-back).
 * KEYS[1]: entry, KEYS[2]: bucket meta (max expiresAt written). ARGV: v, c, s, e, t, px, tagPrefix.
 * Keeps each existing tag record alive at least as long as the entry. Returns 1 written, 0 refused.
 */
export const SET_ENTRY = new LuaScript(`
local tomb = redis.call('HGET', KEYS[1], 'd')
if tomb and tonumber(ARGV[2]) < tonumber(tomb) then return 0 end
redis.call('DEL', KEYS[1])
if ARGV[5] == '' then
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'c', ARGV[2], 's', ARGV[3], 'e', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'c', ARGV[2], 's', ARGV[3], 'e', ARGV[4], 't', ARGV[5])
end
local px = tonumber(ARGV[6])
redis.call('PEXPIRE', KEYS[1], px)
local maxExpires = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[4]) > maxExpires then redis.call('SET', KEYS[2], ARGV[4], 'PX', px) end
if ARGV[5] ~= '' then
  for _, tag in ipairs(cjson.decode(ARGV[5])) do
    local tagKey = ARGV[7] .. tag
    local left = redis.call('PTTL', tagKey)
    if left > 0 and left < px then redis.call('PEXPIRE', tagKey, px) end
  end
end
return 1
`)

/**
 * Deletes entries, leaving tombstones. KEYS: entry keys. ARGV: at, tombstoneMs (0 = plain DEL).
 * Returns how many held a value.
 */
export const DELETE_ENTRIES = new LuaScript(`
local existed = 0
local tombMs = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  local h = redis.call('HMGET', key, 'v', 'd')
  if h[1] then existed = existed + 1 end
  redis.call('DEL', key)
  if tombMs > 0 then
    local at = ARGV[1]
    if h[2] and tonumber(h[2]) > tonumber(at) then at = h[2] end
    redis.call('HSET', key, 'd', at)
    redis.call('PEXPIRE', key, tombMs)
  end
end
return existed
`)

/**
 * Records tag invalidation times (never moving one backwards). KEYS[1]: bucket meta.
 * ARGV: at, now, minTtlMs, tagPrefix, tags... Each record lives until every entry written so far
 * in the bucket has expired (meta holds their max expiresAt), and at least minTtlMs.
 */
export const INVALIDATE_TAGS = new LuaScript(`
local maxExpires = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = math.max(maxExpires - tonumber(ARGV[2]), tonumber(ARGV[3]))
for i = 5, #ARGV do
  local tagKey = ARGV[4] .. ARGV[i]
  local current = redis.call('GET', tagKey)
  local at = ARGV[1]
  if current and tonumber(current) > tonumber(at) then at = current end
  local left = redis.call('PTTL', tagKey)
  redis.call('SET', tagKey, at, 'PX', math.ceil(math.max(ttl, left)))
end
return #ARGV - 4
`)
