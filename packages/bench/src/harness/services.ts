import { connect } from 'node:net'
import type { SuiteContext } from './suite.js'

/**
 * Whether a TCP service answers at `url` (`redis://127.0.0.1:6379`, `postgres://…:5432/db`)
 * within `timeoutMs`. Suites that need Redis or PostgreSQL call it first and `ctx.skip(...)` when
 * it is down, so the quick run in `pnpm test` passes on machines without the service.
 */
export function isReachable(url: string, defaultPort: number, timeoutMs = 500): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || defaultPort) })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** True when PostgreSQL at `url` answers; otherwise skips the suite, saying so (credentials left out). */
export async function postgresOrSkip(ctx: SuiteContext, url: string): Promise<boolean> {
  if (await isReachable(url, 5432)) return true
  ctx.skip(`PostgreSQL not reachable at ${url.replace(/\/\/[^@]*@/, '//')} (set DATABASE_URL)`)
  return false
}

/** The module `load` imports, or undefined after skipping the suite (a package not built yet). */
export async function loadOrSkip<T>(ctx: SuiteContext, name: string, load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load()
  } catch (error) {
    ctx.skip(`${name} cannot be loaded (run \`pnpm build\` first): ${(error as Error).message}`)
    return undefined
  }
}
