import { hashFingerprint } from './fingerprint.js'
import { Histogram } from './histogram.js'
import type { FingerprintSummary } from './types.js'

/** Per-fingerprint histograms trade precision for memory: ±5% p95 in ~1.8 KB each. */
const FINGERPRINT_HISTOGRAM = { relativeError: 0.05 } as const

/** Statistics for one fingerprint; mutated in place on the hot path. */
export class FingerprintStats {
  calls = 0
  errors = 0
  totalMs = 0
  maxMs = 0
  rows = 0
  lastSeen = 0
  readonly latency = new Histogram(FINGERPRINT_HISTOGRAM)

  constructor(
    readonly id: string,
    readonly fingerprint: string,
    readonly source: string,
    readonly model: string | undefined,
    readonly operation: string | undefined,
    readonly sample: string | undefined,
  ) {}

  /** Counts one event; allocates nothing. */
  add(durationMs: number, rows: number | undefined, failed: boolean, now: number): void {
    this.calls++
    if (failed) this.errors++
    this.totalMs += durationMs
    if (durationMs > this.maxMs) this.maxMs = durationMs
    if (rows !== undefined && rows > 0) this.rows += rows
    this.lastSeen = now
    this.latency.record(durationMs)
  }

  /** A JSON-ready copy of the figures. */
  toJSON(): FingerprintSummary {
    const out: FingerprintSummary = {
      id: this.id,
      fingerprint: this.fingerprint,
      source: this.source,
      calls: this.calls,
      errors: this.errors,
      totalMs: this.totalMs,
      meanMs: this.calls === 0 ? 0 : this.totalMs / this.calls,
      maxMs: this.maxMs,
      p95Ms: this.latency.percentile(95),
      rows: this.rows,
      lastSeen: this.lastSeen,
    }
    if (this.sample !== undefined) out.sample = this.sample
    if (this.model !== undefined) out.model = this.model
    if (this.operation !== undefined) out.operation = this.operation
    return out
  }
}

/**
 * Per-fingerprint statistics, capped at `max` distinct fingerprints; later ones are folded
 * into one `other` entry, so memory never grows with the variety of statements.
 */
export class FingerprintTable {
  readonly #entries = new Map<string, FingerprintStats>()
  #other: FingerprintStats | undefined

  /** @param max distinct fingerprints tracked before folding into `other`. */
  constructor(readonly max: number) {}

  /** The entry for `fingerprint`, if tracked. */
  get(fingerprint: string): FingerprintStats | undefined {
    return this.#entries.get(fingerprint)
  }

  /**
   * Creates the entry for a new `fingerprint` (or returns the `other` entry when full).
   * `sample` is only called when an entry is created, so only new fingerprints pay for redaction.
   */
  create(
    fingerprint: string,
    source: string,
    model: string | undefined,
    operation: string | undefined,
    sample: () => string | undefined,
  ): FingerprintStats {
    if (this.#entries.size >= this.max) {
      this.#other ??= new FingerprintStats('other', '(other)', 'mixed', undefined, undefined, undefined)
      return this.#other
    }
    const stats = new FingerprintStats(hashFingerprint(fingerprint), fingerprint, source, model, operation, sample())
    this.#entries.set(fingerprint, stats)
    return stats
  }

  /** Every entry, the overflow bucket last. */
  all(): FingerprintStats[] {
    const out = [...this.#entries.values()]
    if (this.#other !== undefined) out.push(this.#other)
    return out
  }

  /** Distinct fingerprints tracked, the overflow bucket included. */
  get size(): number {
    return this.#entries.size + (this.#other === undefined ? 0 : 1)
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear()
    this.#other = undefined
  }
}
