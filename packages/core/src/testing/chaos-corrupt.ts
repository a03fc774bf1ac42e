import type { StoreEntry, StoreRead } from '../cache/types.js'

/** A source of numbers in [0, 1). */
export type Random = () => number

/** A small seeded PRNG (mulberry32): the same seed replays the same faults and the same garbage. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Arrays nested this deep overflow any naive recursive clone, encode or size walk. */
const DEEP = 10_000

function deeplyNested(depth: number): unknown {
  let value: unknown = 'bottom'
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

function cyclic(): unknown {
  const node: Record<string, unknown> = { id: 1 }
  node.self = node
  return node
}

/**
 * Ways a tier's answer can be broken, each one built from the real entry (or a plausible one when
 * the tier had none). Kept as data so a failing test can name the variant that broke the engine.
 */
export const corruptions: readonly { name: string; make: (entry: StoreEntry) => unknown }[] = [
  { name: 'createdAt is a string', make: (e) => ({ ...e, createdAt: new Date(e.createdAt).toString() }) },
  { name: 'staleAt is NaN', make: (e) => ({ ...e, staleAt: Number.NaN }) },
  { name: 'expiresAt is Infinity', make: (e) => ({ ...e, expiresAt: Number.POSITIVE_INFINITY }) },
  { name: 'expiresAt is negative', make: (e) => ({ ...e, expiresAt: -1 }) },
  { name: 'staleAt before createdAt', make: (e) => ({ ...e, staleAt: e.createdAt - 60_000 }) },
  { name: 'createdAt far in the future', make: (e) => ({ ...e, createdAt: Number.MAX_SAFE_INTEGER }) },
  { name: 'tags is a string', make: (e) => ({ ...e, tags: 'users' }) },
  { name: 'tags holds non-strings', make: (e) => ({ ...e, tags: [1, null, {}] }) },
  { name: 'value is deeply nested', make: (e) => ({ ...e, value: deeplyNested(DEEP) }) },
  { name: 'value is cyclic', make: (e) => ({ ...e, value: cyclic() }) },
  { name: 'times are missing', make: (e) => ({ value: e.value }) },
  { name: 'entry is null', make: () => null },
  { name: 'entry is a number', make: () => 42 },
  { name: 'entry is a string', make: () => '{"value":' },
]

/** The entry a corrupt read starts from when the tier had nothing for the key. */
function plausible(now: number): StoreEntry {
  return {
    value: { id: 1, name: 'garbage' },
    createdAt: now,
    staleAt: now + 60_000,
    expiresAt: now + 120_000,
    tags: ['t'],
  }
}

/** Returns a broken version of `entry` (or of a made-up one when undefined), chosen by `random`. */
export function corruptEntry(entry: StoreEntry | undefined, random: Random, now: number): StoreEntry {
  const pick = corruptions[Math.floor(random() * corruptions.length)] ?? corruptions[0]!
  // Deliberately not a StoreEntry: the point is to hand the caller something that only claims to be one.
  return pick.make(entry ?? plausible(now)) as StoreEntry
}

/**
 * What a corrupt `read` does to the tier's version (the first variant keeps it, so the garbage
 * entry alone is tested too). A version is opaque: only the tier that issued it can read it.
 */
export const versionCorruptions: readonly { name: string; make: (version: string) => unknown }[] = [
  { name: 'version kept', make: (v) => v },
  { name: 'version is a number', make: (v) => (Number.isFinite(Number(v)) ? Number(v) : 1) },
  { name: 'version is NaN text', make: () => 'NaN' },
  { name: 'version is empty', make: () => '' },
  { name: 'version is missing', make: () => undefined },
]

/**
 * A broken answer to a versioned tier's `read`: the entry is replaced as `get`'s is (see
 * {@link corruptEntry}), and the version may be garbage too (not a string, NaN text, empty).
 */
export function corruptRead(read: StoreRead, random: Random, now: number): StoreRead {
  const entry = corruptEntry(read.entry, random, now)
  const pick = versionCorruptions[Math.floor(random() * versionCorruptions.length)] ?? versionCorruptions[0]!
  // Deliberately not a StoreRead when the version is not a string.
  return { entry, version: pick.make(read.version) as string }
}
