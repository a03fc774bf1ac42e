import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, expect, it } from 'vitest'
import { redisLeaderElection, type RedisLeaderElection } from '../src/index.js'
import { REDIS_PORT, describeIf, hasRedis } from './services.js'

const ok = await hasRedis()

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

type Log = { at: number; who: string; event: string; term: number; reason?: string }[]

function watch(election: RedisLeaderElection, who: string, log: Log): void {
  election.on('elected', ({ term }) => log.push({ at: Date.now(), who, event: 'elected', term }))
  election.on('deposed', ({ term, reason }) => log.push({ at: Date.now(), who, event: 'deposed', term, reason }))
}

describeIf(ok, 'Redis not available')('redisLeaderElection', () => {
  const clients: Redis[] = []
  const client = (): Redis => {
    const c = new Redis({ port: REDIS_PORT })
    c.on('error', () => undefined)
    clients.push(c)
    return c
  }
  const names: string[] = []
  const electionName = (): string => {
    const name = `e-${randomUUID()}`
    names.push(name)
    return name
  }
  afterAll(async () => {
    // Terms never expire by design (they must only grow); tests remove their own.
    const cleanup = new Redis({ port: REDIS_PORT })
    for (const name of names) await cleanup.del(`perf:leader:{${name}}`, `perf:leader:{${name}}:term`)
    cleanup.disconnect()
    clients.forEach((c) => c.disconnect())
  })

  it('start() elects exactly one of several candidates and reports its term', async () => {
    const name = electionName()
    const log: Log = []
    const candidates = Array.from({ length: 4 }, (_, i) => {
      const e = redisLeaderElection(client(), { name, leaseMs: 500 })
      watch(e, `c${i}`, log)
      return e
    })
    await Promise.all(candidates.map((c) => c.start()))
    expect(candidates.filter((c) => c.isLeader)).toHaveLength(1)
    const leader = candidates.find((c) => c.isLeader)!
    expect(leader.term).toBeGreaterThanOrEqual(1)
    expect(log).toEqual([expect.objectContaining({ event: 'elected', term: leader.term })])
    expect(candidates.filter((c) => !c.isLeader).every((c) => c.term === undefined)).toBe(true)
    await Promise.all(candidates.map((c) => c.close()))
  })

  it('resign() hands leadership over with a higher term, and the leader keeps its lease by renewing', async () => {
    const name = electionName()
    const log: Log = []
    const a = redisLeaderElection(client(), { name, leaseMs: 300 })
    const b = redisLeaderElection(client(), { name, leaseMs: 300 })
    watch(a, 'a', log)
    watch(b, 'b', log)
    await a.start()
    await b.start()
    expect(a.isLeader).toBe(true)
    const first = a.term!
    await new Promise((r) => setTimeout(r, 700)) // more than two leases: renewals keep it
    expect(a.isLeader).toBe(true)
    expect(b.isLeader).toBe(false)
    await a.resign()
    expect(a.isLeader).toBe(false)
    await until(() => b.isLeader)
    expect(b.term).toBeGreaterThan(first)
    expect(log.map((e) => `${e.who}:${e.event}${e.reason ? `:${e.reason}` : ''}`)).toEqual([
      'a:elected',
      'a:deposed:resigned',
      'b:elected',
    ])
    await b.close()
    expect(log.at(-1)).toEqual(expect.objectContaining({ who: 'b', event: 'deposed', reason: 'closed' }))
    await a.close()
  })

  it('deposes with reason "lost" when the lease is taken away, and the next leader gets a higher term', async () => {
    const name = electionName()
    const log: Log = []
    const redis = client()
    const a = redisLeaderElection(redis, { name, leaseMs: 300 })
    const b = redisLeaderElection(client(), { name, leaseMs: 300 })
    watch(a, 'a', log)
    watch(b, 'b', log)
    await a.start()
    await b.start()
    const first = a.term!
    await redis.set(`perf:leader:{${name}}`, 'someone-else', 'PX', 1) // failover lost the key
    await until(() => b.isLeader && !a.isLeader)
    expect(log.find((e) => e.who === 'a' && e.event === 'deposed')?.reason).toBe('lost')
    expect(b.term).toBeGreaterThan(first)
    await a.close()
    await b.close()
  })

  it('never has two leaders with overlapping valid leases when the leader is cut off from Redis', async () => {
    const name = electionName()
    const log: Log = []
    const cut = client()
    const a = redisLeaderElection(cut, { name, leaseMs: 400, renewEveryMs: 100 })
    const b = redisLeaderElection(client(), { name, leaseMs: 400, retryEveryMs: 20 })
    watch(a, 'a', log)
    watch(b, 'b', log)
    await a.start()
    await b.start()
    let both = 0
    let aLastLeader = 0
    let bFirstLeader = 0
    const sample = (): void => {
      const [aLeads, bLeads] = [a.isLeader, b.isLeader]
      if (aLeads && bLeads) both++
      if (aLeads) aLastLeader = performance.now()
      if (bLeads && bFirstLeader === 0) bFirstLeader = performance.now()
    }
    const sampler = setInterval(sample, 1)
    cut.disconnect() // a can no longer renew; it must stop believing before b can be elected
    await until(() => b.isLeader, 3_000)
    sample()
    clearInterval(sampler)
    expect(both).toBe(0)
    expect(aLastLeader).toBeGreaterThan(0)
    expect(bFirstLeader).toBeGreaterThan(aLastLeader)
    // a noticed on its own (its lease ran out locally), with reason 'lost'.
    await until(() => log.some((e) => e.who === 'a' && e.event === 'deposed'))
    expect(log.find((e) => e.who === 'a' && e.event === 'deposed')?.reason).toBe('lost')
    expect(b.term).toBeGreaterThan(log.find((e) => e.who === 'a' && e.event === 'elected')!.term)
    await a.close()
    await b.close()
  })

  it('redisLeaderElection() validates its options', () => {
    const redis = client()
    expect(() => redisLeaderElection(redis, { leaseMs: 5 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    )
    expect(() => redisLeaderElection(redis, { leaseMs: 1_000, renewEveryMs: 800 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    )
    expect(() => redisLeaderElection({} as Redis)).toThrowError(
      expect.objectContaining({ code: 'CLIENT_INVALID' }) as Error,
    )
  })
})
