import { LuaScript } from '../internal/script.js'

// Layout (see layout.ts and entry-format.ts): an entry is one string (header + codec bytes) read
// with plain GET/MGET; a tag record is a string holding the tag's latest invalidation time; a
// deleted key leaves a tombstone string `<prefix>d:<key>` holding the delete time for
// `tombstoneMs`, so a slow load that began before the delete cannot write back. Times are
// milliseconds, possibly fractional (the engine orders same-millisecond events with .001 steps);
// they travel and are stored as the caller's decimal strings, never reformatted (tostring would
// print 1.7e+12 and lose digits). Only writes run Lua: reads are GET/MGET, the cheapest commands
// the server has.

/**
 * Writes one entry unless a tombstone newer than its createdAt exists (no stale write-back).
 * KEYS[1]: entry, KEYS[2]: its tombstone, KEYS[3]: bucket meta (max expiresAt written), KEYS[4..]:
 * the records of the entry's tags. ARGV: payload, createdAt, expiresAt, px. Keeps each existing tag
 * record alive at least as long as the entry. Returns 1 written, 0 refused. (Every key is passed
 * in KEYS, never built in the script: ioredis applies a client's `keyPrefix` to KEYS only.)
 */
export const SET_ENTRY = new LuaScript(`
local tomb = redis.call('GET', KEYS[2])
if tomb and tonumber(ARGV[2]) < tonumber(tomb) then return 0 end
local px = tonumber(ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'PX', px)
local maxExpires = tonumber(redis.call('GET', KEYS[3]) or '0')
if tonumber(ARGV[3]) > maxExpires then redis.call('SET', KEYS[3], ARGV[3], 'PX', px) end
for i = 4, #KEYS do
  local left = redis.call('PTTL', KEYS[i])
  if left > 0 and left < px then redis.call('PEXPIRE', KEYS[i], px) end
end
return 1
`)

/**
 * Deletes entries and leaves tombstones. KEYS: n entry keys, then their n tombstone keys.
 * ARGV: at, tombstoneMs. A tombstone never moves back in time. Returns how many entries existed.
 */
export const DELETE_ENTRIES = new LuaScript(`
local n = #KEYS / 2
local existed = 0
for i = 1, n do
  existed = existed + redis.call('DEL', KEYS[i])
  local at = ARGV[1]
  local current = redis.call('GET', KEYS[n + i])
  if current and tonumber(current) > tonumber(at) then at = current end
  redis.call('SET', KEYS[n + i], at, 'PX', ARGV[2])
end
return existed
`)

/**
 * Records tag invalidation times (never moving one backwards). KEYS[1]: bucket meta, KEYS[2..]:
 * tag records. ARGV: at, now, minTtlMs. Each record lives until every entry written so far in the
 * bucket has expired (meta holds their max expiresAt), and at least minTtlMs.
 */
export const INVALIDATE_TAGS = new LuaScript(`
local maxExpires = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = math.max(maxExpires - tonumber(ARGV[2]), tonumber(ARGV[3]))
for i = 2, #KEYS do
  local current = redis.call('GET', KEYS[i])
  local at = ARGV[1]
  if current and tonumber(current) > tonumber(at) then at = current end
  local left = redis.call('PTTL', KEYS[i])
  redis.call('SET', KEYS[i], at, 'PX', math.ceil(math.max(ttl, left)))
end
return #KEYS - 1
`)
