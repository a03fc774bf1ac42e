import type { SqlDialect, SqlTable, SqlTouches, SqlWrite } from '@perf/core'

// THROWAWAY STUB until core's `sqlTables` lands on main (then: import { sqlTables } from '@perf/core').
// A regex reading of the few statement shapes TypeORM emits; anything else is `unknown`.
const IDENT = String.raw`(?:"[^"]+"|\x60[^\x60]+\x60|[A-Za-z_][\w$]*)`
const NAME = String.raw`(${IDENT}(?:\s*\.\s*${IDENT})?)`
const WRITE_PATTERNS: [RegExp, SqlWrite['kind']][] = [
  [new RegExp(String.raw`^\s*INSERT\s+(?:IGNORE\s+)?INTO\s+${NAME}`, 'i'), 'rows'],
  [new RegExp(String.raw`^\s*UPDATE\s+${NAME}`, 'i'), 'rows'],
  [new RegExp(String.raw`^\s*DELETE\s+FROM\s+${NAME}`, 'i'), 'rows'],
  [new RegExp(String.raw`^\s*TRUNCATE\s+(?:TABLE\s+)?${NAME}[^;]*\bCASCADE\b`, 'i'), 'truncate-cascade'],
  [new RegExp(String.raw`^\s*TRUNCATE\s+(?:TABLE\s+)?${NAME}`, 'i'), 'truncate'],
]
const READ_ONLY =
  /^\s*(?:SELECT|SHOW|SET|BEGIN|START|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|WITH\s+\w+\s+AS\s*\(\s*SELECT)\b/i
const FROM = new RegExp(String.raw`\b(?:FROM|JOIN|INTO|UPDATE)\s+${NAME}`, 'gi')

function table(raw: string): SqlTable {
  const parts = raw.split('.').map((p) => p.trim())
  const unquote = (p: string): string => (/^["\x60]/.test(p) ? p.slice(1, -1) : p)
  const name = unquote(parts[parts.length - 1] as string)
  return { schema: parts.length > 1 ? unquote(parts[0] as string) : undefined, name }
}

/** What `sql` reads and writes (see core's `sqlTables`). */
export function sqlTables(sql: string, _options?: { dialect?: SqlDialect }): SqlTouches {
  const reads: SqlTable[] = []
  for (const m of sql.matchAll(FROM)) reads.push(table(m[1] as string))
  if (READ_ONLY.test(sql)) return { kind: 'read', reads, writes: [] }
  for (const [pattern, kind] of WRITE_PATTERNS) {
    const m = pattern.exec(sql)
    if (m) return { kind: 'write', reads, writes: [{ table: table(m[1] as string), kind }] }
  }
  return { kind: 'unknown', reads, writes: [] }
}
