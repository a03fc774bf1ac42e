import { randomUUID } from 'node:crypto'
import type { BusMessage } from '@perf/core'
import { Redis } from 'ioredis'
import { afterAll, expect, it } from 'vitest'
import { redisBus } from '../src/index.js'
import { REDIS_PORT, describeIf, hasRedis } from './services.js'

const ok = await hasRedis()

/** Collects what a bus delivers. */
function recorder() {
  const messages: BusMessage[] = []
  let gaps = 0
  return {
    messages,
    get gaps() {
      return gaps
    },
    handlers: { onMessage: (m: BusMessage) => void messages.push(m), onGap: () => void gaps++ },
  }
}

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describeIf(ok, 'Redis not available')('redisBus', () => {
  const clients: Redis[] = []
  const client = (name = `perf-bus-test-${randomUUID()}`): Redis => {
    const redis = new Redis({ port: REDIS_PORT, connectionName: name })
    clients.push(redis)
    return redis
  }
  afterAll(() => clients.forEach((c) => c.disconnect()))

  it('publish() on one instance reaches every subscribed instance, its own included', async () => {
    const channel = `perf:bus:test:${randomUUID()}`
    const a = redisBus(client(), { channel })
    const b = redisBus(client(), { channel })
    const ra = recorder()
    const rb = recorder()
    await a.subscribe(ra.handlers)
    await b.subscribe(rb.handlers)
    const sent: BusMessage[] = [
      { type: 'delete', namespace: 'app', keys: ['user:1', 'user:"2"'], at: 1_700_000_000_123, source: 'A' },
      { type: 'tags', namespace: 'app', tags: ['users'], at: 1_700_000_000_124, source: 'A' },
      { type: 'clear', namespace: 'app', at: 1_700_000_000_125, source: 'A' },
    ]
    for (const message of sent) await a.publish(message)
    await until(() => ra.messages.length === 3 && rb.messages.length === 3)
    expect(rb.messages).toEqual(sent)
    expect(ra.messages).toEqual(sent)
    expect(a.isConnected && b.isConnected).toBe(true)
    await a.close()
    await b.close()
  })

  it('publish() sends a compact, versioned payload', async () => {
    const channel = `perf:bus:test:${randomUUID()}`
    const raw = client().duplicate()
    clients.push(raw)
    const payloads: string[] = []
    raw.on('message', (_c: string, payload: string) => payloads.push(payload))
    await raw.subscribe(channel)
    const bus = redisBus(client(), { channel })
    await bus.publish({ type: 'delete', namespace: 'app', keys: ['user:1'], at: 1_700_000_000_000, source: 'i1' })
    await until(() => payloads.length === 1)
    expect(payloads[0]).toBe('[1,"d","app",1700000000000,"i1",["user:1"]]')
    await bus.close()
  })

  it('subscribe() reports a gap when the subscriber connection is killed, then delivers again', async () => {
    const channel = `perf:bus:test:${randomUUID()}`
    const name = `perf-bus-kill-${randomUUID()}`
    const bus = redisBus(client(name), { channel })
    const publisher = redisBus(client(), { channel })
    const r = recorder()
    await bus.subscribe(r.handlers)
    expect(r.gaps).toBe(0)
    const admin = client()
    const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string
    const ids = list
      .split('\n')
      .filter((line) => line.includes(`name=${name}`))
      .map((line) => /id=(\d+)/.exec(line)?.[1])
    expect(ids).toHaveLength(1)
    await admin.client('KILL', 'ID', ids[0] as string)
    await until(() => r.gaps >= 1)
    // Connected again after ioredis reconnects and resubscribes; the gap is reported again then.
    await until(() => bus.isConnected && r.gaps >= 2)
    await publisher.publish({ type: 'clear', namespace: 'n', at: 1, source: 'p' })
    await until(() => r.messages.length === 1)
    await bus.close()
    await publisher.close()
  })

  it('subscribe() hands undecodable messages to onError and keeps delivering', async () => {
    const channel = `perf:bus:test:${randomUUID()}`
    const errors: unknown[] = []
    const redis = client()
    const bus = redisBus(redis, { channel, onError: (e) => errors.push(e) })
    const r = recorder()
    await bus.subscribe(r.handlers)
    await redis.publish(channel, 'not json')
    await redis.publish(channel, '[99,"d"]')
    await bus.publish({ type: 'clear', namespace: 'n', at: 1, source: 'p' })
    await until(() => r.messages.length === 1)
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['DECODE_FAILED', 'DECODE_FAILED'])
    await bus.close()
  })

  it('close() closes only the subscriber connection the bus opened', async () => {
    const name = `perf-bus-close-${randomUUID()}`
    const redis = client(name)
    const bus = redisBus(redis, { channel: `perf:bus:test:${randomUUID()}` })
    const unsubscribe = await bus.subscribe(recorder().handlers)
    const count = async () =>
      ((await redis.client('LIST')) as string).split('\n').filter((l) => l.includes(`name=${name}`)).length
    expect(await count()).toBe(2)
    await unsubscribe()
    await bus.close()
    await until(() => true)
    expect(await count()).toBe(1)
    expect(bus.isConnected).toBe(false)
    expect(await redis.ping()).toBe('PONG')
  })
})
