import type { Suite } from '../harness/suite.js'

/** Every suite, in the order `bench` runs them and docs/benchmarks.md lists them. */
const LOADERS = {
  cache: () => import('./cache/index.js'),
  batch: () => import('./batch.js'),
  histogram: () => import('./histogram.js'),
  breaker: () => import('./breaker.js'),
  lock: () => import('./lock.js'),
  monitor: () => import('./monitor.js'),
  redis: () => import('./redis.js'),
  prisma: () => import('./prisma.js'),
  typeorm: () => import('./typeorm.js'),
  sequelize: () => import('./sequelize.js'),
  pg: () => import('./pg.js'),
  'prisma-bulk': () => import('./prisma-bulk.js'),
  'typeorm-bulk': () => import('./typeorm-bulk.js'),
  'sequelize-bulk': () => import('./sequelize-bulk.js'),
  otel: () => import('./otel.js'),
} satisfies Record<string, () => Promise<{ default: Suite }>>

export type SuiteName = keyof typeof LOADERS
export const SUITE_NAMES = Object.keys(LOADERS) as SuiteName[]

/** Loads one suite module (only the one a child process runs). */
export async function loadSuite(name: string): Promise<Suite> {
  const load = LOADERS[name as SuiteName]
  if (!load) throw new Error(`[bench] unknown suite "${name}"`)
  return (await load()).default
}
