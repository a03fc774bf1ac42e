/** The fingerprint text of an event without SQL: `source:model.operation`, `*` for what is missing. */
export function operationLabel(source: unknown, model: unknown, operation: unknown): string {
  return `${source}:${model ?? '*'}.${operation ?? '*'}`
}

/**
 * The fingerprint texts of events without SQL, built once per source, model and operation.
 * Reusing one string matters on the hot path: building a fresh one and hashing it for the
 * fingerprint table cost more than the rest of `record()` for a cache hit.
 */
export class OperationLabels {
  readonly #bySource = new Map<string, Map<string, Map<string, string>>>()
  #size = 0

  /** @param max labels kept; past it, labels are built per call (the table folds them into `other` anyway). */
  constructor(readonly max: number) {}

  /** The label of one event; equal to {@link operationLabel} for the same fields. */
  get(source: unknown, model: unknown, operation: unknown): string {
    // Only strings are kept: any other value could stringify differently next time.
    if (
      typeof source !== 'string' ||
      (model !== undefined && typeof model !== 'string') ||
      (operation !== undefined && typeof operation !== 'string')
    ) {
      return operationLabel(source, model, operation)
    }
    const m = model ?? '*'
    const o = operation ?? '*'
    let byModel = this.#bySource.get(source)
    let byOperation = byModel?.get(m)
    const known = byOperation?.get(o)
    if (known !== undefined) return known
    const label = operationLabel(source, model, operation)
    if (this.#size >= this.max) return label
    if (byModel === undefined) this.#bySource.set(source, (byModel = new Map()))
    if (byOperation === undefined) byModel.set(m, (byOperation = new Map()))
    byOperation.set(o, label)
    this.#size++
    return label
  }

  /** Forgets every label. */
  clear(): void {
    this.#bySource.clear()
    this.#size = 0
  }
}
