import type { AsyncLocalStorage } from 'node:async_hooks'
import { EventEmitter } from 'node:events'
import type { StatementContext, StatementRunner } from './statement.js'

type QueryFn = (this: unknown, ...args: unknown[]) => unknown

const PATCHED = Symbol.for('@perf/sequelize.patched')

interface PatchedConnection {
  query: QueryFn
  execute?: QueryFn
  [PATCHED]?: { originals: Record<string, QueryFn>; owner: object }
}

/** The driver families whose `query` we wrap. */
export type DriverKind = 'pg' | 'mariadb' | 'mysql2'

const METHODS: Record<DriverKind, readonly ('query' | 'execute')[]> = {
  pg: ['query'],
  mariadb: ['query'],
  mysql2: ['query', 'execute'],
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
export function patchConnection(connection: unknown, kind: DriverKind, route: Route): void {
  if (typeof connection !== 'object' || connection === null) return
  const conn = connection as PatchedConnection & Record<string, unknown>
  if (typeof conn.query !== 'function') return
  const existing = conn[PATCHED]
  if (existing?.owner === route) return
  // Instrumented again after an uninstrument: route through the new instrumentation.
  const originals = existing?.originals ?? {}
  for (const method of METHODS[kind]) {
    const original = originals[method] ?? (conn[method] as QueryFn | undefined)
    if (typeof original !== 'function') continue
    originals[method] = original
    conn[method] = wrap(original, kind, route, method)
  }
  Object.defineProperty(conn, PATCHED, {
    value: { originals, owner: route },
    writable: true,
    configurable: true,
    enumerable: false,
  })
}

/** The unwrapped driver method of a connection (a connection another caller leased to us). */
function originalOf(connection: object, method: 'query' | 'execute', fallback: QueryFn): QueryFn {
  const patched = (connection as PatchedConnection)[PATCHED]
  const own = (connection as Record<string, unknown>)[method]
  return patched?.originals[method] ?? (typeof own === 'function' ? (own as QueryFn) : fallback)
}

function wrap(original: QueryFn, kind: DriverKind, route: Route, method: 'query' | 'execute' = 'query'): QueryFn {
  if (kind === 'pg') {
    return function (this: unknown, ...args: unknown[]) {
      const ctx = route.active ? route.storage.getStore() : undefined
      const [text, second, third] = args
      const callback = typeof second === 'function' ? second : typeof third === 'function' ? third : undefined
      if (ctx === undefined || typeof text !== 'string' || callback === undefined || args.length > 3)
        return original.apply(this, args)
      const params = typeof second === 'function' ? undefined : (second as unknown[] | undefined)
      const exec = (on: object = this as object) =>
        new Promise<unknown>((resolve, reject) => {
          const done = (error: unknown, result: unknown) => (error ? reject(error) : resolve(result))
          const fn = on === this ? original : originalOf(on, method, original)
          if (params === undefined) fn.call(on, text, done)
          else fn.call(on, text, params, done)
        })
      route.runner.run(ctx, this as object, text, params, exec).then(
        (result) => (callback as (e: unknown, r?: unknown) => void)(null, result),
        (error: unknown) => (callback as (e: unknown) => void)(error),
      )
      return undefined
    }
  }
  if (kind === 'mysql2') {
    // Sequelize's mysql dialect: `execute(sql, values, cb)` or `query({ sql }, cb)`, then
    // `.setMaxListeners(100)` on what it returns (an emitter).
    return function (this: unknown, ...args: unknown[]) {
      const ctx = route.active ? route.storage.getStore() : undefined
      const callback = args[args.length - 1]
      const first = args[0]
      const sql = typeof first === 'string' ? first : (first as { sql?: unknown } | null)?.sql
      if (ctx === undefined || typeof sql !== 'string' || typeof callback !== 'function' || args.length > 3)
        return original.apply(this, args)
      const params = args.length === 3 && Array.isArray(args[1]) ? (args[1] as unknown[]) : undefined
      const head = args.slice(0, -1)
      const exec = (on: object = this as object) =>
        new Promise<unknown>((resolve, reject) => {
          const fn = on === this ? original : originalOf(on, method, original)
          fn.call(on, ...head, (error: unknown, result: unknown) => (error ? reject(error) : resolve(result)))
        })
      route.runner.run(ctx, this as object, sql, params, exec).then(
        (result) => (callback as (e: unknown, r?: unknown) => void)(null, result),
        (error: unknown) => (callback as (e: unknown) => void)(error),
      )
      return new EventEmitter()
    }
  }
  return function (this: unknown, ...args: unknown[]) {
    const ctx = route.active ? route.storage.getStore() : undefined
    const [sql, values] = args
    if (ctx === undefined || typeof sql !== 'string' || args.length > 2) return original.apply(this, args)
    const params = Array.isArray(values) ? values : values === undefined ? undefined : [values]
    const exec = (on: object = this as object) =>
      Promise.resolve((on === this ? original : originalOf(on, method, original)).apply(on, args))
    return route.runner.run(ctx, this as object, sql, params, exec)
  }
}
