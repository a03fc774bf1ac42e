import type pg from 'pg'

/** How a scope was opened: our own transaction, or a savepoint inside the caller's. */
export type Scope = 'transaction' | 'savepoint'

/**
 * Opens an atomic scope: a transaction on a connection we own; on the caller's client, a
 * savepoint when it is inside a transaction (so a failure rolls back only our part and the
 * caller's transaction stays usable), else a transaction.
 */
export async function openScope(client: pg.ClientBase, owned: boolean): Promise<Scope> {
  const status = owned ? 'idle' : transactionStatus(client)
  if (status === 'idle') {
    await client.query('BEGIN')
    return 'transaction'
  }
  if (status !== undefined) {
    // In a transaction (or a failed one, where the savepoint fails with the server's own error).
    await client.query('SAVEPOINT perf_scope')
    return 'savepoint'
  }
  // pg before 8.21 does not say: try a savepoint, which fails outside a transaction.
  try {
    await client.query('SAVEPOINT perf_scope')
    return 'savepoint'
  } catch (error) {
    // 25P01 no_active_sql_transaction: the caller's client is not in a transaction; open one.
    if ((error as { code?: string }).code !== '25P01') throw error
    await client.query('BEGIN')
    return 'transaction'
  }
}

/**
 * Whether the client is in a transaction, from the status of its last ReadyForQuery
 * (`client.getTransactionStatus()`, pg 8.21+); undefined when the driver does not say.
 */
export function transactionStatus(client: pg.ClientBase): 'idle' | 'transaction' | 'failed' | undefined {
  const status = (client as { getTransactionStatus?: () => string | null }).getTransactionStatus?.()
  return status === 'I' ? 'idle' : status === 'T' ? 'transaction' : status === 'E' ? 'failed' : undefined
}

/** Commits (`ok`) or rolls back what {@link openScope} opened. */
export async function closeScope(client: pg.ClientBase, scope: Scope, ok: boolean): Promise<void> {
  if (scope === 'transaction') await client.query(ok ? 'COMMIT' : 'ROLLBACK')
  else await client.query(ok ? 'RELEASE SAVEPOINT perf_scope' : 'ROLLBACK TO SAVEPOINT perf_scope')
}
