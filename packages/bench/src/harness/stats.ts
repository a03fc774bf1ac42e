/** Small statistics helpers for benchmark samples. */

/** Median of `values` (not mutated); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Median absolute deviation relative to the median (0.03 = ±3 %): how much rounds disagree. */
export function relativeMad(values: readonly number[]): number {
  const m = median(values)
  if (!(m > 0)) return 0
  return median(values.map((v) => Math.abs(v - m))) / m
}

/** The value at rank floor(p/100 · (n−1)) of an ascending array (the lower nearest rank). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.floor((p / 100) * (sorted.length - 1))
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number
}

/**
 * A seeded PRNG (mulberry32) so that every run draws the same sample: accuracy figures and key
 * orders are then reproducible, and two libraries always see identical inputs.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
