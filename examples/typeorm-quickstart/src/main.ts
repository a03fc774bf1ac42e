// Run with `pnpm --filter @perf/typeorm-quickstart start` (DATABASE_URL, default
// postgresql://postgres@127.0.0.1:5432/test; REDIS_URL adds the Redis tier).
import { quickstart } from './quickstart.js'

const report = await quickstart({
  databaseUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test',
  redisUrl: process.env.REDIS_URL,
})
if (!report.ok) process.exitCode = 1
