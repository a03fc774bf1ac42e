import { stableKey } from '../cache/value/stable-key.js'

/**
 * The cache key of a SQL result: `sql:<salt>:<digest>`, where the digest is {@link stableKey} of
 * the statement text and its parameters. `salt` names what else decides the result's shape (the
 * adapter, its schema or entity version, the database); a changed salt never serves old shapes.
 * Equal statements with equal parameters share an entry; `1` and `'1'` do not (parameters keep
 * their types).
 */
export function sqlResultKey(sql: string, params: readonly unknown[] | undefined, salt = ''): string {
  return `sql:${salt}:${stableKey([sql, params ?? []])}`
}
