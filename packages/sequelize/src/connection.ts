import type { AsyncLocalStorage } from 'node:async_hooks'
import type { StatementContext, StatementRunner } from './statement.js'

type QueryFn = (this: unknown, ...args: unknown[]) => unknown

const PATCHED = Symbol.for('@perf/sequelize.patched')

interface PatchedConnection {
  query: QueryFn
  [PATCHED]?: { original: QueryFn; owner: object }
}

/** Where the statements of a connection are routed: the live instrumentation of its Sequelize instance. */
export interface Route {
  readonly active: boolean
  readonly storage: AsyncLocalStorage<StatementContext>
  readonly runner: StatementRunner
}

/**
 * Wraps a connection's `query` once, so statements that a dialect Query runs under a
 * {@link StatementContext} go through the runner; anything else (connection setup, statements of
 * another instrumentation, after uninstrument) passes straight through.
 *
 * `pg` takes `(text, values?, callback)`; `mariadb` takes `(sql, values?)` and returns a promise.
 */
export function patchConnection(connection: unknown, kind: 'pg' | 'mariadb', route: Route): void {
  if (typeof connection !== 'object' || connection === null) return
  const conn = connection as PatchedConnection
  if (typeof conn.query !== 'function') return
  const existing = conn[PATCHED]
  if (existing !== undefined) {
    if (existing.owner === route) return
    // Instrumented again (after an uninstrument): route through the new instrumentation.
    conn.query = wrap(existing.original, kind, route)
    conn[PATCHED] = { original: existing.original, owner: route }
    return
  }
  const original = conn.query
  conn.query = wrap(original, kind, route)
  Object.defineProperty(conn, PATCHED, {
    value: { original, owner: route },
    writable: true,
    configurable: true,
    enumerable: false,
  })
}

function wrap(original: QueryFn, kind: 'pg' | 'mariadb', route: Route): QueryFn {
  if (kind === 'pg') {
    return function (this: unknown, ...args: unknown[]) {
      const ctx = route.active ? route.storage.getStore() : undefined
      const [text, second, third] = args
      const callback = typeof second === 'function' ? second : typeof third === 'function' ? third : undefined
      if (ctx === undefined || typeof text !== 'string' || callback === undefined || args.length > 3)
        return original.apply(this, args)
      const params = typeof second === 'function' ? undefined : (second as unknown[] | undefined)
      const exec = () =>
        new Promise<unknown>((resolve, reject) => {
          const done = (error: unknown, result: unknown) => (error ? reject(error) : resolve(result))
          if (params === undefined) original.call(this, text, done)
          else original.call(this, text, params, done)
        })
      route.runner.run(ctx, this as object, text, params, exec).then(
        (result) => (callback as (e: unknown, r?: unknown) => void)(null, result),
        (error: unknown) => (callback as (e: unknown) => void)(error),
      )
      return undefined
    }
  }
  return function (this: unknown, ...args: unknown[]) {
    const ctx = route.active ? route.storage.getStore() : undefined
    const [sql, values] = args
    if (ctx === undefined || typeof sql !== 'string' || args.length > 2) return original.apply(this, args)
    const params = Array.isArray(values) ? values : values === undefined ? undefined : [values]
    return route.runner.run(ctx, this as object, sql, params, () => Promise.resolve(original.apply(this, args)))
  }
}
