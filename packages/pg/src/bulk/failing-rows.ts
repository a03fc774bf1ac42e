import type pg from 'pg'

/** At most this many failing rows are named, and at most this many probe statements run. */
const MAX_FAILED_ROWS = 10
const MAX_PROBES = 200

/**
 * Finds which rows of a refused chunk fail on their own: the chunk is bisected, each half run in
 * a savepoint that is always rolled back, inside a transaction (or the caller's savepoint) that
 * is rolled back too, so nothing a probe writes survives. `run(lo, hi)` runs the statement for
 * slots `[lo, hi)`. Returns slot numbers (ascending); empty when the rows fail only together or
 * the connection cannot run probes (the caller's transaction is already aborted).
 */
export async function findFailingSlots(
  client: pg.ClientBase,
  size: number,
  run: (lo: number, hi: number) => Promise<unknown>,
): Promise<number[]> {
  const found: number[] = []
  let probes = 0
  let inTransaction = false
  try {
    await client.query('SAVEPOINT perf_probe_scope')
    inTransaction = true
  } catch (error) {
    // 25P01 no_active_sql_transaction: open one; anything else (an aborted transaction): give up.
    if ((error as { code?: string }).code !== '25P01') return []
    await client.query('BEGIN')
  }
  const passes = async (lo: number, hi: number): Promise<boolean> => {
    probes++
    await client.query('SAVEPOINT perf_probe')
    try {
      await run(lo, hi)
      return true
    } catch {
      return false
    } finally {
      await client.query('ROLLBACK TO SAVEPOINT perf_probe')
    }
  }
  const bisect = async (lo: number, hi: number, knownFailing: boolean): Promise<void> => {
    if (found.length >= MAX_FAILED_ROWS || probes >= MAX_PROBES) return
    if (!knownFailing && (await passes(lo, hi))) return
    if (hi - lo === 1) {
      found.push(lo)
      return
    }
    const mid = (lo + hi) >>> 1
    await bisect(lo, mid, false)
    await bisect(mid, hi, false)
  }
  try {
    await bisect(0, size, true)
  } finally {
    await client.query(inTransaction ? 'ROLLBACK TO SAVEPOINT perf_probe_scope' : 'ROLLBACK')
  }
  return found
}
