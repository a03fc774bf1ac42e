import { CopyPlanner, type Copier } from '../value/copy-plan.js'
import type { Codec } from '../types.js'

/**
 * Result isolation: callers get copies they may mutate, tiers keep copies no caller holds.
 * Stored values are never mutated, so each gets a compiled copy plan once and hits copy by
 * structure instead of walking the value.
 */
export class Isolation {
  private readonly copiers = new WeakMap<object, Copier>()
  private readonly planner: CopyPlanner
  /** Some tier serializes: values must be encodable even when not copied. Set once the tiers are known. */
  serializes = false

  constructor(
    private readonly codec: Codec,
    /** Copy values on the way in and out. */
    readonly enabled: boolean,
  ) {
    this.planner = new CopyPlanner((value) => codec.clone(value))
  }

  /** The copy of a value that a caller may mutate freely. @throws PerfError UNSERIALIZABLE_VALUE */
  output<T>(value: unknown): T {
    if (!this.enabled || typeof value !== 'object' || value === null) return value as T
    const copier = this.copiers.get(value)
    return (copier === undefined ? this.codec.clone(value) : copier(value)) as T
  }

  /** The copy of a caller's value that tiers keep. Validates encodability for serializing tiers. @throws PerfError UNSERIALIZABLE_VALUE */
  input(value: unknown): unknown {
    if (!this.enabled && !this.serializes) return value
    const stored = this.codec.clone(value)
    if (this.enabled) this.adopt(stored)
    return stored
  }

  /** Compiles the copy plan of a value the cache now owns. @throws when the value cannot be copied */
  adopt(stored: unknown): void {
    if (!this.enabled || typeof stored !== 'object' || stored === null || this.copiers.has(stored)) return
    const copier = this.planner.compile(stored)
    if (copier !== undefined) this.copiers.set(stored, copier)
  }
}
