/** Prisma model operations that only read; the ones `cacheStrategy` is accepted on. */
export const READ_OPERATIONS = [
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
] as const

/** A Prisma model operation that only reads. */
export type ReadOperation = (typeof READ_OPERATIONS)[number]

/** Prisma model operations that write; each one invalidates the models it touches. */
export const WRITE_OPERATIONS = [
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
] as const

/** A Prisma model operation that writes. */
export type WriteOperation = (typeof WRITE_OPERATIONS)[number]

/** Raw client operations that may write (their SQL is parsed for target tables). */
export const RAW_EXECUTE_OPERATIONS = ['$executeRaw', '$executeRawUnsafe'] as const

/** Raw client operations that return rows; they may still write (`UPDATE ... RETURNING`). */
export const RAW_QUERY_OPERATIONS = ['$queryRaw', '$queryRawUnsafe', '$queryRawTyped'] as const

const READS: ReadonlySet<string> = new Set(READ_OPERATIONS)
const WRITES: ReadonlySet<string> = new Set(WRITE_OPERATIONS)

/** Whether `operation` is a model read (cacheable). */
export function isReadOperation(operation: string): operation is ReadOperation {
  return READS.has(operation)
}

/** Whether `operation` is a model write (invalidating). */
export function isWriteOperation(operation: string): operation is WriteOperation {
  return WRITES.has(operation)
}

/** Deletes remove rows other tables may reference, so referential actions can change those tables too. */
export function isDeleteOperation(operation: string): boolean {
  return operation === 'delete' || operation === 'deleteMany'
}
