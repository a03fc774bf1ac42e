import { PerfError } from '@perf/core'

/** The most bind parameters one PostgreSQL statement can carry (the protocol counts them in 16 bits). */
export const PG_MAX_PARAMETERS = 65_535

/**
 * How many rows of `parametersPerRow` fit in one statement under `maxParameters`.
 *
 * @example
 * maxRowsPerStatement(7) // 9362: a multi-row INSERT … VALUES of 7 columns
 * @throws PerfError INVALID_ARGUMENT when `parametersPerRow` is not an integer in [1, maxParameters]
 */
export function maxRowsPerStatement(parametersPerRow: number, maxParameters = PG_MAX_PARAMETERS): number {
  if (!Number.isInteger(maxParameters) || maxParameters < 1 || maxParameters > PG_MAX_PARAMETERS) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:pg] maxParameters must be an integer in [1, ${PG_MAX_PARAMETERS}], got ${maxParameters}`,
      {
        context: { argument: 'maxParameters', value: maxParameters },
      },
    )
  }
  if (!Number.isInteger(parametersPerRow) || parametersPerRow < 1 || parametersPerRow > maxParameters) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[perf:pg] a row of ${parametersPerRow} parameters cannot fit in a statement of at most ${maxParameters}`,
      { context: { argument: 'parametersPerRow', value: parametersPerRow, maxParameters } },
    )
  }
  return Math.floor(maxParameters / parametersPerRow)
}

/**
 * Splits rows into chunks that each fit one multi-row statement: at most `maxRows` rows (if
 * given) and at most `maxParameters` bind parameters. Works on arrays and (async) iterables alike
 * and holds one chunk at a time.
 *
 * @example
 * for await (const chunk of parameterChunks(users, 3)) await insertValues(chunk) // ≤ 21,845 rows each
 */
export async function* parameterChunks<T>(
  rows: Iterable<T> | AsyncIterable<T>,
  parametersPerRow: number,
  options: { maxParameters?: number; maxRows?: number } = {},
): AsyncGenerator<T[]> {
  let size = maxRowsPerStatement(parametersPerRow, options.maxParameters ?? PG_MAX_PARAMETERS)
  if (options.maxRows !== undefined) size = Math.min(size, Math.max(1, Math.floor(options.maxRows)))
  let chunk: T[] = []
  for await (const row of rows) {
    chunk.push(row)
    if (chunk.length >= size) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}
