import { PerfError } from '../errors.js'

/**
 * Validates lock resource names and returns them in canonical order: sorted (code-unit order) and
 * de-duplicated. Every locker takes resources in this order, so two acquirers of overlapping sets
 * can never hold one resource each while waiting for the other's.
 *
 * @param resources one name or a list of names
 * @param component prefix for error messages, e.g. `'perf:lock'`
 * @throws PerfError INVALID_ARGUMENT when the list is empty or a name is not a non-empty string
 * @example
 * canonicalResources(['b', 'a', 'b']) // ['a', 'b']
 */
export function canonicalResources(resources: string | readonly string[], component = 'perf:lock'): string[] {
  const list: readonly unknown[] = typeof resources === 'string' ? [resources] : resources
  if (!Array.isArray(list) || list.length === 0) {
    throw new PerfError(
      'INVALID_ARGUMENT',
      `[${component}] resources must be a non-empty string or a non-empty array of strings`,
      {
        context: { argument: 'resources', value: resources },
      },
    )
  }
  for (const name of list) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new PerfError(
        'INVALID_ARGUMENT',
        `[${component}] every resource must be a non-empty string, got ${JSON.stringify(name)}`,
        {
          context: { argument: 'resources', value: name },
        },
      )
    }
  }
  // Default sort compares UTF-16 code units: deterministic and locale-independent across processes.
  return [...new Set(list as readonly string[])].sort()
}
