import type { LeaderElection } from '@perf/core'
import { leaderElectionSuite } from '@perf/core/testing'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { redisLeaderElection } from '../src/index.js'
import { REDIS_PORT, hasRedis } from './services.js'

const ok = await hasRedis()
// One client per candidate, so cutting one off (a network partition) leaves the others working.
const clients = new Map<LeaderElection, Redis>()
const names = new Set<string>()
// Terms never expire by design (they must only grow); remove the suite's own.
afterAll(async () => {
  const cleanup = new Redis({ port: REDIS_PORT, lazyConnect: !ok })
  if (ok && names.size > 0) await cleanup.del(...[...names].map((name) => `perf-suite:leader:{${name}}:term`))
  cleanup.disconnect()
})

if (ok) {
  leaderElectionSuite(
    'redisLeaderElection',
    ({ name, leaseMs }) => {
      names.add(name)
      const client = new Redis({ port: REDIS_PORT })
      client.on('error', () => undefined)
      const election = redisLeaderElection(client, { name, leaseMs, prefix: 'perf-suite:leader:' })
      clients.set(election, client)
      return election
    },
    { describe, it, expect, beforeEach, afterEach },
    {
      cutOff: (election) => clients.get(election)?.disconnect(),
      dispose: async (election) => {
        await election.close()
        clients.get(election)?.disconnect()
        clients.delete(election)
      },
    },
  )
} else
  describe.skip('leaderElectionSuite: redisLeaderElection (skipped: Redis not available)', () =>
    it('needs Redis', () => undefined))
