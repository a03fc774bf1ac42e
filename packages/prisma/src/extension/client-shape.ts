/** What the adapter reads of Prisma's client objects, and nothing else. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyClient = any

/** Prisma's client property for a model: the name with its first letter lower-cased (`OrderItem` -> `orderItem`). */
export function delegateName(model: string): string {
  return model.charAt(0).toLowerCase() + model.slice(1)
}

/** Interactive-transaction clients lack the connection methods (Prisma's ITX deny list). */
export function isTransactionClient(client: AnyClient): boolean {
  return typeof client?.$connect !== 'function'
}

/** What Prisma hands a `$allOperations` query extension. */
export interface OperationParams {
  model?: string
  operation: string
  args: unknown
  query: (args: unknown) => PromiseLike<unknown>
  __internalParams?: { transaction?: unknown }
}
