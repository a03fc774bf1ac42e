import { redisPing, requireService, tcpReachable } from '@perf/core/testing'
import { describe } from 'vitest'

export const REDIS_HOST = '127.0.0.1'
export const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379)
export const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Resolves true when something accepts TCP connections on host:port within timeoutMs. */
export const reachable = tcpReachable

/** Sends PING over a raw socket; true on +PONG. */
export const pingRedis = (port: number, host = REDIS_HOST, timeoutMs = 2_000): Promise<boolean> =>
  redisPing(port, host, timeoutMs)

/**
 * Checks a service (three attempts; see `requireService` in @perf/core/testing); when it is missing, warns loudly and returns false, or throws
 * when PERF_REQUIRE_SERVICES=1 so CI fails instead of silently skipping.
 */
export const need = (
  service: 'redis' | 'postgres' | 'redis-server binary',
  check: () => Promise<boolean>,
): Promise<boolean> => requireService(service, check, { scope: '[perf:redis tests]' })

/** Redis on 127.0.0.1:6379 (or REDIS_PORT). */
export const hasRedis = (): Promise<boolean> => need('redis', () => pingRedis(REDIS_PORT))

/** PostgreSQL on 127.0.0.1:5432. */
export const hasPostgres = (): Promise<boolean> => need('postgres', () => reachable('127.0.0.1', 5432))

/** `describe`, or a visibly skipped describe naming the reason. */
export function describeIf(ok: boolean, reason = 'service not available'): (name: string, fn: () => void) => void {
  return ok ? describe : (name, fn) => describe.skip(`${name} (skipped: ${reason})`, fn)
}
