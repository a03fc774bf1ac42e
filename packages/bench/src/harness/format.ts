/** Number formatting shared by the console and the markdown renderers. */

/** `22 500 000` → `22.5 M`, `760 000` → `760 k`; three significant digits. */
export function formatRate(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec)) return '–'
  if (opsPerSec >= 1e6) return `${sig(opsPerSec / 1e6)} M`
  if (opsPerSec >= 1e3) return `${sig(opsPerSec / 1e3)} k`
  return sig(opsPerSec)
}

/** A duration given in nanoseconds, in the unit that keeps it readable (`44 ns`, `1.3 µs`, `20.4 ms`). */
export function formatNs(ns: number | undefined): string {
  if (ns === undefined || !Number.isFinite(ns)) return '–'
  if (ns >= 1e9) return `${sig(ns / 1e9)} s`
  if (ns >= 1e6) return `${sig(ns / 1e6)} ms`
  if (ns >= 1e3) return `${sig(ns / 1e3)} µs`
  return `${sig(ns)} ns`
}

/** Bytes as MB (10^6) with one decimal, the unit the memory target uses. */
export function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`
}

/** A ratio against a baseline: `1.23×`. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–'
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`
}

/** A ratio with three decimals, for targets judged near their threshold: `0.996×`. */
export function formatRatioPrecise(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(3)}×` : '–'
}

/** A fraction as a percentage with `digits` decimals: 0.0123 → `1.23 %`. */
export function formatPct(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)} %`
}

/** Three significant digits, without exponent notation. */
export function sig(value: number): string {
  if (value === 0) return '0'
  const abs = Math.abs(value)
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  return value.toFixed(decimals)
}
