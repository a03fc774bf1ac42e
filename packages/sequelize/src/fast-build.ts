/**
 * Rebuilds Sequelize instances from the dataValues a finder built, the way the Model constructor
 * leaves them for `{ isNewRecord: false, raw: true }` rows, without its per-attribute `set()`:
 * on a hit the values are already what `set()` produced (sanitized, in attribute order).
 */

/** What the constructor reads of a model class. */
export interface BuildableModel {
  prototype: object
  _schema?: unknown
  _schemaDelimiter?: unknown
  build(values: unknown, options: object): unknown
  bulkBuild(values: unknown[], options: object): unknown[]
}

interface IncludeLike {
  model: BuildableModel
  association: { isSingleAssociation?: boolean }
  include?: unknown
  includeNames?: string[]
  includeMap?: Record<string, IncludeLike>
  originalAttributes?: unknown[]
}

/** How to rebuild the instances of one cache key: the model class and its normalised build options. */
export interface Build {
  model: BuildableModel
  options: Options
}

type Options = Record<string, unknown> & {
  includeNames?: string[]
  includeMap?: Record<string, IncludeLike>
}

const direct = new WeakMap<object, boolean>()
const childOptions = new WeakMap<IncludeLike, Options>()

/**
 * Whether instances of `model` can be made without running constructors: no class between it and
 * Sequelize's Model declares one (a user constructor may set state; those models use `build`).
 */
export function isDirectBuildable(model: BuildableModel): boolean {
  let known = direct.get(model)
  if (known !== undefined) return known
  known = true
  for (let cls: unknown = model; typeof cls === 'function'; cls = Object.getPrototypeOf(cls)) {
    const parent = Object.getPrototypeOf(cls) as unknown
    if (typeof parent !== 'function' || typeof (parent as { build?: unknown }).build !== 'function') break // cls is Model
    if (/\bconstructor\s*\(/.test(Function.prototype.toString.call(cls))) {
      known = false
      break
    }
  }
  direct.set(model, known)
  return known
}

/** The constructor's own normalisation of build options (done once per memo entry). */
export function normaliseBuild(model: BuildableModel, options: Record<string, unknown>): Options {
  const out: Options = {
    isNewRecord: true,
    _schema: model._schema,
    _schemaDelimiter: model._schemaDelimiter,
    ...options,
  }
  if (Array.isArray(out.attributes))
    out.attributes = (out.attributes as unknown[]).map((a) => (Array.isArray(a) ? (a[1] as unknown) : a))
  return out
}

/** One instance from `values` (adopted: pass a copy the caller owns). */
export function directBuild(model: BuildableModel, values: Record<string, unknown>, options: Options): object {
  if (!isDirectBuildable(model)) return model.build(values, { ...options }) as object
  const instance = Object.create(model.prototype) as Record<string, unknown>
  const own = { ...options }
  instance.dataValues = values
  instance.uniqno = 1
  instance._changed = new Set()
  instance._options = own
  instance.isNewRecord = own.isNewRecord
  const names = own.includeNames
  if (names !== undefined && own.includeMap !== undefined) {
    for (const name of names) {
      if (!Object.prototype.hasOwnProperty.call(values, name)) continue
      const include = own.includeMap[name]
      if (include === undefined) continue
      const value = values[name]
      const child = childOptionsOf(include, own.isNewRecord)
      let built: unknown
      if (include.association.isSingleAssociation) {
        built =
          value === null || value === undefined ? null : directBuild(include.model, { ...(value as object) }, child)
      } else {
        built = Array.isArray(value) ? value.map((v) => directBuild(include.model, { ...(v as object) }, child)) : value
      }
      instance[name] = values[name] = built
    }
  }
  instance._previousDataValues = { ...values }
  return instance
}

function childOptionsOf(include: IncludeLike, isNewRecord: unknown): Options {
  let options = childOptions.get(include)
  if (options === undefined) {
    options = normaliseBuild(include.model, {
      isNewRecord,
      include: include.include,
      includeNames: include.includeNames,
      includeMap: include.includeMap,
      includeValidated: true,
      raw: true,
      attributes: include.originalAttributes,
    })
    childOptions.set(include, options)
  }
  return options
}

/** Sequelize's own (private, stable across 6.x) steps of findAll that shape the build options. */
interface Preparing extends BuildableModel {
  name: string
  sequelize?: { constructor: unknown }
  primaryKeyAttribute?: string
  rawAttributes: Record<string, unknown>
  _injectScope(o: object): void
  _conformIncludes(o: object, model: unknown): void
  _expandAttributes(o: object): void
  _expandIncludeAll(o: object): void
  _injectDependentVirtualAttributes(attributes: unknown): unknown
  _validateIncludedElements(o: object, tableNames: object): void
}

/**
 * The build options findAll's Query would give `bulkBuild` for these finder options: findAll's
 * option preparation up to the SQL, without hooks (the fast path skips models with find hooks).
 */
export function prepareBuild(model: Preparing, options: Record<string, unknown> | undefined): Build {
  const m = model as Preparing
  const utils = (m.sequelize?.constructor as { Utils?: { cloneDeep(o: unknown): unknown } } | undefined)?.Utils
  const o = (utils?.cloneDeep(options ?? {}) ?? { ...options }) as Record<string, unknown> & {
    attributes?: string[]
    originalAttributes?: unknown
    include?: unknown[]
    raw?: boolean
    group?: unknown
    hasSingleAssociation?: boolean
    hasMultiAssociation?: boolean
  }
  m._injectScope(o)
  m._conformIncludes(o, m)
  m._expandAttributes(o)
  m._expandIncludeAll(o)
  o.originalAttributes = m._injectDependentVirtualAttributes(o.attributes)
  if (o.include) {
    o.hasJoin = true
    m._validateIncludedElements(o, {})
    const pk = m.primaryKeyAttribute
    if (
      o.attributes &&
      !o.raw &&
      pk &&
      !o.attributes.includes(pk) &&
      (!o.group || !o.hasSingleAssociation || o.hasMultiAssociation)
    )
      o.attributes = [pk, ...o.attributes]
  }
  if (!o.attributes) {
    o.attributes = Object.keys(m.rawAttributes)
    o.originalAttributes = m._injectDependentVirtualAttributes(o.attributes)
  }
  const attributes = o.originalAttributes ?? o.attributes
  const buildOptions = o.include
    ? {
        isNewRecord: false,
        include: o.include,
        includeNames: o.includeNames,
        includeMap: o.includeMap,
        includeValidated: true,
        attributes,
        raw: true,
      }
    : { isNewRecord: false, raw: true, attributes }
  return { model, options: normaliseBuild(model, buildOptions) }
}
