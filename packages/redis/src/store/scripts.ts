import { LuaScript } from '../internal/script.js'

// Ordering (docs/caching.md, "Ordering across instances"): every bucket (hash slot) has a clock
// key holding the last *stamps* issued there (newest first, eight kept). A stamp is max(previous + 1, the Redis server's TIME
// in µs): strictly increasing per bucket, unaffected by any client's clock, and above every
// earlier stamp even after a restart that lost the clock (server time moved on). Deletes, tag
// invalidations, clears and direct sets take a new stamp; a read returns the clock's value
// (the *version* the load starts from) in the same MGET as the entry. An entry stores the version
// it was loaded at; it is valid while no record of its key, tags or namespace is newer.
//
// Layout (layout.ts, entry-format.ts): entry `e:<key>` (one string: header + codec bytes, read
// with MGET), tombstone `d:<key>` (stamp of the key's last delete/set, for `tombstoneMs`), tag
// record `t:<tag>` (stamp of the tag's last invalidation), clock `c`, clears `x` (JSON
// {namespacePrefix: stamp}), meta `m` (latest expiry of any entry, server ms). Stamps travel as
// decimal integer strings: string.format('%.0f') because Lua 5.1 prints 1.8e+15 otherwise.

const STAMP = `
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- The clock holds the last stamps issued, newest first: "s1,s2,...,s8".
local function stamps(clock)
  local out = {}
  for s in string.gmatch(redis.call('GET', clock) or '', '[^,]+') do out[#out + 1] = tonumber(s) or 0 end
  return out
end
local function bump(clock, now)
  local list = stamps(clock)
  local s = (list[1] or 0) + 1
  if now > s then s = now end
  local text = string.format('%.0f', s)
  local kept = { text }
  for i = 1, math.min(#list, 7) do kept[#kept + 1] = string.format('%.0f', list[i]) end
  redis.call('SET', clock, table.concat(kept, ','))
  return text
end
local function record_ttl(meta, now, min_ms)
  local left = tonumber(redis.call('GET', meta) or '0') - math.floor(now / 1000)
  if left < min_ms then left = min_ms end
  return left
end
`

/**
 * Writes one entry. KEYS[1] entry, [2] tombstone, [3] meta, [4] clock, [5] clears, [6..] the
 * entry's tag records. ARGV: version ('' for a direct set), header rest (createdAt|staleAt|
 * expiresAt|tags\n), body, px, the logical key (for namespace clears), window µs, tombstone ms.
 *
 * A direct set takes a new stamp, tombstones the key at it (older loads cannot write back) and
 * stores the entry at it. A load's write is refused (returns 0) when anything it depends on
 * changed after its version: unchanged clock means nothing in the bucket was invalidated since;
 * otherwise the tombstone, the tag records and the namespace clears decide, as long as every
 * record newer than the version is sure to still exist: the first stamp after the version is
 * younger than the window (records expire; a load that cannot be checked is refused). Returns 1
 * when written.
 */
export const SET_ENTRY = new LuaScript(`${STAMP}
local now = now_us()
local version = ARGV[1]
if version == '' then
  version = bump(KEYS[4], now)
  if tonumber(ARGV[7]) > 0 then redis.call('SET', KEYS[2], version, 'PX', ARGV[7]) end
else
  local v = tonumber(version)
  local list = stamps(KEYS[4])
  if #list == 0 then
    if v ~= 0 then return 0 end
  elseif list[1] ~= v then
    -- The first stamp issued after the read: every record newer than the version is at least as
    -- young, so all of them still exist if it is younger than the window. Unknown (more than the
    -- kept stamps since) or too old: some record may have expired, refuse.
    local first = nil
    for i = 1, #list do if list[i] > v then first = list[i] end end
    if #list == 8 and list[8] > v then first = nil end
    if first == nil or now - first >= tonumber(ARGV[6]) then return 0 end
    local tomb = redis.call('GET', KEYS[2])
    if tomb and tonumber(tomb) > v then return 0 end
    for i = 6, #KEYS do
      local t = redis.call('GET', KEYS[i])
      if t and tonumber(t) > v then return 0 end
    end
    local x = redis.call('GET', KEYS[5])
    if x then
      for p, s in pairs(cjson.decode(x)) do
        if tonumber(s) > v and string.sub(ARGV[5], 1, #p) == p then return 0 end
      end
    end
  end
end
local px = tonumber(ARGV[4])
redis.call('SET', KEYS[1], '\\2' .. version .. '|' .. ARGV[2] .. ARGV[3], 'PX', px)
local expires = math.floor(now / 1000) + px
if expires > tonumber(redis.call('GET', KEYS[3]) or '0') then redis.call('SET', KEYS[3], expires, 'PX', px) end
return 1
`)

/**
 * Deletes entries of one bucket and tombstones them. KEYS[1] clock, then n entry keys, then their
 * n tombstone keys. ARGV: tombstone ms (0: no tombstones). Returns how many entries existed.
 */
export const DELETE_ENTRIES = new LuaScript(`${STAMP}
local stamp = bump(KEYS[1], now_us())
local n = (#KEYS - 1) / 2
local existed = 0
for i = 2, n + 1 do
  existed = existed + redis.call('DEL', KEYS[i])
  if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[n + i], stamp, 'PX', ARGV[1]) end
end
return existed
`)

/**
 * Records tag invalidations in one bucket. KEYS[1] clock, [2] meta, [3..] tag records. ARGV: min
 * record ms. Each record lives until every entry written so far in the bucket has expired (on the
 * server's clock), and at least the minimum. Returns the stamp.
 */
export const INVALIDATE_TAGS = new LuaScript(`${STAMP}
local now = now_us()
local stamp = bump(KEYS[1], now)
local ttl = record_ttl(KEYS[2], now, tonumber(ARGV[1]))
for i = 3, #KEYS do
  local left = redis.call('PTTL', KEYS[i])
  if left > ttl then redis.call('SET', KEYS[i], stamp, 'PX', left) else redis.call('SET', KEYS[i], stamp, 'PX', ttl) end
end
return stamp
`)

/**
 * Records a clear of every key starting with a prefix in one bucket. KEYS[1] clock, [2] meta,
 * [3] clears record. ARGV: prefix, min record ms. Returns the stamp.
 */
export const CLEAR_PREFIX = new LuaScript(`${STAMP}
local now = now_us()
local stamp = bump(KEYS[1], now)
local ttl = record_ttl(KEYS[2], now, tonumber(ARGV[2]))
local x = redis.call('GET', KEYS[3])
local clears = {}
if x then clears = cjson.decode(x) end
clears[ARGV[1]] = stamp
local left = redis.call('PTTL', KEYS[3])
if left > ttl then ttl = left end
redis.call('SET', KEYS[3], cjson.encode(clears), 'PX', ttl)
return stamp
`)
