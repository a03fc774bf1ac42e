import { randomBytes, randomUUID } from 'node:crypto'
import type { StoredField } from '../model/model-graph.js'

/**
 * What Prisma Client fills itself when a `create` lacks a field, read from the field's
 * attributes: `@default(uuid())`, `cuid()`, `nanoid()`, `ulid()`, `now()`, literals, and
 * `@updatedAt`. `autoincrement()`, `sequence()` and `dbgenerated()` are the database's to fill
 * (the column is left out when no row has it).
 */
export interface FieldFill {
  /** The value for an inserted row that lacks the field. */
  insert?: () => unknown
  /** The value for an updated row that lacks the field (`@updatedAt`). */
  update?: () => unknown
}

/** The argument of `@default(...)`, parentheses balanced; undefined when there is none. */
function defaultArgument(attributes: string): string | undefined {
  const start = attributes.indexOf('@default(')
  if (start < 0) return undefined
  let depth = 0
  let quoted = false
  for (let i = start + '@default'.length; i < attributes.length; i++) {
    const ch = attributes[i]
    if (ch === '"' && attributes[i - 1] !== '\\') quoted = !quoted
    if (quoted) continue
    if (ch === '(') depth++
    else if (ch === ')' && --depth === 0) return attributes.slice(start + '@default('.length, i).trim()
  }
  return undefined
}

/** How `@default(...)` fills a field, or undefined when the database does (or it is not understood). */
export function fieldFill(field: StoredField): FieldFill | undefined {
  if (/@updatedAt\b/.test(field.attributes)) {
    const now = () => new Date()
    return { insert: now, update: now }
  }
  const arg = defaultArgument(field.attributes)
  if (arg === undefined) return undefined
  const call = /^(\w+)\(\s*([^)]*)\)$/.exec(arg)
  if (call) {
    const [, fn, param] = call
    switch (fn) {
      case 'uuid':
        return { insert: param === '7' ? uuidV7 : () => randomUUID() }
      case 'cuid':
        return { insert: param === '2' ? cuid2 : cuid }
      case 'nanoid':
        return { insert: () => nanoid(param ? Number(param) : 21) }
      case 'ulid':
        return { insert: ulid }
      case 'now':
        return { insert: () => new Date() }
      default:
        // autoincrement(), sequence(), dbgenerated(...), auto(): the database fills them.
        return undefined
    }
  }
  const value = literal(arg, field)
  return value === undefined ? undefined : { insert: () => structuredCopy(value.value) }
}

/** A literal default as the value Prisma would send; undefined for what is not a plain literal. */
function literal(text: string, field: StoredField): { value: unknown } | undefined {
  if (text.startsWith('[')) {
    const inner = text.slice(1, -1).trim()
    if (inner === '') return { value: [] }
    const items = splitList(inner).map((item) => literal(item, field))
    return items.every((i) => i !== undefined) ? { value: items.map((i) => i!.value) } : undefined
  }
  if (text.startsWith('"')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return undefined
    }
    // A Json field's default is JSON text; other types take the string (a DateTime's ISO text included).
    if (field.type === 'Json') {
      try {
        return { value: JSON.parse(parsed as string) }
      } catch {
        return undefined
      }
    }
    return { value: parsed }
  }
  if (text === 'true' || text === 'false') return { value: text === 'true' }
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) {
    if (field.type === 'BigInt') return /^-?\d+$/.test(text) ? { value: BigInt(text) } : undefined
    // Decimal keeps its exact text.
    return { value: field.type === 'Decimal' ? text : Number(text) }
  }
  // An enum value is a bare identifier.
  if (field.kind === 'enum' && /^[A-Za-z_]\w*$/.test(text)) return { value: text }
  return undefined
}

function splitList(text: string): string[] {
  const out: string[] = []
  let quoted = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"' && text[i - 1] !== '\\') quoted = !quoted
    else if (!quoted && text[i] === ',') {
      out.push(text.slice(start, i).trim())
      start = i + 1
    }
  }
  out.push(text.slice(start).trim())
  return out
}

function structuredCopy(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value
}

const URL_ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict'
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz'

function nanoid(size: number): string {
  const bytes = randomBytes(size)
  let id = ''
  for (let i = 0; i < size; i++) id += URL_ALPHABET[bytes[i]! & 63]
  return id
}

function uuidV7(): string {
  const bytes = randomBytes(16)
  const ms = BigInt(Date.now())
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function ulid(): string {
  let time = Date.now()
  let head = ''
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[time % 32]! + head
    time = Math.floor(time / 32)
  }
  const bytes = randomBytes(16)
  let tail = ''
  for (let i = 0; i < 16; i++) tail += CROCKFORD[bytes[i]! & 31]
  return head + tail
}

let cuidCounter = randomBytes(2).readUInt16BE(0)
const FINGERPRINT = randomString(4)

function randomString(length: number): string {
  const bytes = randomBytes(length)
  let out = ''
  for (let i = 0; i < length; i++) out += BASE36[bytes[i]! % 36]
  return out
}

/** A cuid (v1 layout: `c`, time, counter, fingerprint, random; 25 characters). */
function cuid(): string {
  cuidCounter = (cuidCounter + 1) % 1_679_616
  return (
    'c' +
    Date.now().toString(36).padStart(8, '0').slice(-8) +
    cuidCounter.toString(36).padStart(4, '0') +
    FINGERPRINT +
    randomString(8)
  )
}

/** A cuid2-shaped id: a lowercase letter then 23 random base-36 characters. */
function cuid2(): string {
  return BASE36[10 + (randomBytes(1)[0]! % 26)]! + randomString(23)
}
