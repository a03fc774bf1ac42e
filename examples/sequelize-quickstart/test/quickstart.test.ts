import { requireService, tcpReachable } from '@perf/core/testing'
import { describe, expect, it } from 'vitest'
import { quickstart } from '../src/quickstart.js'

const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const pgAt = new URL(databaseUrl)
const redisAt = new URL(redisUrl)

const hasPostgres = await requireService(
  `PostgreSQL at ${pgAt.host}`,
  () => tcpReachable(pgAt.hostname, Number(pgAt.port || 5432)),
  { scope: '[sequelize-quickstart]', skipping: 'the quickstart test', attempts: 1 },
)
const hasRedis = await requireService(
  `Redis at ${redisUrl}`,
  () => tcpReachable(redisAt.hostname, Number(redisAt.port || 6379)),
  { scope: '[sequelize-quickstart]', skipping: 'the Redis tier of the quickstart test', attempts: 1 },
)

describe.skipIf(!hasPostgres)('examples/sequelize-quickstart', () => {
  const tiers: Array<[string, string | undefined]> = [['memory', undefined]]
  if (hasRedis) tiers.push(['memory + redis', redisUrl])
  it.each(tiers)('runs every step on PostgreSQL (%s) and each step shows what it says', async (_tiers, redis) => {
    const lines: string[] = []
    const report = await quickstart({ databaseUrl, redisUrl: redis, log: (line) => lines.push(line) })
    expect(report.tiers).toEqual(redis ? ['memory', 'redis'] : ['memory'])
    expect(report.firstFindStatements).toBe(1)
    expect(report.secondFindStatements).toBe(0)
    expect(report.instancesKept).toBe(true)
    expect(report.typesKept).toBe(true)
    expect(report.afterWriteStatements).toBe(1)
    expect(report.nameAfterWrite).toBe('Ada Lovelace')
    expect(report.afterRollbackStatements).toBe(0)
    expect(report.priceAfterRollback).toBe('19.99')
    expect(report.afterCommitStatements).toBe(1)
    expect(report.priceAfterCommit).toBe('24.99')
    // update(), the committed transaction's UPDATE, and the seeding writes.
    expect(report.invalidations).toBeGreaterThanOrEqual(2)
    expect(report.nPlusOne).toMatchObject({ scope: 'GET /authors' })
    expect(report.nPlusOne?.count).toBeGreaterThanOrEqual(5)
    expect(report.hitRatio).toBeGreaterThan(0)
    expect(report.ok).toBe(true)
    expect(lines.at(-1)).toBe('quickstart: OK')
  })
})
