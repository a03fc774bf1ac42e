import type { CacheEntryOptions, ResolvedStrategy } from './cache-strategy.js'
import type { ResolvedModelOptions } from '../options.js'
import { StrategyResolver } from './strategy-resolver.js'

/** The read plan of one cache key, worked out once: what it reads, its key, tags and getOrSet options, and the SQL that filled it. */
export interface ReadPlan {
  /** The model read (undefined for raw SQL) and the operation, as reported. */
  model: string | undefined
  operation: string
  /** The cache key. */
  key: string
  /** Tags known before loading (the plan's tags plus ALL_TAG). */
  tags: string[]
  /** Row tags of included relations, read off a loaded value. */
  derive: ((value: unknown) => string[]) | undefined
  /** The SQL of the last load, for fingerprinting hits. */
  sql: string | undefined
  /** The getOrSet options last built for this key, and the strategy they were built from. */
  entry: CacheEntryOptions | undefined
  entryFor: ResolvedStrategy | undefined
  /** The `where` field and value it is also found by (see {@link ReadSite.findEquality}). */
  field: string | undefined
  value: number | string | undefined
}

/** A plan with nothing remembered yet (one shape for every plan: the read path stays monomorphic). */
export function readPlan(
  model: string | undefined,
  operation: string,
  key: string,
  tags: string[],
  derive?: ReadPlan['derive'],
): ReadPlan {
  return {
    model,
    operation,
    key,
    tags,
    derive,
    sql: undefined,
    entry: undefined,
    entryFor: undefined,
    field: undefined,
    value: undefined,
  }
}

/** Keys whose plan and SQL are remembered, across all operations of a client. */
export const MAX_MEMO_KEYS = 5_000

/** One model operation (`User.findUnique`): how its strategies resolve and what each of its keys needs. */
export class ReadSite {
  readonly strategies: StrategyResolver
  /** By the argument part of the key (see readKeyPart): shorter than the key, so cheaper to hash. */
  readonly memos = new Map<string, ReadPlan>()
  /** Memos of `{ where: { field: value } }` reads, by field and value. */
  readonly byEquality = new Map<string, Map<number | string, ReadPlan>>()

  constructor(
    readonly model: string,
    readonly operation: string,
    defaults: ResolvedModelOptions | undefined,
  ) {
    this.strategies = new StrategyResolver(defaults)
  }

  /**
   * The memo of args shaped `{ where: { field: <number or string> } }` (a lookup by a unique
   * field, the most common cached read), found without their canonical text: building and hashing
   * it cost a good share of a cache hit. Undefined for other args, or before {@link indexEquality}.
   */
  findEquality(args: unknown): ReadPlan | undefined {
    const where = onlyValue(args, 'where')
    const field = onlyKey(where)
    if (field === undefined) return undefined
    const value = (where as Record<string, unknown>)[field]
    return typeof value === 'number' || typeof value === 'string' ? this.byEquality.get(field)?.get(value) : undefined
  }

  /** Makes `memo` (the memo of `args`) found by {@link findEquality} when `args` have that shape. */
  indexEquality(args: unknown, memo: ReadPlan): void {
    const where = onlyValue(args, 'where')
    const field = onlyKey(where)
    if (field === undefined || memo.field !== undefined) return
    const value = (where as Record<string, unknown>)[field]
    if (typeof value !== 'number' && typeof value !== 'string') return
    let byValue = this.byEquality.get(field)
    if (byValue === undefined) this.byEquality.set(field, (byValue = new Map()))
    byValue.set(value, memo)
    memo.field = field
    memo.value = value
  }

  /** Forgets the memo of `part`. */
  forget(part: string): void {
    const memo = this.memos.get(part)
    if (memo === undefined) return
    this.memos.delete(part)
    if (memo.field !== undefined) this.byEquality.get(memo.field)?.delete(memo.value as number | string)
  }
}

/**
 * The only own enumerable key of a plain object, else undefined. Canonical text lists exactly
 * these keys (and skips undefined values, which callers reject), so one key and one value stand
 * for one canonical text.
 */
function onlyKey(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined
  let only: string | undefined
  // for...in allocates nothing (unlike Object.keys); an inherited enumerable key makes the shape unknown.
  for (const key in value) {
    if (only !== undefined || !Object.prototype.hasOwnProperty.call(value, key)) return undefined
    only = key
  }
  return only
}

/** `value[key]` when `key` is the only key of the plain object `value`, else undefined. */
function onlyValue(value: unknown, key: string): unknown {
  return onlyKey(value) === key ? (value as Record<string, unknown>)[key] : undefined
}

/**
 * The read sites of one client, and a bound on the keys they remember together: beyond
 * {@link MAX_MEMO_KEYS}, the oldest key is forgotten (insertion order).
 */
export class ReadSites {
  readonly #byModel = new Map<string, Map<string, ReadSite>>()
  /** Ring of remembered keys (grown up to `max`), oldest at `#next` once full. */
  readonly #sites: ReadSite[] = []
  readonly #parts: string[] = []
  #next = 0

  /**
   * @param defaults per-model defaults; they apply to the operations they list
   * @param max keys remembered in all
   */
  constructor(
    private readonly defaults: ReadonlyMap<string, ResolvedModelOptions>,
    private readonly max = MAX_MEMO_KEYS,
  ) {}

  /** The site of `model`.`operation`, created on first use. */
  get(model: string, operation: string): ReadSite {
    let byOperation = this.#byModel.get(model)
    const known = byOperation?.get(operation)
    if (known !== undefined) return known
    if (byOperation === undefined) this.#byModel.set(model, (byOperation = new Map()))
    const defaults = this.defaults.get(model)
    const site = new ReadSite(model, operation, defaults?.operations.has(operation) ? defaults : undefined)
    byOperation.set(operation, site)
    return site
  }

  /** Remembers `memo` for `part` of `site`, forgetting the oldest key when full; returns `memo`. */
  remember(site: ReadSite, part: string, memo: ReadPlan): ReadPlan {
    if (this.#sites.length < this.max) {
      this.#sites.push(site)
      this.#parts.push(part)
    } else {
      const at = this.#next
      ;(this.#sites[at] as ReadSite).forget(this.#parts[at] as string)
      this.#sites[at] = site
      this.#parts[at] = part
      this.#next = at + 1 === this.max ? 0 : at + 1
    }
    site.memos.set(part, memo)
    return memo
  }
}
