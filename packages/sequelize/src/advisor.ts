import type { NPlusOneAdvisor, NPlusOneFinding } from '@perf/core'
import type { Sequelize } from 'sequelize'

/** The parts of a Sequelize 6 model the advisor reads. */
interface ModelLike {
  name: string
  tableName?: string
  primaryKeyField?: string
  associations: Record<string, AssociationLike>
}

/** The parts of a Sequelize 6 association the advisor reads (`identifierField` is the foreign key's column). */
interface AssociationLike {
  associationType: string
  as: string
  source: ModelLike
  target: ModelLike
  identifierField?: string
  through?: { model?: ModelLike }
}

/** `"x"` or `` `x` ``: Sequelize quotes every identifier it writes. */
const ID = String.raw`(?:"((?:[^"]|"")+)"|\x60((?:[^\x60]|\x60\x60)+)\x60)`
/** `FROM "products" AS "Product"`, `JOIN "public"."labels" AS "labels"`: table and alias. */
const TABLE_AS = new RegExp(String.raw`\b(?:FROM|JOIN)\s+(?:${ID}\s*\.\s*)?${ID}\s+AS\s+${ID}`, 'gi')
/** `"Product"."categoryId" = ?`, `… IN (...)`, `… = ANY(?)`: an alias's column compared with the loop's value. */
const COMPARED = new RegExp(String.raw`${ID}\s*\.\s*${ID}\s*(?:=\s*(?:\?|\$\d+|ANY\s*\()|IN\s*\()`, 'gi')

const unquote = (m: RegExpMatchArray, at: number): string | undefined => m[at] ?? m[at + 1]
const FROM = 'from @perf/sequelize'

/**
 * The N+1 advisor of a Sequelize instance: names the loader (and the `include`) that turns a
 * finding's loop into one statement, from the column its fingerprint filters on and the models
 * and associations the instance defines. A loop of `findByPk` or of `post.getAuthor()` gets
 * `associationLoader(Post, 'author')` when one belongsTo points at the model (else
 * `pkLoader(Author)`); a loop of `author.getPosts()` or `findAll({ where: { authorId } })` gets
 * `associationLoader(Author, 'posts')`; a loop of `post.getTags()` (the through table filtered by
 * one side) gets `associationLoader(Post, 'tags')`. `instrument(sequelize, { monitor })`
 * registers it; register it yourself with `monitor.advise('sequelize', sequelizeAdvisor(sequelize))`
 * when you record events otherwise.
 *
 * @example
 * monitor.advise('sequelize', sequelizeAdvisor(sequelize))
 * // monitor.nPlusOne()[0].suggestion:
 * // "use associationLoader(Post, 'author') from @perf/sequelize (or include: 'author' on the Post query)"
 */
export function sequelizeAdvisor(sequelize: Sequelize): NPlusOneAdvisor {
  const models = () => Object.values((sequelize as unknown as { models: Record<string, ModelLike> }).models)
  return (finding: NPlusOneFinding) => {
    const all = models()
    const byAlias = aliasesOf(finding.fingerprint, all)
    for (const m of finding.fingerprint.matchAll(COMPARED)) {
      const alias = unquote(m, 1)
      const column = unquote(m, 3)
      const model = alias === undefined ? undefined : (byAlias.get(alias) ?? all.find((x) => x.name === alias))
      if (model === undefined || column === undefined) continue
      const advice =
        throughAdvice(all, model, column) ?? foreignKeyAdvice(all, model, column) ?? keyAdvice(all, model, column)
      if (advice !== undefined) return advice
    }
    return undefined
  }
}

/** Alias → model, from the fingerprint's `FROM|JOIN table AS alias` clauses. */
function aliasesOf(fingerprint: string, all: readonly ModelLike[]): Map<string, ModelLike> {
  const out = new Map<string, ModelLike>()
  for (const m of fingerprint.matchAll(TABLE_AS)) {
    const table = unquote(m, 3)
    const alias = unquote(m, 5)
    const model = all.find((x) => x.tableName === table)
    if (alias !== undefined && model !== undefined) out.set(alias, model)
  }
  return out
}

const associations = (all: readonly ModelLike[]) => all.flatMap((m) => Object.values(m.associations ?? {}))

const loaderFor = (a: AssociationLike, alsoPk?: ModelLike) =>
  `use associationLoader(${a.source.name}, '${a.as}') ${FROM} (or include: '${a.as}' on the ${a.source.name} query${alsoPk === undefined ? '' : `, or pkLoader(${alsoPk.name})`})`

/** The through table of a belongsToMany, filtered by the owner's key: that association's loader. */
function throughAdvice(all: readonly ModelLike[], model: ModelLike, column: string): string | undefined {
  const a = associations(all).find(
    (x) => x.associationType === 'BelongsToMany' && x.through?.model === model && x.identifierField === column,
  )
  return a === undefined ? undefined : loaderFor(a)
}

/** A foreign key of `model` filtered by one parent: the parent's hasMany / hasOne loader. */
function foreignKeyAdvice(all: readonly ModelLike[], model: ModelLike, column: string): string | undefined {
  const a = associations(all).find(
    (x) =>
      (x.associationType === 'HasMany' || x.associationType === 'HasOne') &&
      x.target === model &&
      x.identifierField === column,
  )
  return a === undefined ? undefined : loaderFor(a)
}

/** `model` by its own key: the one belongsTo pointing here if there is exactly one, else pkLoader. */
function keyAdvice(all: readonly ModelLike[], model: ModelLike, column: string): string | undefined {
  if (model.primaryKeyField !== column) return undefined
  const pointing = associations(all).filter((x) => x.associationType === 'BelongsTo' && x.target === model)
  const [only] = pointing
  return pointing.length === 1 && only !== undefined ? loaderFor(only, model) : `use pkLoader(${model.name}) ${FROM}`
}
