import diagnosticsChannel from 'node:diagnostics_channel'
import { createMonitor, type QueryEvent } from '@perf/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as pg from '@perf/pg'
import { instrumentPgPool, pgPoolInstrumentation, pgPoolProbe } from '../src/index.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from './setup/database.js'
import { wrap } from './setup/harness.js'
import { seedBlog } from './setup/seed.js'

const available = await postgresAvailable()
const ttl = { ttl: 60 }

/** Collects every event published on `perf:query` while a test runs. */
function captureEvents(): { events: QueryEvent[]; stop(): void } {
  const events: QueryEvent[] = []
  const listener = (message: unknown) => void events.push(message as QueryEvent)
  diagnosticsChannel.subscribe('perf:query', listener)
  return { events, stop: () => diagnosticsChannel.unsubscribe('perf:query', listener) }
}

describe.skipIf(!available)('perf() monitoring', () => {
  let tdb: TestDatabase
  let ids: Awaited<ReturnType<typeof seedBlog>>
  let capture: ReturnType<typeof captureEvents> | undefined
  beforeAll(async () => {
    tdb = await createTestDatabase()
    ids = await seedBlog(tdb.createClient().prisma)
  })
  afterEach(() => capture?.stop())
  afterAll(async () => tdb?.drop())

  it('records one QueryEvent per operation with model, operation, duration, cache status and SQL', async () => {
    const w = wrap(tdb)
    capture = captureEvents()
    await w.db.post.findMany({ where: { authorId: ids.alice.id }, cacheStrategy: ttl })
    await w.db.post.findMany({ where: { authorId: ids.alice.id }, cacheStrategy: ttl })
    await w.db.tag.count()
    await w.db.comment.create({ data: { body: 'hi', postId: ids.first.id, authorId: ids.alice.id } })
    const prisma = capture.events.filter((e) => e.source === 'prisma')
    expect(prisma.map((e) => [e.model, e.operation, e.cache])).toEqual([
      ['Post', 'findMany', 'miss'],
      ['Post', 'findMany', 'hit'],
      ['Tag', 'count', undefined],
      ['Comment', 'create', undefined],
    ])
    for (const event of prisma) {
      expect(event.durationMs).toBeGreaterThanOrEqual(0)
      expect(event.sql).toMatch(/SELECT|INSERT/)
    }
    expect(prisma[0]?.rows).toBe(2)
    // The hit carries the SQL of the miss that filled it, so both share one fingerprint.
    expect(prisma[1]?.sql).toBe(prisma[0]?.sql)
    const fingerprint = w.monitor.fingerprints().find((f) => f.model === 'Post' && f.operation === 'findMany')
    expect(fingerprint?.calls).toBe(2)
    expect(fingerprint?.fingerprint).toMatch(/^SELECT/)
    expect(capture.events.filter((e) => e.source === 'pg')).toEqual([])
  })

  it('detects N+1 inside monitor.scope(), with or without cache hits', async () => {
    const w = wrap(tdb)
    const posts = await w.db.post.findMany()
    const reports = await w.monitor.scope(
      async () => {
        for (let round = 0; round < 3; round++) {
          for (const post of posts) await w.db.comment.count({ where: { postId: post.id }, cacheStrategy: ttl })
        }
        return w.monitor.currentScope()?.queries
      },
      { name: 'GET /posts', threshold: 5 },
    )
    expect(reports).toBe(6)
    const [finding] = w.monitor.nPlusOne()
    expect(finding).toMatchObject({ scope: 'GET /posts', model: 'Comment', operation: 'count', count: 6, threshold: 5 })
  })

  it('re-exports pgPoolProbe() and instrumentPgPool() from @perf/pg (tested there)', () => {
    expect(pgPoolProbe).toBe(pg.pgPoolProbe)
    expect(instrumentPgPool).toBe(pg.instrumentPgPool)
    expect(pgPoolInstrumentation).toBe(pg.pgPoolInstrumentation)
  })

  it('$perf.stats() and $perf.health() report the cache, the operations and the pool', async () => {
    const w = wrap(tdb)
    await w.db.tag.findMany({ cacheStrategy: ttl })
    await w.db.tag.findMany({ cacheStrategy: ttl })
    await w.db.tag.update({ where: { id: ids.tech.id }, data: { name: 'tech' } })
    const stats = w.db.$perf.stats()
    expect(stats.operations).toMatchObject({ reads: 2, cacheHits: 1, cacheMisses: 1, writes: 1, invalidations: 1 })
    expect(stats.cache.hitRatio).toBe(0.5)
    expect(stats.pool?.statements).toBeGreaterThanOrEqual(2)
    const health = w.db.$perf.health()
    expect(health.score).toBeGreaterThanOrEqual(0)
    expect(health.score).toBeLessThanOrEqual(100)
    expect(health.metrics.pools.map((p) => p.name)).toEqual(['pg'])
  })
})
