/**
 * What a driver's query result looks like to the cache: each dialect's Query reads the driver's
 * raw result itself, so a hit hands it back in the shape the driver would have, and Sequelize
 * builds its instances from it exactly as on the database path.
 */
export interface DriverShape {
  /** The driver's result as a value the codec can hold (no class instances). */
  toCached(raw: unknown): unknown
  /** A cached value back in the shape the dialect's Query reads. */
  fromCached(value: unknown): unknown
  /** Rows returned or affected, for the QueryEvent. */
  rows(raw: unknown): number | undefined
}

interface PgResult {
  command?: string | null
  rowCount?: number | null
  oid?: number | null
  rows?: unknown[]
  fields?: object[]
}

function pgOne(r: PgResult): PgResult {
  return {
    command: r.command ?? null,
    rowCount: r.rowCount ?? null,
    oid: r.oid ?? null,
    rows: r.rows ?? [],
    fields: (r.fields ?? []).map((f) => ({ ...f })),
  }
}

/** `pg`: a `Result` (or an array of them for a multi-statement string) with `rows` and `rowCount`. */
export const pgShape: DriverShape = {
  toCached: (raw) => (Array.isArray(raw) ? raw.map((r) => pgOne(r as PgResult)) : pgOne(raw as PgResult)),
  fromCached: (value) => value,
  rows(raw) {
    const one = (r: PgResult) => (typeof r?.rowCount === 'number' ? r.rowCount : r?.rows?.length)
    return Array.isArray(raw) ? raw.reduce<number>((n, r) => n + (one(r as PgResult) ?? 0), 0) : one(raw as PgResult)
  },
}

/** `mariadb`: an array of row objects with a `meta` property (column definitions, not cached). */
export const mariadbShape: DriverShape = {
  toCached: (raw) => ({ rows: Array.isArray(raw) ? Array.from(raw) : raw }),
  fromCached(value) {
    const { rows } = value as { rows: unknown }
    if (!Array.isArray(rows)) return rows
    Object.defineProperty(rows, 'meta', { value: [], writable: true, configurable: true, enumerable: false })
    return rows
  },
  rows(raw) {
    if (Array.isArray(raw)) return raw.length
    const affected = (raw as { affectedRows?: unknown } | undefined)?.affectedRows
    return typeof affected === 'number' ? affected : undefined
  },
}
