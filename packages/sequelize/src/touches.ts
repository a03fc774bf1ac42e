import { sqlTables, type SqlDialect, type SqlTouches } from '@perf/core'

// Sequelize 6 on PostgreSQL wraps some writes (findOrCreate's insert, `options.exception`) in a
// temporary plpgsql function it creates and calls in the same script: the INSERT sits inside a
// dollar-quoted body, where a SQL reader rightly sees only a string.
const PG_TEMP_FUNCTION = /CREATE\s+OR\s+REPLACE\s+FUNCTION\s+pg_temp\.[\s\S]*?\bAS\s+(\$\w*\$)([\s\S]*?)\1/gi

/**
 * {@link statementTouches} with the last `size` statements remembered: an application sends the
 * same few hundred statement texts over and over (parameters are bound or inlined the same way).
 */
export class TouchesMemo {
  private readonly entries = new Map<string, SqlTouches>()
  constructor(
    private readonly dialect: SqlDialect,
    private readonly size = 512,
  ) {}

  get(sql: string): SqlTouches {
    const known = this.entries.get(sql)
    if (known !== undefined) return known
    const touches = statementTouches(sql, this.dialect)
    // Long statements (bulk inserts with inlined values) are rarely repeated: not worth keeping.
    if (sql.length <= 4096) {
      if (this.entries.size >= this.size) this.entries.delete(this.entries.keys().next().value as string)
      this.entries.set(sql, touches)
    }
    return touches
  }
}

/**
 * What a statement reads and writes, as {@link sqlTables} reads it, plus the body of a temporary
 * function the same script creates and runs (Sequelize's exception wrapper on PostgreSQL).
 */
export function statementTouches(sql: string, dialect: SqlDialect): SqlTouches {
  const touches = sqlTables(sql, { dialect })
  if (dialect !== 'postgres' || !/pg_temp\./i.test(sql)) return touches
  let merged = touches
  for (const match of sql.matchAll(PG_TEMP_FUNCTION)) {
    const body = sqlTables(plpgsqlStatements(match[2] ?? ''), { dialect })
    if (body.kind === 'read') continue
    merged = {
      kind: merged.kind === 'unknown' || body.kind === 'unknown' ? 'unknown' : 'write',
      reads: [...merged.reads, ...body.reads],
      writes: [...merged.writes, ...body.writes],
    }
  }
  return merged
}

/** The SQL statements of a plpgsql block: `BEGIN`, `EXCEPTION` handlers and `INTO` targets removed. */
function plpgsqlStatements(body: string): string {
  return body
    .replace(/^\s*BEGIN\b/i, '')
    .replace(/\bEXCEPTION\b[\s\S]*$/i, '')
    .replace(/\bEND\s*;?\s*$/i, '')
    .replace(/\bRETURNING\s+\*\s+INTO\s+\w+/gi, '')
}
