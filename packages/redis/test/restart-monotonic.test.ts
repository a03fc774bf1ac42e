import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { redisLeaderElection, redlockLocker, type RedisLeaderElection } from '../src/index.js'
import { RedisServer, hasRedisServerBinary } from './redis-server.js'
import { describeIf, need } from './services.js'

const ok = await need('redis-server binary', async () => hasRedisServerBinary())

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

function expectStrictlyIncreasing(values: readonly number[]): void {
  for (let i = 1; i < values.length; i++)
    expect(values[i], `value ${i} of ${values.join(', ')}`).toBeGreaterThan(values[i - 1] as number)
  expect(values.every((v) => Number.isSafeInteger(v))).toBe(true)
}

describeIf(ok, 'redis-server binary missing')(
  'terms and fences across a Redis restart without persistence (own redis-server)',
  () => {
    let server: RedisServer
    const clients: Redis[] = []
    const client = (): Redis => {
      const c = new Redis({ port: server.port })
      c.on('error', () => undefined)
      clients.push(c)
      return c
    }
    const restart = async (): Promise<void> => {
      await server.restart()
      await until(() => clients.every((c) => c.status === 'ready' || c.status === 'end'))
    }
    beforeAll(async () => {
      server = await RedisServer.start()
    })
    afterAll(async () => {
      clients.forEach((c) => c.disconnect())
      await server?.stop()
    })

    /** @see issue 9: terms went 1, 2, 3, 4, 1 after a restart. */
    it('redisLeaderElection terms stay strictly increasing across a restart', async () => {
      const name = `e-${randomUUID()}`
      const redis = client()
      const terms: number[] = []
      const elect = async (): Promise<void> => {
        const election = redisLeaderElection(redis, { name, leaseMs: 500 })
        await election.start()
        expect(election.isLeader).toBe(true)
        terms.push(election.term as number)
        await election.close()
      }
      for (let i = 0; i < 3; i++) await elect()
      await restart()
      for (let i = 0; i < 3; i++) await elect()
      expect(terms).toHaveLength(6)
      expectStrictlyIncreasing(terms)
    })

    /** @see issue 9: the fence counter restarted at 1 after a restart. */
    it('redlockLocker fences stay strictly increasing across a restart, single and multi-resource', async () => {
      const locker = redlockLocker(client())
      const fences: number[] = []
      const round = async (): Promise<void> => {
        for (const resources of [`r-${randomUUID()}`, [`a-${randomUUID()}`, `b-${randomUUID()}`]]) {
          const lock = await locker.acquire(resources, 2_000)
          fences.push(lock.fence)
          await lock.release()
        }
      }
      await round()
      await round()
      await restart()
      await round()
      await round()
      expect(fences).toHaveLength(8)
      expectStrictlyIncreasing(fences)
      await locker.close()
    })

    /** @see issue 9: after a restart two leaders held term 1 together for 466 ms. */
    it('a restart while a leader holds office never leaves two instances leading with the same term', async () => {
      const name = `e-${randomUUID()}`
      const leaseMs = 2_000
      // The leader renews rarely and the follower retries often: the follower is elected on the
      // restarted server well before the old leader's next renewal finds out.
      const a = redisLeaderElection(client(), { name, leaseMs, renewEveryMs: 900 })
      const b = redisLeaderElection(client(), { name, leaseMs, retryEveryMs: 20 })
      const deposed: { who: string; term: number; reason: string; at: number }[] = []
      const elected: number[] = []
      for (const [who, e] of [
        ['a', a],
        ['b', b],
      ] as [string, RedisLeaderElection][]) {
        e.on('deposed', ({ term, reason }) => deposed.push({ who, term, reason, at: Date.now() }))
        e.on('elected', ({ term }) => elected.push(term))
      }
      await a.start()
      await b.start()
      const first = a.term as number
      expect(b.isLeader).toBe(false)
      // Both may believe they lead until the old leader's renewal reaches the new server; never with one term.
      let sameTerm = 0
      const sampler = setInterval(() => {
        if (a.isLeader && b.isLeader && a.term === b.term) sameTerm++
      }, 1)
      const restartedAt = Date.now()
      await restart()
      // Someone leads again under a higher term, and the old leader found out its lease was gone.
      await until(
        () => (a.isLeader || b.isLeader) && deposed.some((d) => d.who === 'a' && d.term === first),
        leaseMs + 3_000,
      )
      clearInterval(sampler)
      expect(sameTerm).toBe(0)
      const old = deposed.find((d) => d.who === 'a' && d.term === first)
      expect(old?.reason).toBe('lost')
      // Never past its own lease: leaseMs after its last renewal, which began before the restart.
      expect((old?.at as number) - restartedAt).toBeLessThan(leaseMs + 250)
      expectStrictlyIncreasing(elected)
      const current = (a.isLeader ? a.term : b.term) as number
      expect(current).toBeGreaterThan(first)
      await a.close()
      await b.close()
    }, 15_000)
  },
)
