import type { AsyncLocalStorage } from 'node:async_hooks'
import { ALL_TABLES_TAG, isPerfError, stableKey, type Cache, type CacheOutcome, type LoaderContext } from '@perf/core'
import { directBuild, normaliseBuild, prepareBuild, type Build } from './fast-build.js'
import { normaliseOptions, Unkeyable } from './fast-key.js'
import type { CacheSettings } from './options.js'
import type { StatementRunner } from './statement.js'

/** What the statements of one fast-path load read (and whether one of them wrote). */
export interface Collector {
  tags: Set<string>
  wrote: boolean
  /** The first statement's SQL and the tables read, for the QueryEvents of later hits. */
  sql?: string
  tables?: string[]
}

/** What the fast path needs from instrument(). */
export interface FastPathDeps {
  cache: Cache
  runner: StatementRunner
  salt: string
  collector: AsyncLocalStorage<Collector>
  isActive(): boolean
  /** The settings a call of `model` with `cache: requested` gets, or undefined when it is not cached. @throws for a bad `cache` */
  settingsFor(model: string, requested: unknown): CacheSettings | undefined
}

type Method = 'findAll' | 'findOne' | 'findByPk' | 'findAndCountAll' | 'count'
const METHODS: readonly Method[] = ['findAll', 'findOne', 'findByPk', 'findAndCountAll', 'count']
const FIND_HOOKS = [
  'beforeFind',
  'beforeFindAfterExpandIncludeAll',
  'beforeFindAfterOptions',
  'afterFind',
  'beforeCount',
]
const MEMO_MAX = 5000

type Fn = (this: unknown, ...args: unknown[]) => Promise<unknown>
interface ModelClass {
  name: string
  prototype: object
  _schema?: unknown
  _schemaDelimiter?: unknown
  _scope?: unknown
  options?: { rejectOnEmpty?: unknown }
  sequelize?: { constructor: { _cls?: { get(key: string): unknown } }; hasHook?(name: string): boolean }
  hasHook?(name: string): boolean
  build(values: unknown, options: object): unknown
  bulkBuild(values: unknown[], options: object): unknown[]
}
interface Instance {
  dataValues: Record<string, unknown>
  _options: Record<string, unknown>
  constructor: ModelClass
}

/** One entry: the data, and the first statement and tables of the load (for hit events). */
interface Entry {
  data: Stored
  sql?: string
  tables?: string[]
}

/** Cached data: a model's rows as plain objects (`one`/`many`), or a value as is (raw rows, counts). */
type Stored =
  | { one: Record<string, unknown> }
  | { many: Record<string, unknown>[] }
  | { value: unknown }
  | { count: unknown; rows: Stored }

/**
 * Wraps the finders of `models` so a cached call is answered from plain data rebuilt into instances
 * (no option preparation, SQL or pool connection on a hit); anything it cannot key or serve runs
 * the finder as before. Returns the undo.
 */
export function installFastPath(models: readonly ModelClass[], deps: FastPathDeps): () => void {
  const memo = new Map<string, Build>()
  const undo: (() => void)[] = []
  for (const model of models) {
    const target = model as unknown as Record<string, unknown>
    for (const method of METHODS) {
      const original = target[method] as Fn | undefined
      if (typeof original !== 'function') continue
      const hadOwn = Object.prototype.hasOwnProperty.call(target, method)
      const wrapper = function (this: ModelClass, ...args: unknown[]): Promise<unknown> {
        if (!deps.isActive() || deps.collector.getStore() !== undefined) return original.apply(this, args)
        const plan = planOf(this, method, args, deps)
        if (plan === undefined) return original.apply(this, args)
        return serve(this, method, plan, () => original.apply(this, args), deps, memo)
      }
      target[method] = wrapper
      undo.push(() => {
        if (target[method] !== wrapper) return
        if (hadOwn) target[method] = original
        else delete target[method]
      })
    }
  }
  return () => {
    for (const u of undo) u()
    memo.clear()
  }
}

interface Plan {
  key: string
  settings: CacheSettings
  options: Record<string, unknown> | undefined
}

function planOf(model: ModelClass, method: Method, args: unknown[], deps: FastPathDeps): Plan | undefined {
  const options = (method === 'findByPk' ? args[1] : args[0]) as Record<string, unknown> | undefined
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
    return undefined
  if (options?.transaction !== undefined && options.transaction !== null) return undefined
  if (model.sequelize?.constructor._cls?.get('transaction')) return undefined
  let settings: CacheSettings | undefined
  try {
    settings = deps.settingsFor(model.name, options?.cache)
  } catch {
    return undefined // the finder's own path reports the bad option
  }
  if (settings === undefined) return undefined
  if (options?.hooks !== false && FIND_HOOKS.some((h) => model.hasHook?.(h) || model.sequelize?.hasHook?.(h)))
    return undefined
  if (options?.rejectOnEmpty || model.options?.rejectOnEmpty) return undefined
  if (hasSeparate(options?.include)) return undefined
  try {
    const extra = method === 'findByPk' ? [args[0]] : []
    const normal = normaliseOptions(options ?? {})
    const id = stableKey([method, model.name, normaliseOptions({ scope: model._scope ?? null }), normal, extra])
    return { key: `${deps.salt}:find:${id}`, settings, options }
  } catch (error) {
    if (error instanceof Unkeyable || (error as { code?: unknown })?.code === 'UNSERIALIZABLE_VALUE') return undefined
    throw error
  }
}

function hasSeparate(include: unknown): boolean {
  if (include === undefined || include === null) return false
  const list = Array.isArray(include) ? include : [include]
  return list.some(
    (i) =>
      typeof i === 'object' &&
      i !== null &&
      ((i as { separate?: unknown }).separate === true || hasSeparate((i as { include?: unknown }).include)),
  )
}

async function serve(
  model: ModelClass,
  method: Method,
  plan: Plan,
  run: () => Promise<unknown>,
  deps: FastPathDeps,
  memo: Map<string, Build>,
): Promise<unknown> {
  const started = performance.now()
  let fresh: { result: unknown } | undefined
  const loader = async (load: LoaderContext): Promise<Entry> => {
    const collect: Collector = { tags: new Set(), wrote: false }
    const result = await deps.collector.run(collect, run)
    if (load.stale === undefined) fresh = { result }
    if (collect.wrote) load.skip()
    load.addTags([...collect.tags])
    return { data: toStored(result, plan.key, memo), sql: collect.sql, tables: collect.tables }
  }
  let loading = false
  const counted = (load: LoaderContext): Promise<Entry> => {
    loading = true
    return loader(load)
  }
  let got: { value: Entry; meta: { status: CacheOutcome | 'miss' } }
  try {
    got = await deps.cache.getOrSet<Entry>(plan.key, counted, {
      ttl: plan.settings.ttl,
      swr: plan.settings.swr,
      tags: [ALL_TABLES_TAG, ...(plan.settings.tags ?? [])],
      meta: true,
    })
  } catch (error) {
    // A closed cache fails no query: the finder runs (its statements bypass the closed cache too).
    if (loading || !isPerfError(error, 'CACHE_CLOSED')) throw error
    return run()
  }
  const { value, meta } = got
  if (fresh !== undefined) {
    deps.runner.counters.misses++
    return fresh.result
  }
  const rebuilt = fromStored(value.data, plan.key, memo, () =>
    prepareBuild(model as Parameters<typeof prepareBuild>[0], plan.options),
  )
  const status: CacheOutcome = meta.status === 'miss' ? 'hit' : meta.status
  deps.runner.fastHit(model.name, performance.now() - started, status, value.sql, value.tables)
  return rebuilt
}

function isInstance(value: unknown): value is Instance {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Instance).dataValues === 'object' &&
    typeof (value as Instance)._options === 'object' &&
    typeof (value as Instance).constructor?.bulkBuild === 'function'
  )
}

/** The values an instance was built from: its dataValues, included instances as nested plain objects. */
function plainOf(instance: Instance): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(instance.dataValues)) {
    if (isInstance(value)) out[key] = plainOf(value)
    else if (Array.isArray(value) && value.length > 0 && value.every(isInstance)) out[key] = value.map(plainOf)
    else out[key] = value
  }
  return out
}

function remember(key: string, instance: Instance, memo: Map<string, Build>): void {
  keep(memo, key, { model: instance.constructor, options: normaliseBuild(instance.constructor, instance._options) })
}

function keep(memo: Map<string, Build>, key: string, build: Build): void {
  if (memo.has(key)) memo.delete(key)
  else if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value as string)
  memo.set(key, build)
}

function toStored(result: unknown, key: string, memo: Map<string, Build>): Stored {
  if (isInstance(result)) {
    remember(key, result, memo)
    return { one: plainOf(result) }
  }
  if (Array.isArray(result) && result.length > 0 && result.every(isInstance)) {
    remember(key, result[0] as Instance, memo)
    return { many: result.map(plainOf) }
  }
  if (
    typeof result === 'object' &&
    result !== null &&
    !Array.isArray(result) &&
    Object.keys(result).length === 2 &&
    'count' in result &&
    'rows' in result
  ) {
    const r = result as { count: unknown; rows: unknown }
    return { count: r.count, rows: toStored(r.rows, key, memo) }
  }
  return { value: result }
}

function fromStored(stored: Stored, key: string, memo: Map<string, Build>, prepare: () => Build): unknown {
  if ('value' in stored) return stored.value
  if ('count' in stored) return { count: stored.count, rows: fromStored(stored.rows, key, memo, prepare) }
  let build = memo.get(key)
  if (build === undefined) {
    // Stored by another process (an L2 hit), or forgotten here: prepare the options as findAll does, once.
    build = prepare()
    keep(memo, key, build)
  }
  const { model, options } = build
  if ('one' in stored) return directBuild(model, { ...stored.one }, options)
  return stored.many.map((row) => directBuild(model, { ...row }, options))
}
