// Run with `pnpm --filter @perf/redis-quickstart start` (REDIS_URL, default redis://127.0.0.1:6379).
import { quickstart } from './quickstart.js'

await quickstart()
