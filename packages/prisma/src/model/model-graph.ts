import { createHash } from 'node:crypto'
import { PerfError, tableTag } from '@perf/core'
import { changesChildren, parseSchemaText, type ForeignKeyRelation } from './schema-text.js'

const KEY_TYPES = new Set(['Int', 'BigInt', 'Boolean', 'String'])
const EMPTY_MAP: ReadonlyMap<string, string> = new Map()

/** A field of Prisma's runtime data model (`client._runtimeDataModel`). */
export interface RuntimeField {
  name: string
  kind: string
  type: string
  relationName?: string
}

/** A model of Prisma's runtime data model. */
export interface RuntimeModel {
  fields: readonly RuntimeField[]
  dbName?: string | null
  /** The database schema (`@@schema`, multiSchema), when set. */
  schema?: string | null
}

/** A scalar or enum field as stored: what bulk writes need to address its column. */
export interface StoredField {
  name: string
  /** `scalar` or `enum`. */
  kind: string
  /** Prisma type (`Int`, `Decimal`, `Json`) or the enum's name. */
  type: string
  /** Its column (`@map` honoured; the field name without the schema text). */
  column: string
  /** The attributes after its type in the schema text (`@id @default(uuid()) @db.Uuid`), `''` without it. */
  attributes: string
}

/** The part of Prisma's runtime data model the adapter reads. */
export interface RuntimeDataModel {
  models: Record<string, RuntimeModel>
}

/**
 * The relation graph of a Prisma schema: which model a relation field leads to, which tables
 * belong to which model, and which models a write can change through referential actions.
 * Built once per extended client from the client's runtime data model and embedded schema.
 */
export class ModelGraph {
  /** Model names as in the schema (`User`). */
  readonly models: readonly string[]
  /** Short hash of the data model; part of every cache key so a schema change never serves old shapes. */
  readonly schemaVersion: string
  /**
   * Whether the schema text was available: referential actions are then followed exactly and
   * reads can be tagged by row (otherwise deletes invalidate every related model and every read
   * is tagged by model).
   */
  readonly hasSchemaText: boolean

  private readonly relations = new Map<string, Map<string, string>>()
  private readonly fieldNames = new Map<string, ReadonlySet<string>>()
  private readonly relationNames = new Map<string, Map<string, string>>()
  private readonly byLowerName = new Map<string, string>()
  private readonly tables = new Map<string, string[]>()
  /** Per model: the tag of its table (`@@map` honoured). */
  private readonly ownTableTags = new Map<string, string>()
  /** Implicit many-to-many join tables (`_PostToTag`), with the models on both sides. */
  private readonly joinTables = new Map<string, Set<string>>()
  private readonly foreignKeys: readonly ForeignKeyRelation[]
  private readonly deleteClosure = new Map<string, readonly string[]>()
  private readonly truncateClosure = new Map<string, readonly string[]>()
  /** Per model: fields whose equality can key a row tag, with their type. */
  private readonly keyFields = new Map<string, Map<string, string>>()
  private readonly dataModel: RuntimeDataModel
  private readonly attributes = new Map<string, Map<string, string>>()
  private readonly blockAttributes = new Map<string, readonly string[]>()

  constructor(dataModel: RuntimeDataModel, schemaText?: string) {
    this.dataModel = dataModel
    this.models = Object.keys(dataModel.models)
    this.schemaVersion = createHash('sha256').update(JSON.stringify(dataModel.models)).digest('base64url').slice(0, 12)
    for (const [name, model] of Object.entries(dataModel.models)) {
      this.byLowerName.set(name.toLowerCase(), name)
      this.addTable(model.dbName ?? name, name)
      this.ownTableTags.set(name, tableTag(model.dbName ?? name))
      const targets = new Map<string, string>()
      const relationNames = new Map<string, string>()
      for (const field of model.fields) {
        if (field.kind !== 'object') continue
        targets.set(field.name, field.type)
        if (field.relationName) relationNames.set(field.name, field.relationName)
        // Implicit many-to-many relations live in a join table named `_<relationName>`.
        if (field.relationName) {
          this.addTable(`_${field.relationName}`, name)
          const join = `_${field.relationName}`
          this.joinTables.set(join, (this.joinTables.get(join) ?? new Set<string>()).add(name))
        }
      }
      this.relations.set(name, targets)
      this.relationNames.set(name, relationNames)
      this.fieldNames.set(name, new Set(model.fields.map((f) => f.name)))
    }
    const names = new Set(this.models)
    const parsed = schemaText ? parseSchemaText(schemaText, names) : undefined
    this.foreignKeys = parsed?.foreignKeys ?? []
    this.hasSchemaText = parsed !== undefined
    if (parsed) this.indexKeyFields(dataModel, parsed.models)
    for (const [name, model] of parsed?.models ?? []) {
      this.attributes.set(name, model.attributes)
      this.blockAttributes.set(name, model.blockAttributes)
    }
    // A relation with a foreign key on one side has no join table (without the schema text every relation may have one).
    for (const fk of this.foreignKeys) {
      const relation = this.relationNames.get(fk.model)?.get(fk.field)
      if (relation !== undefined) this.joinTables.delete(`_${relation}`)
    }
  }

  /**
   * Row tags need equality in SQL to match equality of the JS values Prisma returns: integers,
   * booleans, enums, and strings without case-insensitive or blank-padded native types.
   */
  private indexKeyFields(dataModel: RuntimeDataModel, text: Map<string, { attributes: Map<string, string> }>): void {
    for (const [name, model] of Object.entries(dataModel.models)) {
      const attributes = text.get(name)?.attributes
      if (!attributes) continue
      const keys = new Map<string, string>()
      for (const field of model.fields) {
        const attrs = attributes.get(field.name) ?? ''
        if (field.kind === 'enum') keys.set(field.name, 'enum')
        else if (
          field.kind === 'scalar' &&
          KEY_TYPES.has(field.type) &&
          !(field.type === 'String' && /@db\.(Citext|Char\b)/.test(attrs))
        )
          keys.set(field.name, field.type)
      }
      this.keyFields.set(name, keys)
    }
  }

  /** The table of `model` (`@@map` and `@@schema` honoured). */
  tableOf(model: string): { schema?: string; name: string } {
    const m = this.dataModel.models[model]!
    return m.schema ? { schema: m.schema, name: m.dbName ?? model } : { name: m.dbName ?? model }
  }

  /** The scalar and enum fields of `model` with their columns (`@map` read from the schema text). */
  storedFields(model: string): StoredField[] {
    const attributes = this.attributes.get(model)
    return (this.dataModel.models[model]?.fields ?? [])
      .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
      .map((f) => {
        const attrs = attributes?.get(f.name) ?? ''
        const mapped = /@map\(\s*(?:name\s*:\s*)?"((?:[^"\\]|\\.)*)"/.exec(attrs)?.[1]
        return { name: f.name, kind: f.kind, type: f.type, column: mapped ?? f.name, attributes: attrs }
      })
  }

  /**
   * The fields of `model`'s primary key (`@id`, or `@@id([...])`); `[]` when the schema text is
   * not available or the model has none.
   */
  idFields(model: string): string[] {
    const compound = this.blockAttributes.get(model)?.find((a) => a.startsWith('@@id('))
    if (compound) {
      const list = /\[([^\]]*)\]/.exec(compound)?.[1] ?? ''
      return list
        .split(',')
        .map((f) => f.trim().replace(/\(.*$/, ''))
        .filter(Boolean)
    }
    return this.storedFields(model)
      .filter((f) => /(^|\s)@id(\s|\(|$)/.test(f.attributes))
      .map((f) => f.name)
  }

  /** Fields of `model` whose equality can key a row tag, with their Prisma type; empty without schema text. */
  keyFieldsOf(model: string): ReadonlyMap<string, string> {
    return this.keyFields.get(model) ?? EMPTY_MAP
  }

  /**
   * The scalar fields of `model` that a nested write through `relationField` changes (the foreign
   * key it holds), `[]` when the other side holds the key, undefined when unknown (no schema text).
   */
  foreignKeyFields(model: string, relationField: string): readonly string[] | undefined {
    if (!this.hasSchemaText) return undefined
    return this.foreignKeys.find((fk) => fk.model === model && fk.field === relationField)?.fields ?? []
  }

  private addTable(table: string, model: string): void {
    const key = table.toLowerCase()
    const list = this.tables.get(key) ?? []
    if (!list.includes(model)) list.push(model)
    this.tables.set(key, list)
  }

  /** The shared `table:<name>` tag of a model's table (`@@map` honoured): what every SQL-level adapter tags and invalidates. */
  tableTag(model: string): string {
    return this.ownTableTags.get(model) ?? tableTag(model)
  }

  /**
   * The table tags of what touches `models`: each model's table, and every implicit many-to-many
   * join table whose two sides are both in `models` (a read including a post's tags reads
   * `_PostToTag`; a write connecting them writes it).
   */
  tableTagsOf(models: Iterable<string>): string[] {
    const set = new Set(models)
    const out = new Set<string>()
    for (const model of set) out.add(this.tableTag(model))
    for (const [table, sides] of this.joinTables) {
      if ([...sides].every((m) => set.has(m))) out.add(tableTag(table))
    }
    return [...out]
  }

  /** Whether the schema has this model. */
  has(model: string): boolean {
    return this.relations.has(model)
  }

  /**
   * The schema's model name for `name`, accepting the client's delegate spelling (`user`).
   * @throws PerfError UNKNOWN_MODEL naming `option` and the known models
   */
  resolve(name: string, option: string): string {
    if (this.relations.has(name)) return name
    const found = typeof name === 'string' ? this.byLowerName.get(name.toLowerCase()) : undefined
    if (found) return found
    throw new PerfError(
      'UNKNOWN_MODEL',
      `[perf:prisma] ${option} names model ${JSON.stringify(name)}, which the schema does not have (models: ${this.models.join(', ')})`,
      {
        context: { option, model: name, models: this.models },
      },
    )
  }

  /** The relation fields of `model`. */
  relationFields(model: string): string[] {
    return [...(this.relations.get(model)?.keys() ?? [])]
  }

  /** Whether `field` is a field (scalar, enum or relation) of `model`. */
  hasField(model: string, field: string): boolean {
    return this.fieldNames.get(model)?.has(field) ?? false
  }

  /** The model a relation field of `model` leads to, or undefined when `field` is not a relation. */
  relationTarget(model: string, field: string): string | undefined {
    return this.relations.get(model)?.get(field)
  }

  /** The models stored in a table (case-insensitive; schema qualifiers already removed), or undefined. */
  modelsForTable(table: string): readonly string[] | undefined {
    return this.tables.get(table.toLowerCase())
  }

  /**
   * Models whose rows deleting rows of `model` can change through referential actions
   * (Cascade, SetNull, SetDefault), followed transitively through cascading deletes.
   * Without the schema text every model reachable through relations is returned.
   */
  deleteDependents(model: string): readonly string[] {
    const cached = this.deleteClosure.get(model)
    if (cached) return cached
    const result = this.hasSchemaText ? this.cascadeClosure(model) : this.reachable(model)
    this.deleteClosure.set(model, result)
    return result
  }

  /**
   * Models whose tables `TRUNCATE ... CASCADE` of `model`'s table empties: every model with a
   * foreign-key path to it, whatever the referential actions on the way (Restrict included).
   * Without the schema text every model reachable through relations is returned.
   */
  truncateDependents(model: string): readonly string[] {
    const cached = this.truncateClosure.get(model)
    if (cached) return cached
    const result = this.hasSchemaText ? this.referencingClosure(model) : this.reachable(model)
    this.truncateClosure.set(model, result)
    return result
  }

  /**
   * How the rows a relation field includes are found, when one key field links them: "rows of
   * `target` whose `targetField` equals the including row's `sourceField`". Undefined for
   * many-to-many, composite keys, keys that cannot key row tags, or without the schema text.
   */
  relationLink(model: string, field: string): { target: string; targetField: string; sourceField: string } | undefined {
    const target = this.relationTarget(model, field)
    if (!target || !this.hasSchemaText) return undefined
    const name = this.relationNames.get(model)?.get(field)
    const own = this.foreignKeys.find((fk) => fk.model === model && fk.field === field)
    const other = own
      ? undefined
      : this.foreignKeys.find(
          (fk) =>
            fk.model === target &&
            fk.target === model &&
            fk.field !== field &&
            this.relationNames.get(target)?.get(fk.field) === name,
        )
    const fk = own ?? other
    if (!fk || fk.fields.length !== 1 || fk.references.length !== 1) return undefined
    const link = own
      ? { target, targetField: fk.references[0] as string, sourceField: fk.fields[0] as string }
      : { target, targetField: fk.fields[0] as string, sourceField: fk.references[0] as string }
    return this.keyFieldsOf(target).has(link.targetField) && this.keyFieldsOf(model).has(link.sourceField)
      ? link
      : undefined
  }

  /** Models whose foreign keys follow (onUpdate) a change of `fields` of `model`. */
  updateDependents(model: string, fields: Iterable<string>): string[] {
    const changed = new Set(fields)
    const out: string[] = []
    for (const fk of this.foreignKeys) {
      if (fk.target !== model || !changesChildren(fk.onUpdate)) continue
      if (fk.references.some((f) => changed.has(f)) && !out.includes(fk.model)) out.push(fk.model)
    }
    return out
  }

  private cascadeClosure(model: string): string[] {
    const seen = new Set<string>()
    const queue = [model]
    while (queue.length > 0) {
      const parent = queue.pop() as string
      for (const fk of this.foreignKeys) {
        if (fk.target !== parent || !changesChildren(fk.onDelete) || fk.model === model) continue
        if (seen.has(fk.model)) continue
        seen.add(fk.model)
        // Only a cascading delete removes child rows, which may in turn have children.
        if (fk.onDelete === 'Cascade') queue.push(fk.model)
      }
    }
    return [...seen]
  }

  private referencingClosure(model: string): string[] {
    // `seen` starts with the model itself, so self-relations and cycles end the walk.
    const seen = new Set<string>([model])
    const queue = [model]
    while (queue.length > 0) {
      const parent = queue.pop() as string
      for (const fk of this.foreignKeys) {
        if (fk.target !== parent || seen.has(fk.model)) continue
        seen.add(fk.model)
        queue.push(fk.model)
      }
    }
    seen.delete(model)
    return [...seen]
  }

  private reachable(model: string): string[] {
    const seen = new Set<string>([model])
    const queue = [model]
    while (queue.length > 0) {
      for (const target of this.relations.get(queue.pop() as string)?.values() ?? []) {
        if (!seen.has(target)) {
          seen.add(target)
          queue.push(target)
        }
      }
    }
    seen.delete(model)
    return [...seen]
  }
}
