import { connect } from 'node:net'

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
