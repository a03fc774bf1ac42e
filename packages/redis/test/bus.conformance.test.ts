import { randomUUID } from 'node:crypto'
import type { InvalidationBus } from '@perf/core'
import { invalidationBusSuite } from '@perf/core/testing'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { redisBus } from '../src/index.js'
import { REDIS_PORT, hasRedis } from './services.js'

const ok = await hasRedis()
const redis = new Redis({ port: REDIS_PORT, lazyConnect: !ok })
afterAll(() => redis.disconnect())
// Each bus gets a client with its own connection name; the subscriber connection it duplicates keeps it.
const names = new Map<InvalidationBus, { name: string; client: Redis }>()

if (ok) {
  invalidationBusSuite(
    'redisBus',
    ({ scope }) => {
      const name = `perf-bus-suite-${randomUUID()}`
      const client = new Redis({ port: REDIS_PORT, connectionName: name })
      const bus = redisBus(client, { channel: scope })
      names.set(bus, { name, client })
      return bus
    },
    { describe, it, expect, beforeEach, afterEach },
    {
      reconnect: async (bus) => {
        const list = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string
        const line = list.split('\n').find((l) => l.includes(`name=${names.get(bus)?.name} `))
        await redis.client('KILL', 'ID', /id=(\d+)/.exec(line ?? '')?.[1] ?? '0')
      },
      injectGarbage: async (channel) => {
        for (const junk of [
          'not json',
          '',
          'null',
          '[]',
          '{"type":"delete"}',
          '[99,"d","n",1,"s",["k"]]',
          '[1,"x","n",1,"s",["k"]]',
          '[1,"d","n",1,"s",[1,{}]]',
          '[1,"t",7,1,"s",["k"]]',
          Buffer.from([0xff, 0xfe, 0x00]),
          'x'.repeat(100_000),
        ]) {
          await redis.publish(channel, junk)
        }
      },
      dispose: async (bus) => {
        await bus.close?.()
        names.get(bus)?.client.disconnect()
        names.delete(bus)
      },
    },
  )
} else
  describe.skip('invalidationBusSuite: redisBus (skipped: Redis not available)', () =>
    it('needs Redis', () => undefined))
