import { resolveStrategy, validateStrategy, type CacheStrategy, type ResolvedStrategy } from './cache-strategy.js'

/**
 * Resolves the `cacheStrategy` of one model operation's calls against its model defaults,
 * remembering the last strategy it resolved: calls of one operation usually pass equal strategies
 * (often the same object), and validating and converting one costs a good share of a cache hit.
 * A strategy is reused only when its `ttl`, `swr` and tags equal the remembered ones, so a changed
 * or mutated strategy is validated again (and rejected with the same typed errors).
 */
export class StrategyResolver {
  #ttl: unknown
  #swr: unknown
  #tags: readonly unknown[] | undefined
  #last: ResolvedStrategy | undefined
  #fromDefaults: ResolvedStrategy | undefined

  /** @param defaults the model's defaults when they apply to this operation */
  constructor(private readonly defaults: CacheStrategy | undefined) {}

  /**
   * The strategy of one call: `call` over the defaults, undefined when nothing is cached.
   * Returns the same object for equal strategies.
   * @throws PerfError INVALID_CACHE_STRATEGY, INVALID_TTL (see validateStrategy)
   */
  resolve(call: unknown): ResolvedStrategy | undefined {
    if (call === false) return undefined
    if (call === undefined) {
      // Defaults were validated when the extension was created.
      return this.defaults === undefined
        ? undefined
        : (this.#fromDefaults ??= resolveStrategy(undefined, this.defaults, 'cacheStrategy'))
    }
    const known = this.#last
    if (known !== undefined && hasOnlyStrategyKeys(call)) {
      const strategy = call as CacheStrategy
      if (strategy.ttl === this.#ttl && strategy.swr === this.#swr && sameTags(strategy.tags, this.#tags)) return known
    }
    const checked = validateStrategy(call, 'cacheStrategy')
    const resolved = resolveStrategy(checked, this.defaults, 'cacheStrategy')
    this.#ttl = checked.ttl
    this.#swr = checked.swr
    // A copy: the caller may change its array, and a changed tag must be validated again.
    this.#tags = checked.tags === undefined ? undefined : [...checked.tags]
    this.#last = resolved
    return resolved
  }
}

/** Whether `value` is an object whose enumerable keys are all strategy keys (no allocation, unlike Object.keys). */
function hasOnlyStrategyKeys(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  for (const key in value) {
    if (key !== 'ttl' && key !== 'swr' && key !== 'tags') return false
  }
  return true
}

function sameTags(tags: readonly unknown[] | undefined, known: readonly unknown[] | undefined): boolean {
  if (tags === known) return true
  if (tags === undefined || known === undefined || !Array.isArray(tags) || tags.length !== known.length) return false
  for (let i = 0; i < tags.length; i++) {
    if (tags[i] !== known[i]) return false
  }
  return true
}
