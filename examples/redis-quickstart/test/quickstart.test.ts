import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { quickstart } from '../src/quickstart.js'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

async function reachable(): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2_000, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

const ok = await reachable()
if (!ok && process.env.PERF_REQUIRE_SERVICES === '1') throw new Error(`[redis-quickstart] Redis at ${url} is not available and PERF_REQUIRE_SERVICES=1`)
if (!ok) console.warn(`\n⚠️  [redis-quickstart] Redis at ${url} is not available: SKIPPING the quickstart test\n`)

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
