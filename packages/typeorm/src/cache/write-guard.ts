import { PerfError } from '@perf/core'

interface ManagerLike {
  [method: string]: unknown
}

/** Writes whose options object could carry a `cache` option by mistake, and where that object sits. */
const WRITES = ['save', 'remove', 'softRemove', 'recover', 'upsert'] as const

/** Like TypeORM's own check in save()/remove(): is the first argument an entity target rather than an entity? */
function isTarget(value: unknown): boolean {
  if (typeof value === 'function' || typeof value === 'string') return true
  return typeof value === 'object' && value !== null && value.constructor?.name === 'EntitySchema'
}

function optionsOf(method: (typeof WRITES)[number], args: unknown[]): unknown {
  if (method === 'upsert') return args[2]
  return args.length > 1 && isTarget(args[0]) ? args[2] : args[1]
}

/**
 * Makes `manager`'s saves, removes and upserts reject with INVALID_CACHE_STRATEGY when their
 * options carry `cache` (a write is never cached; the option would be silently ignored).
 * Returns a function that undoes it.
 */
export function guardWrites(manager: ManagerLike): () => void {
  const restores: (() => void)[] = []
  for (const method of WRITES) {
    const original = manager[method] as ((...args: unknown[]) => Promise<unknown>) | undefined
    if (typeof original !== 'function') continue
    const hadOwn = Object.prototype.hasOwnProperty.call(manager, method)
    const guarded = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      const options = optionsOf(method, args)
      if (typeof options === 'object' && options !== null && !Array.isArray(options) && 'cache' in options) {
        return Promise.reject(
          new PerfError(
            'INVALID_CACHE_STRATEGY',
            `[perf:typeorm] ${method}(): a write takes no cache option (writes are never cached; they invalidate)`,
            { context: { operation: method, option: 'cache' } },
          ),
        )
      }
      return original.apply(this, args)
    }
    manager[method] = guarded
    restores.push(() => {
      if (manager[method] !== guarded) return
      if (hadOwn) manager[method] = original
      else delete manager[method]
    })
  }
  return () => {
    for (const restore of restores.splice(0)) restore()
  }
}
