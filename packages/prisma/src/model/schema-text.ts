/**
 * Reads what Prisma's runtime data model omits from the schema text the generated client embeds:
 * relation attributes (`fields`, `references`, `onDelete`, `onUpdate`), which tell which side
 * holds the foreign key and which referential actions change other tables' rows, and field
 * attributes (native types) that decide which fields can key row-level tags.
 */

/** A referential action as written in the schema. */
export type ReferentialAction = 'Cascade' | 'Restrict' | 'NoAction' | 'SetNull' | 'SetDefault'

/** One relation field that holds a foreign key (`@relation(fields: [...], references: [...])`). */
export interface ForeignKeyRelation {
  /** The model holding the foreign key (the child). */
  model: string
  /** The relation field on the child. */
  field: string
  /** The referenced model (the parent). */
  target: string
  /** Scalar fields of the child that hold the key. */
  fields: string[]
  /** Fields of the parent the key references. */
  references: string[]
  /** What deleting the parent row does to the child rows (Prisma's defaults applied). */
  onDelete: ReferentialAction
  /** What changing the referenced parent fields does to the child rows (Prisma's defaults applied). */
  onUpdate: ReferentialAction
}

const FIELD_LINE = /^([A-Za-z_]\w*)\s+([A-Za-z_]\w*)(\[\])?(\?)?(.*)$/
const BLOCK_START = /^(model|view)\s+([A-Za-z_]\w*)\s*\{/

/** Removes `//` comments outside string literals. */
function stripComment(line: string): string {
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (ch === '"' && line[i - 1] !== '\\') quoted = !quoted
    else if (!quoted && ch === '/' && line[i + 1] === '/') return line.slice(0, i)
  }
  return line
}

/** Returns the text between the parentheses that follow `@relation`, or undefined. */
function relationArgs(rest: string): string | undefined {
  const start = rest.indexOf('@relation(')
  if (start < 0) return undefined
  let depth = 0
  for (let i = start + '@relation'.length; i < rest.length; i++) {
    if (rest[i] === '(') depth++
    else if (rest[i] === ')' && --depth === 0) return rest.slice(start + '@relation('.length, i)
  }
  return undefined
}

function listArg(args: string, name: string): string[] {
  const match = new RegExp(`${name}\\s*:\\s*\\[([^\\]]*)\\]`).exec(args)
  if (!match?.[1]) return []
  return match[1]
    .split(',')
    .map((s) => s.trim().replace(/\(.*$/, ''))
    .filter(Boolean)
}

function actionArg(args: string, name: string): ReferentialAction | undefined {
  const match = new RegExp(`${name}\\s*:\\s*(\\w+)`).exec(args)
  return match?.[1] as ReferentialAction | undefined
}

/** What the schema text says about one model. */
export interface SchemaModelText {
  /** Field name -> the attributes written after its type (`@id @db.Citext`). */
  attributes: Map<string, string>
  /** The model's block attributes (`@@id([a, b])`, `@@map("t")`), as written. */
  blockAttributes: string[]
}

/** What {@link parseSchemaText} found. */
export interface SchemaText {
  foreignKeys: ForeignKeyRelation[]
  models: Map<string, SchemaModelText>
}

/**
 * Parses foreign-key relations and field attributes out of Prisma schema text.
 *
 * @param schema the schema (`client._engineConfig.inlineSchema`)
 * @param modelNames the models of the runtime data model, to tell relation fields from scalars
 */
export function parseSchemaText(schema: string, modelNames: ReadonlySet<string>): SchemaText {
  const foreignKeys: ForeignKeyRelation[] = []
  const models = new Map<string, SchemaModelText>()
  let current: SchemaModelText | undefined
  let currentName = ''
  for (const raw of schema.split('\n')) {
    const line = stripComment(raw).trim()
    if (!line) continue
    const block = BLOCK_START.exec(line)
    if (block) {
      currentName = block[2] as string
      current = { attributes: new Map(), blockAttributes: [] }
      models.set(currentName, current)
      continue
    }
    if (line.startsWith('}')) {
      current = undefined
      continue
    }
    if (!current) continue
    if (line.startsWith('@@')) {
      current.blockAttributes.push(line)
      continue
    }
    const field = FIELD_LINE.exec(line)
    if (!field) continue
    const rest = field[5] ?? ''
    current.attributes.set(field[1] as string, rest.trim())
    if (!modelNames.has(field[2] as string)) continue
    const args = relationArgs(rest)
    const fields = args ? listArg(args, 'fields') : []
    if (!args || fields.length === 0) continue
    const optional = field[4] === '?'
    foreignKeys.push({
      model: currentName,
      field: field[1] as string,
      target: field[2] as string,
      fields,
      references: listArg(args, 'references'),
      // Prisma's defaults: optional relations SetNull on delete, required ones Restrict; updates Cascade.
      onDelete: actionArg(args, 'onDelete') ?? (optional ? 'SetNull' : 'Restrict'),
      onUpdate: actionArg(args, 'onUpdate') ?? 'Cascade',
    })
  }
  return { foreignKeys, models }
}

/** Whether an action changes (or deletes) the child rows. Restrict and NoAction make the parent write fail instead. */
export function changesChildren(action: ReferentialAction): boolean {
  return action === 'Cascade' || action === 'SetNull' || action === 'SetDefault'
}
