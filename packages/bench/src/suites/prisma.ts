import type { Suite } from '../harness/suite.js'

/**
 * TODO(@perf/prisma, issue 5) — owned by the engineer building @perf/prisma. Replace this stub;
 * keep `name: 'prisma'` (its docs section is `<!-- bench:prisma:start -->`).
 *
 * What issue 5 asks for, side by side in one run:
 * - Cached `findUnique` L1 hit vs the same call uncached vs raw `pg` (the same SELECT through a pg.Pool).
 *   Target: L1 hit ≥ 100× faster than the uncached call.
 * - Extension overhead on uncached reads: `prisma.$extends(perf({ monitor }))` without a
 *   cacheStrategy vs plain Prisma. Target ≤ 5 % of the call.
 * - L2 (Redis) hit vs uncached.
 *
 * How to build it with the harness (see suites/breaker.ts for a small complete example):
 * - Add `@perf/prisma`, `@prisma/client`, `@prisma/adapter-pg` and `pg` to this package's
 *   dependencies (`pnpm --filter @perf/bench add ...`), and to `libraries` below.
 * - Use `process.env.DATABASE_URL` (PostgreSQL, database `test`, a schema of your own); when
 *   `await isReachable(url, 5432)` (harness/services.ts) is false, `ctx.skip('PostgreSQL not
 *   reachable at …')` and return, so the quick test still passes (the docs section is kept).
 * - Sizes: `ctx.size(full, quick)`; the quick run must stay within a few seconds.
 * - `ctx.compare(title, cases, { baseline: 'uncached findUnique', note })` with `run(n)` loops and
 *   `once()` for p50/p99; overhead = 1 − ops(extended) / ops(plain); judge it with
 *   `ctx.target('extension overhead on uncached reads', 'speed', overhead, '<=', 0.05, formatPct)`.
 */
const suite: Suite = {
  name: 'prisma',
  title: 'Prisma extension: cached vs uncached reads (issue 5)',
  libraries: ['@perf/core'],
  async run(ctx) {
    ctx.skip('not yet: waits for @perf/prisma')
  },
}

export default suite
