import { createCache, createMonitor, type Cache, type Clock, type Monitor } from '@perf/core'
import { perf, prismaCodec, type PerfOptions } from '../../src/index.js'
import type { PrismaClient } from '../generated/client.js'
import type { TestDatabase } from './database.js'

/** A clock the test moves by hand. */
export function manualClock(start = Date.UTC(2025, 0, 1)): Clock & { advance(ms: number): void } {
  let now = start
  return { now: () => now, advance: (ms) => void (now += ms) }
}

/** A fresh plain client, its pool, and the same client wrapped by perf(). */
export function wrap(db: TestDatabase, options: PerfOptions & { clock?: Clock } = {}) {
  const { prisma, pool } = db.createClient()
  const cache: Cache = options.cache ?? createCache({ codec: prismaCodec(), clock: options.clock })
  const monitor: Monitor = options.monitor ?? createMonitor({ eventLoopDelay: false })
  const { clock: _clock, ...rest } = options
  const xdb = prisma.$extends(perf({ ...rest, cache, monitor, pool }))
  /** Statements the pool has run so far. */
  const statements = () => xdb.$perf.stats().pool?.statements ?? 0
  return { prisma: prisma as PrismaClient, pool, cache, monitor, db: xdb, statements }
}
