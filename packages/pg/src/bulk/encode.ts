/**
 * Values → PostgreSQL's text input format, the one COPY's text format and `::type` casts read.
 * One encoder for copyInsert, bulkUpdate and bulkUpsert, so a value lands the same whichever
 * path wrote it. JS types follow node-postgres's parameter rules: Date as local time with its
 * offset, Buffer as bytea hex, arrays as array literals, other objects as JSON.
 */

/** How a column's values are encoded; `json` forces JSON even for arrays (json/jsonb columns). */
export type ColumnEncoding = 'auto' | 'json'

/** Thrown inside the encoder; the caller adds row and column. */
export class EncodeError extends Error {}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

/** A Date as node-postgres sends it: local wall time with the offset, so timestamptz gets the same instant. */
export function encodeDate(date: Date): string {
  const ms = date.getTime()
  if (Number.isNaN(ms)) throw new EncodeError('Invalid Date')
  let year = date.getFullYear()
  const bc = year < 1
  if (bc) year = 1 - year // 1 BC is year 0 in JS
  const offsetMin = -date.getTimezoneOffset()
  const sign = offsetMin < 0 ? '-' : '+'
  const abs = Math.abs(offsetMin)
  return (
    `${pad(year, 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}${bc ? ' BC' : ''}`
  )
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array
}

function jsonText(value: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (error) {
    // Only a BigInt inside needs the (much slower) replacer; anything else (a cycle) is the caller's.
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message))
      throw new EncodeError(`cannot encode as JSON: ${(error as Error).message}`)
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
  }
  if (text === undefined) throw new EncodeError(`cannot encode ${typeof value} as JSON`)
  return text
}

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  if (Array.isArray(value)) return arrayLiteral(value)
  const text = encodeValue(value, 'auto')
  // Quote everything: an unquoted element may not be empty, NULL, or hold { } , " \ or spaces.
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(',')}}`
}

/**
 * A non-null value's text form.
 *
 * @throws EncodeError for functions, symbols, invalid dates and strings holding NUL (PostgreSQL text cannot)
 */
export function encodeValue(value: unknown, encoding: ColumnEncoding): string {
  if (encoding === 'json') return jsonText(value)
  switch (typeof value) {
    case 'string':
      if (value.includes('\0')) throw new EncodeError('string holds a NUL character (PostgreSQL text cannot store it)')
      return value
    case 'number':
      // NaN and ±Infinity are valid float and numeric input
      return Number.isNaN(value)
        ? 'NaN'
        : value === Infinity
          ? 'Infinity'
          : value === -Infinity
            ? '-Infinity'
            : String(value)
    case 'bigint':
      return value.toString()
    case 'boolean':
      return value ? 't' : 'f'
    case 'object': {
      if (value instanceof Date) return encodeDate(value)
      if (isBytes(value)) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`
      if (Array.isArray(value)) return arrayLiteral(value)
      const custom = (value as { toPostgres?: () => unknown }).toPostgres
      if (typeof custom === 'function') return encodeValue(custom.call(value), 'auto')
      return jsonText(value)
    }
    default:
      throw new EncodeError(`cannot encode a ${typeof value}`)
  }
}

const COPY_SPECIAL = /[\\\n\r\t]/

/**
 * One field of COPY's text format: `\N` for NULL (and undefined, as node-postgres does), else the
 * text form with backslash, newline, carriage return and tab escaped.
 */
export function copyField(value: unknown, encoding: ColumnEncoding): string {
  if (value === null || value === undefined) return '\\N'
  const text = encodeValue(value, encoding)
  if (!COPY_SPECIAL.test(text)) return text
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('\r', '\\r').replaceAll('\t', '\\t')
}

/** One field for a `text[]` parameter: null stays null (node-postgres writes NULL), else the text form. */
export function textParam(value: unknown, encoding: ColumnEncoding): string | null {
  if (value === null || value === undefined) return null
  return encodeValue(value, encoding)
}

const ISO_SAFE_MIN = Date.UTC(0, 0, 1) // toISOString writes 6-digit years (±YYYYYY) outside 0000–9999
const ISO_SAFE_MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/**
 * A COPY field encoder for one column, specialised by its type: the common cases (strings,
 * numbers, a Date into timestamptz) skip the general `encodeValue` dispatch. For timestamptz a
 * Date is written as UTC ISO text: the same instant as node-postgres's local-time form, cheaper.
 */
export function copyEncoderFor(type: string, encoding: ColumnEncoding): (value: unknown) => string {
  if (encoding === 'json') return (value) => copyField(value, 'json')
  const tz = type === 'timestamp with time zone'
  return (value) => {
    if (value === null || value === undefined) return '\\N'
    if (typeof value === 'string') {
      if (value.includes('\0')) throw new EncodeError('string holds a NUL character (PostgreSQL text cannot store it)')
      return COPY_SPECIAL.test(value)
        ? value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('\r', '\\r').replaceAll('\t', '\\t')
        : value
    }
    if (typeof value === 'number' && Number.isFinite(value)) return String(value)
    if (tz && value instanceof Date) {
      const ms = value.getTime()
      if (ms >= ISO_SAFE_MIN && ms <= ISO_SAFE_MAX) return value.toISOString()
    }
    return copyField(value, 'auto')
  }
}

/** A text-parameter encoder for one column (`null` for NULL), with the same fast paths as {@link copyEncoderFor}. */
export function paramEncoderFor(type: string, encoding: ColumnEncoding): (value: unknown) => string | null {
  if (encoding === 'json') return (value) => textParam(value, 'json')
  const tz = type === 'timestamp with time zone'
  return (value) => {
    if (value === null || value === undefined) return null
    if (typeof value === 'string') {
      if (value.includes('\0')) throw new EncodeError('string holds a NUL character (PostgreSQL text cannot store it)')
      return value
    }
    if (typeof value === 'number' && Number.isFinite(value)) return String(value)
    if (tz && value instanceof Date) {
      const ms = value.getTime()
      if (ms >= ISO_SAFE_MIN && ms <= ISO_SAFE_MAX) return value.toISOString()
    }
    return encodeValue(value, 'auto')
  }
}
