import type { NPlusOneAdvisor, NPlusOneFinding } from '@perf/core'
import type { DataSource } from 'typeorm'
import type { EntityMetaLike, RelationLike } from './loaders/metadata.js'

/** A column compared with a parameter (`= ?`, `IN (...)`, `= ANY (...)`) in a fingerprint, with its qualifier. */
interface Filter {
  qualifier: string | undefined
  column: string
}

const IDENT = String.raw`(?:"((?:[^"]|"")+)"|\x60((?:[^\x60]|\x60\x60)+)\x60|([A-Za-z_][\w$]*))`
const KEYWORD = /^(where|on|inner|left|right|full|cross|join|group|order|limit|union|as)$/i
const ALIAS = new RegExp(String.raw`\b(?:FROM|JOIN)\s+(?:${IDENT}\s*\.\s*)?${IDENT}\s+(?:AS\s+)?${IDENT}`, 'gi')
const FILTER = new RegExp(String.raw`(?:${IDENT}\s*\.\s*)?${IDENT}\s*(?:=\s*(?:\?|ANY\s*\()|IN\s*\()`, 'gi')

function filtersOf(fingerprint: string): Filter[] {
  const out: Filter[] = []
  for (const m of fingerprint.matchAll(FILTER)) {
    const column = m[4] ?? m[5] ?? m[6]
    if (column === undefined || /^(any|in|and|or|not|where|on)$/i.test(column)) continue
    out.push({ qualifier: m[1] ?? m[2] ?? m[3], column })
  }
  return out
}

const isToOneOwner = (r: RelationLike) =>
  r.relationType === 'many-to-one' || (r.relationType === 'one-to-one' && r.isOwning)
const dbNames = (columns: readonly { databaseName: string }[]) => columns.map((c) => c.databaseName)
const relationCall = (owner: EntityMetaLike, relation: RelationLike) =>
  `loaders.relation(${owner.name}, '${relation.propertyName}')`
const FROM = 'from createLoaders(dataSource)'

/**
 * The N+1 advisor of a TypeORM DataSource: maps a finding (its fingerprint's filtered columns and
 * the tables of its statement) to the loader that batches it — `loaders.relation(Post, 'author')`
 * for a loop loading each post's author or a lazy relation, `loaders.relation(Post, 'comments')`
 * for a loop over `findBy({ post: { id } })`, `loaders.relation(Post, 'tags')` for a junction
 * table filtered by owner, `loaders.byId(Author)` for a loop of `findOneBy({ id })`.
 * `instrument(dataSource, { monitor })` registers it; register it yourself with
 * `monitor.advise('typeorm', typeormAdvisor(dataSource))` when you record events otherwise.
 *
 * @example
 * monitor.advise('typeorm', typeormAdvisor(dataSource))
 * // monitor.nPlusOne()[0].suggestion: "use loaders.relation(Post, 'author') (or loaders.byId(Author)) from createLoaders(dataSource)"
 */
export function typeormAdvisor(dataSource: DataSource): NPlusOneAdvisor {
  const metas = (dataSource as unknown as { entityMetadatas: readonly EntityMetaLike[] }).entityMetadatas
  return (finding: NPlusOneFinding) => {
    const byTable = new Map<string, EntityMetaLike>()
    for (const table of finding.tables ?? []) {
      const meta = metas.find((m) => m.tableName === table)
      if (meta !== undefined) byTable.set(table, meta)
    }
    if (byTable.size === 0 && finding.model !== undefined) {
      const meta = metas.find((m) => m.name === finding.model)
      if (meta !== undefined) byTable.set(meta.tableName, meta)
    }
    const entities = [...byTable.values()]
    const aliases = aliasesOf(finding.fingerprint)
    const main = metas.find((m) => m.name === finding.model) ?? entities[0]
    for (const filter of filtersOf(finding.fingerprint)) {
      const suggestion = junctionAdvice(entities, filter, metas) ?? entityAdvice(entities, filter, metas, aliases, main)
      if (suggestion !== undefined) return `use ${suggestion} ${FROM}`
    }
    return undefined
  }
}

/** A junction table filtered by one side's column: the many-to-many relation of that side. */
function junctionAdvice(entities: EntityMetaLike[], filter: Filter, metas: readonly EntityMetaLike[]) {
  for (const junction of entities.filter((e) => e.isJunction)) {
    for (const owner of metas) {
      for (const r of owner.relations) {
        if (r.relationType !== 'many-to-many' || !r.isOwning || r.junctionEntityMetadata !== junction) continue
        if (dbNames(r.joinColumns).includes(filter.column)) return relationCall(owner, r)
        if (dbNames(r.inverseJoinColumns).includes(filter.column) && r.inverseRelation !== undefined)
          return relationCall(r.inverseEntityMetadata, r.inverseRelation)
      }
    }
  }
  return undefined
}

/** Table aliases of the fingerprint (`FROM "posts" "Post"`, `JOIN \`tags\` \`t\``), alias -> table. */
function aliasesOf(fingerprint: string): Map<string, string> {
  const aliases = new Map<string, string>()
  for (const m of fingerprint.matchAll(ALIAS)) {
    const table = m[4] ?? m[5] ?? m[6]
    const alias = m[7] ?? m[8] ?? m[9]
    if (table !== undefined && alias !== undefined && !KEYWORD.test(alias)) aliases.set(alias, table)
  }
  return aliases
}

function entityAdvice(
  entities: EntityMetaLike[],
  filter: Filter,
  metas: readonly EntityMetaLike[],
  aliases: Map<string, string>,
  main: EntityMetaLike | undefined,
) {
  const table = filter.qualifier === undefined ? undefined : aliases.get(filter.qualifier)
  const qualified = entities.filter(
    (e) => e.tableName === table || filter.qualifier === e.name || filter.qualifier === e.tableName,
  )
  for (const entity of qualified.length > 0 ? qualified : entities) {
    if (entity.isJunction) continue
    // A foreign key of a to-one relation: the rows of one parent, i.e. the parent's to-many side.
    const fk = entity.relations.find((r) => isToOneOwner(r) && dbNames(r.joinColumns).includes(filter.column))
    if (fk?.inverseRelation !== undefined) return relationCall(fk.inverseEntityMetadata, fk.inverseRelation)
    if (!dbNames(entity.primaryColumns).includes(filter.column)) continue
    if (main !== undefined && main !== entity) {
      // Rows of `main` selected by the key of a joined parent: a to-one load through the parent…
      const toOne = entity.relations.find((r) => isToOneOwner(r) && r.inverseEntityMetadata === main)
      if (toOne !== undefined) return relationCall(entity, toOne)
      // …or the children of one parent (findBy({ post: { id } })).
      const child = main.relations.find(
        (r) => isToOneOwner(r) && r.inverseEntityMetadata === entity && r.inverseRelation !== undefined,
      )
      if (child?.inverseRelation !== undefined) return relationCall(entity, child.inverseRelation)
    }
    // By its own key: a loop of findOneBy({ id }); name the relation too when only one points here.
    const referencing = metas.flatMap((m) =>
      m.relations.filter((r) => isToOneOwner(r) && r.inverseEntityMetadata === entity).map((r) => ({ m, r })),
    )
    const byId = `loaders.byId(${entity.name})`
    const [only] = referencing
    return referencing.length === 1 && only !== undefined ? `${relationCall(only.m, only.r)} (or ${byId})` : byId
  }
  return undefined
}
