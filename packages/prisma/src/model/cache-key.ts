import { canonicalize, stableKey } from '@perf/core'

/** Tag carried by every entry this adapter writes: invalidating it drops everything a client cached. */
export const ALL_TAG = 'prisma:*'

/** Tag of every cached read that touched `model` without row restriction; every write to `model` drops it. */
export function modelTag(model: string): string {
  return `prisma:model:${model}`
}

/**
 * The cache key of a read: model, operation, the canonical digest of its arguments (`part`, from
 * {@link readKeyPart}) and the schema version, so equal queries share an entry and a changed
 * schema never serves old shapes.
 */
export function readKey(schemaVersion: string, model: string, operation: string, part: string): string {
  return `prisma:${schemaVersion}:${model}:${operation}:${part}`
}

/** The part of a read's key that comes from its arguments: equal for equal queries of one operation. */
export function readKeyPart(args: unknown): string {
  // Short argument lists go in as their canonical text (readable, and no SHA-256 on the hit path).
  const canonical = canonicalize(args ?? null)
  return canonical.length <= MAX_INLINE_ARGS ? canonical : `#${stableKey(args ?? null)}`
}

/** Longest canonical argument text kept verbatim in a key; longer ones are hashed. */
const MAX_INLINE_ARGS = 160

/** Tag of partitioned reads of `model`: dropped only by writes whose rows are unknown. */
export function anyRowTag(model: string): string {
  return `prisma:any:${model}`
}

/** Tag of reads of `model` restricted to rows where `field` equals the canonical `value`. */
export function rowTag(model: string, field: string, value: string): string {
  return `prisma:eq:${model}:${field}:${value}`
}

/** Tag of reads of `model` restricted by equality on `field`: dropped when a write changes `field` from an unknown value. */
export function fieldTag(model: string, field: string): string {
  return `prisma:field:${model}:${field}`
}
