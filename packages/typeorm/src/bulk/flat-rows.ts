/** Entity rows turned into field-keyed objects, with the first one already read. */
export interface FlatRows {
  /** The first row, flattened; undefined for an empty source. */
  first: Record<string, unknown> | undefined
  /** Every row, the first included, flattened as it is read: synchronous when the source was. */
  rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>
}

/**
 * Reads the first row of `source` (its properties decide the written fields) and maps the rest
 * lazily, so a streamed source stays streamed and an array is not copied.
 */
export async function flatRows(
  source: Iterable<unknown> | AsyncIterable<unknown>,
  flatten: (row: unknown, index: number) => Record<string, unknown>,
): Promise<FlatRows> {
  if (Symbol.asyncIterator in source) {
    const it = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    const step = await it.next()
    if (step.done) return { first: undefined, rows: [] }
    let first: Record<string, unknown>
    try {
      first = flatten(step.value, 0)
    } catch (error) {
      await it.return?.()
      throw error
    }
    return {
      first,
      rows: {
        async *[Symbol.asyncIterator]() {
          let done = false
          try {
            yield first
            let index = 1
            for (let s = await it.next(); !s.done; s = await it.next()) yield flatten(s.value, index++)
            done = true
          } finally {
            // The write stopped early (an error, an abort): let the source close its stream.
            if (!done) await it.return?.()
          }
        },
      },
    }
  }
  const it = (source as Iterable<unknown>)[Symbol.iterator]()
  const step = it.next()
  if (step.done) return { first: undefined, rows: [] }
  let first: Record<string, unknown>
  try {
    first = flatten(step.value, 0)
  } catch (error) {
    it.return?.()
    throw error
  }
  return {
    first,
    rows: {
      *[Symbol.iterator]() {
        let done = false
        try {
          yield first
          let index = 1
          for (let s = it.next(); !s.done; s = it.next()) yield flatten(s.value, index++)
          done = true
        } finally {
          if (!done) it.return?.()
        }
      },
    },
  }
}
