import net from 'node:net'
import { describe } from 'vitest'

/** Set PERF_REQUIRE_SERVICES=1 (CI) to turn a missing service into a failure instead of a skip. */
export const REQUIRE_SERVICES = process.env.PERF_REQUIRE_SERVICES === '1'
export const REDIS_HOST = '127.0.0.1'
export const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379)
export const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Resolves true when something accepts TCP connections on host:port within timeoutMs. */
export function reachable(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** Sends PING over a raw socket; true on +PONG. */
export function pingRedis(port: number, host = REDIS_HOST, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    let reply = ''
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

/**
 * Checks a service; when it is missing, warns loudly and returns false, or throws when
 * PERF_REQUIRE_SERVICES=1 so CI fails instead of silently skipping.
 */
export async function need(service: 'redis' | 'postgres' | 'redis-server binary', check: () => Promise<boolean>): Promise<boolean> {
  // A busy machine can be slow to answer once; only a service that stays silent counts as missing.
  for (let attempt = 0; attempt < 3; attempt++) if (await check()) return true
  const message = `[perf:redis tests] ${service} is not available`
  if (REQUIRE_SERVICES) throw new Error(`${message} and PERF_REQUIRE_SERVICES=1`)
  console.warn(`\n⚠️  ${message}: SKIPPING these tests (set PERF_REQUIRE_SERVICES=1 to fail instead)\n`)
  return false
}

/** Redis on 127.0.0.1:6379 (or REDIS_PORT). */
export const hasRedis = (): Promise<boolean> => need('redis', () => pingRedis(REDIS_PORT))

/** PostgreSQL on 127.0.0.1:5432. */
export const hasPostgres = (): Promise<boolean> => need('postgres', () => reachable('127.0.0.1', 5432))

/** `describe`, or a visibly skipped describe naming the reason. */
export function describeIf(ok: boolean, reason = 'service not available'): (name: string, fn: () => void) => void {
  return ok ? describe : (name, fn) => describe.skip(`${name} (skipped: ${reason})`, fn)
}
