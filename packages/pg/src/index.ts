// errors
export { BulkWriteError, PgExtensionError } from './errors.js'

// identifiers and connections
export { quoteIdent, quoteTable } from './identifiers.js'
export type { TableName } from './identifiers.js'
export type { PgQueryable } from './queryable.js'

// bulk writes and streaming
export { copyInsert } from './bulk/copy-insert.js'
export type { BulkProgress, BulkResult, CopyInsertOptions } from './bulk/copy-insert.js'
export type { BulkRow, BulkRows } from './bulk/rows.js'
