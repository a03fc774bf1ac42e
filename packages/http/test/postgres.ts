import { postgresPing, requireService } from '@perf/core/testing'

/** The PostgreSQL the @perf/http suites query (trust auth here). */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'

/**
 * Whether PostgreSQL accepts a connection and answers a query; skips loudly without it (naming
 * `skipping`), fails under PERF_REQUIRE_SERVICES=1.
 */
export function postgresAvailable(scope: string, skipping: string, attempts?: number): Promise<boolean> {
  return requireService(`PostgreSQL at ${new URL(DATABASE_URL).host}`, () => postgresPing(DATABASE_URL, 5_000), {
    scope,
    skipping,
    attempts,
  })
}
