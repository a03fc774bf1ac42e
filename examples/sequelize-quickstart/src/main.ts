// Run with `pnpm --filter @perf/sequelize-quickstart start` (DATABASE_URL, default
// postgresql://postgres@127.0.0.1:5432/test; REDIS_URL adds the Redis tier).
import { requireService, tcpReachable } from '@perf/core/testing'
import { quickstart } from './quickstart.js'

const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const { hostname, port } = new URL(databaseUrl)
// Without PostgreSQL the smoke run skips loudly (exit 0); PERF_REQUIRE_SERVICES=1 makes it fail.
const reachable = await requireService(
  `PostgreSQL at ${hostname}:${port || 5432}`,
  () => tcpReachable(hostname, Number(port || 5432)),
  { scope: '[sequelize-quickstart]', skipping: 'the quickstart', attempts: 1 },
).catch((error: unknown) => {
  console.error((error as Error).message)
  process.exit(1)
})
if (reachable) {
  const report = await quickstart({ databaseUrl, redisUrl: process.env.REDIS_URL })
  if (!report.ok) process.exitCode = 1
}
