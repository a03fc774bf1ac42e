import { requireService, tcpReachable } from '@perf/core/testing'
import { describe, expect, it } from 'vitest'
import { quickstart } from '../src/quickstart.js'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const { hostname, port } = new URL(url)

const ok = await requireService(`Redis at ${url}`, () => tcpReachable(hostname, Number(port || 6379)), {
  scope: '[redis-quickstart]',
  skipping: 'the quickstart test',
  attempts: 1,
})

describe.skipIf(!ok)('examples/redis-quickstart', () => {
  it('runs every step against a real Redis and each step shows what it says', async () => {
    const lines: string[] = []
    const report = await quickstart(url, (line) => lines.push(line))
    expect(lines).toHaveLength(6)
    expect(report.loads).toBe(1)
    expect(report.secondInstanceTier).toBe('redis')
    expect(report.seenAfterSet).toBe('Grace')
    expect(report.propagationMs).toBeLessThan(2_000)
    expect(report.reloadedAfterInvalidate).toBe('Ada (reloaded)')
    expect(report.fences[1]).toBeGreaterThan(report.fences[0])
    expect(report.allowed).toEqual([true, true, true, false])
    expect(report.retryAfterMs).toBeGreaterThan(0)
    expect(report.retryAfterMs).toBeLessThanOrEqual(334)
    expect(report.leaderTerm).toBeGreaterThanOrEqual(1)
  })
})
