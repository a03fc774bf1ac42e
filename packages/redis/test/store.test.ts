import { randomUUID } from 'node:crypto'
import { isPerfError } from '@perf/core'
import type { StoreEntry } from '@perf/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { redisStore } from '../src/index.js'
import { RedisServer, hasRedisServerBinary } from './redis-server.js'
import { describeIf, need } from './services.js'

const ok = await need('redis-server binary', async () => hasRedisServerBinary())

function entry(value: unknown, createdAt = Date.now(), ttlMs = 60_000, tags?: string[]): StoreEntry {
  return { value, createdAt, staleAt: createdAt + ttlMs, expiresAt: createdAt + ttlMs, ...(tags ? { tags } : {}) }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

describeIf(ok, 'redis-server binary missing')('redisStore', () => {
  // A private server: INFO commandstats then counts only this file's commands.
  let server: RedisServer
  let redis: Redis
  let other: Redis
  beforeAll(async () => {
    server = await RedisServer.start()
    redis = new Redis({ port: server.port })
    other = new Redis({ port: server.port })
  })
  afterAll(async () => {
    redis?.disconnect()
    other?.disconnect()
    await server?.stop()
  })

  // MONITOR lists what clients send ("[0 127.0.0.1:port]") apart from what scripts run ("[0 lua]"):
  // the commands on the wire, i.e. the round trips.
  async function countCommands(fn: () => Promise<unknown>): Promise<Record<string, number>> {
    await fn() // warm: loads the script once (NOSCRIPT -> EVAL) so the measured call is steady state
    const monitor = await other.monitor()
    const seen: string[] = []
    const fence = `fence:${randomUUID()}`
    const fenced = new Promise<void>((resolve) =>
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (!source.includes('lua')) seen.push(String(args[0]).toLowerCase())
        if (String(args[0]).toLowerCase() === 'echo' && args[1] === fence) resolve()
      }),
    )
    await fn()
    await redis.echo(fence)
    await fenced // everything sent before the echo has been seen once the echo shows up
    monitor.disconnect()
    const calls: Record<string, number> = {}
    for (const name of seen.slice(0, seen.lastIndexOf('echo'))) calls[name] = (calls[name] ?? 0) + 1
    return calls
  }

  it('get() returns what set() wrote, with the entry times and tags', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    const written = entry({ id: 1, name: 'Ada', tags: ['x'] }, Date.now(), 60_000, ['user:1', 'users'])
    await store.set('user:1', written)
    const read = await store.get('user:1')
    expect(read).toEqual({ ...written, tagsInvalidatedAt: 0 })
    expect(await store.get('missing')).toBeUndefined()
  })

  it('get() with the tags hint is one MGET that also reads the tag invalidation times; without it, the first read of a tagged entry costs a second MGET', async () => {
    const prefix = `t:${randomUUID()}:`
    const store = redisStore(redis, { prefix })
    await store.set('k', entry('v', Date.now(), 60_000, ['a', 'b', 'c']))
    await store.set('plain', entry('p'))
    await store.invalidateTags(['b'], 1234.5)
    expect(await countCommands(() => store.get('k', { tags: ['a', 'b', 'c'] }))).toEqual({ mget: 1 })
    expect(await store.get('k', { tags: ['a', 'b', 'c'] })).toMatchObject({ value: 'v', tagsInvalidatedAt: 1234.5 })
    // A hint that misses a tag the entry carries: the missing record is fetched, never assumed.
    expect(await countCommands(() => store.get('k', { tags: ['a'] }))).toEqual({ mget: 2 })
    expect(await store.get('k', { tags: ['a'] })).toMatchObject({ value: 'v', tagsInvalidatedAt: 1234.5 })
    expect(await store.get('k')).toMatchObject({ value: 'v', tagsInvalidatedAt: 1234.5 })
    expect(await countCommands(() => store.get('plain'))).toEqual({ mget: 1 })
    // A fresh store (another process) learns a key's tags from its first hint-less read.
    let mgets = 0
    const counting = new Proxy(redis, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown
        if (property === 'mgetBuffer') mgets++
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
      },
    })
    const fresh = redisStore(counting, { prefix })
    await fresh.get('k')
    expect(mgets).toBe(2)
    await fresh.get('k')
    expect(mgets).toBe(3)
    await store.invalidateTags(['c'], 2000)
    expect(await fresh.get('k')).toMatchObject({ value: 'v', tagsInvalidatedAt: 2000 })
    expect(await countCommands(() => store.get('missing', { tags: ['a'] }))).toEqual({ mget: 1 })
  })

  it('100 concurrent get() calls share one MGET and each gets its own entry', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`)
    for (const key of keys.filter((_, i) => i % 3 !== 0)) await store.set(key, entry(`value-${key}`, Date.now(), 60_000, [`tag-${key}`]))
    await store.invalidateTags(['tag-k5'], 99)
    let results: (StoreEntry | undefined)[] = []
    const commands = await countCommands(async () => {
      results = await Promise.all(keys.map((key) => store.get(key, { tags: [`tag-${key}`] })))
    })
    expect(commands).toEqual({ mget: 1 })
    expect(results.map((e) => e?.value)).toEqual(keys.map((key, i) => (i % 3 !== 0 ? `value-${key}` : undefined)))
    expect(results[5]?.tagsInvalidatedAt).toBe(99)
    expect(results[4]?.tagsInvalidatedAt).toBe(0)
  })

  it('a burst of 1,200 concurrent get() calls is cut into MGETs of at most 500 keys, each read answered', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    const keys = Array.from({ length: 1_200 }, (_, i) => `k${i}`)
    await Promise.all(keys.filter((_, i) => i % 2 === 0).map((key) => store.set(key, entry(`value-${key}`))))
    let results: (StoreEntry | undefined)[] = []
    const commands = await countCommands(async () => {
      results = await Promise.all(keys.map((key) => store.get(key)))
    })
    expect(commands).toEqual({ mget: 3 })
    expect(results.map((e) => e?.value)).toEqual(keys.map((key, i) => (i % 2 === 0 ? `value-${key}` : undefined)))
  })

  it('getMany() reads 50 keys in one MGET, in order, undefined for misses', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    const keys = Array.from({ length: 50 }, (_, i) => `k${i}`)
    for (const key of keys.filter((_, i) => i % 2 === 0)) await store.set(key, entry(key))
    const values = (await store.getMany(keys)).map((e) => e?.value)
    expect(values).toEqual(keys.map((key, i) => (i % 2 === 0 ? key : undefined)))
    expect(await countCommands(() => store.getMany(keys))).toEqual({ mget: 1 })
  })

  it('get() of a key holding something that is not a @perf entry rejects with DECODE_FAILED', async () => {
    const prefix = `t:${randomUUID()}:`
    const store = redisStore(redis, { prefix })
    await redis.set(`${prefix}e:foreign`, 'hello')
    await expect(store.get('foreign')).rejects.toMatchObject({ code: 'DECODE_FAILED' })
    await redis.del(`${prefix}e:foreign`)
  })

  it('set() and delete() are one EVALSHA each', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    expect(await countCommands(() => store.set('k', entry('v', Date.now(), 60_000, ['t'])))).toEqual({ evalsha: 1 })
    expect(await countCommands(() => store.delete(['k', 'j']))).toEqual({ evalsha: 1 })
  })

  it('set() lets Redis expire the entry at expiresAt', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    await store.set('short', entry('v', Date.now(), 80))
    expect((await store.get('short'))?.value).toBe('v')
    await new Promise((r) => setTimeout(r, 130))
    expect(await store.get('short')).toBeUndefined()
  })

  it('set() refuses an entry whose load began before a delete (tombstone), accepts a newer one', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    const loadStarted = Date.now() - 50
    await store.set('row', entry('old', loadStarted - 1000))
    expect(await store.delete(['row'], Date.now())).toBe(1)
    // A slow load that began before the delete finishes now: its write-back must not land.
    await store.set('row', entry('stale', loadStarted))
    expect(await store.get('row')).toBeUndefined()
    await store.set('row', entry('fresh', Date.now() + 1))
    expect((await store.get('row'))?.value).toBe('fresh')
  })

  it('set() and delete() order events inside one millisecond by their fractional times', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    const ms = Date.now()
    // The engine stamps same-millisecond events ms, ms + 0.001, ...: a load that began at ms must
    // lose to a delete at ms + 0.001, a write at ms + 0.002 must win.
    await store.delete(['k'], ms + 0.001)
    await store.set('k', entry('stale', ms))
    expect(await store.get('k')).toBeUndefined()
    await store.set('k', entry('fresh', ms + 0.002, 60_000, ['t']))
    const read = await store.get('k')
    expect(read?.value).toBe('fresh')
    expect(read?.createdAt).toBe(ms + 0.002)
    await store.invalidateTags(['t'], ms + 0.003)
    expect((await store.get('k'))?.tagsInvalidatedAt).toBe(ms + 0.003)
  })

  it('delete() tombstones also refuse stale writes from another instance', async () => {
    const prefix = `t:${randomUUID()}:`
    const a = redisStore(redis, { prefix })
    const b = redisStore(other, { prefix })
    const began = Date.now() - 10
    await b.delete(['k'], Date.now())
    await a.set('k', entry('stale', began))
    expect(await b.get('k')).toBeUndefined()
    expect(await a.delete(['k'])).toBe(0)
  })

  it('delete() with tombstoneMs 0 deletes without a tombstone', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:`, tombstoneMs: 0 })
    await store.delete(['k'], Date.now())
    await store.set('k', entry('v', Date.now() - 1000))
    expect((await store.get('k'))?.value).toBe('v')
  })

  it('invalidateTags() in one instance shows in the tagsInvalidatedAt another instance reads', async () => {
    const prefix = `t:${randomUUID()}:`
    const a = redisStore(redis, { prefix })
    const b = redisStore(other, { prefix })
    const createdAt = Date.now() - 100
    await a.set('post:1', entry({ title: 'x' }, createdAt, 60_000, ['posts', 'user:7']))
    const at = Date.now()
    await b.invalidateTags(['user:7'], at)
    const read = await a.get('post:1')
    expect(read?.tagsInvalidatedAt).toBe(at)
    expect(read!.tagsInvalidatedAt!).toBeGreaterThan(read!.createdAt)
    expect(await a.getTagInvalidations(['user:7', 'posts', 'never'])).toEqual([at, 0, 0])
    // An older invalidation never moves the recorded time backwards.
    await a.invalidateTags(['user:7'], at - 5_000)
    expect(await b.getTagInvalidations(['user:7'])).toEqual([at])
  })

  it('invalidateTags() records live at least as long as the entries that carry the tag', async () => {
    const prefix = `t:${randomUUID()}:`
    const store = redisStore(redis, { prefix })
    await store.set('long', entry('v', Date.now(), 3_600_000, ['t']))
    await store.invalidateTags(['t'], Date.now())
    const pttl = await redis.pttl(`${prefix}t:t`)
    expect(pttl).toBeGreaterThan(3_500_000)
  })

  it('clear(prefix) removes only the entries under that prefix; clear() removes everything', async () => {
    const prefix = `t:${randomUUID()}:`
    const store = redisStore(redis, { prefix })
    for (const key of ['ns1:a', 'ns1:b', 'ns2:a', 'ns1*:c']) await store.set(key, entry(key))
    await store.clear('ns1:')
    expect((await store.getMany(['ns1:a', 'ns1:b', 'ns2:a', 'ns1*:c'])).map((e) => e?.value)).toEqual([undefined, undefined, 'ns2:a', 'ns1*:c'])
    await store.invalidateTags(['t'], Date.now())
    await store.clear()
    expect(await redis.keys(`${prefix}*`)).toEqual([])
  })

  it('set() of an oversized value throws VALUE_TOO_LARGE and writes nothing', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:`, maxValueBytes: 1_000 })
    await store.set('big', entry('small'))
    const error = await rejection(store.set('big', entry('x'.repeat(2_000))))
    expect(isPerfError(error, 'VALUE_TOO_LARGE')).toBe(true)
    expect((error as Error).message).toContain('maxValueBytes=1000')
    expect((await store.get('big'))?.value).toBe('small')
  })

  it('set() of an unserialisable value throws UNSERIALIZABLE_VALUE and writes nothing', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    const error = await rejection(store.set('fn', entry({ run: () => 1 })))
    expect(isPerfError(error, 'UNSERIALIZABLE_VALUE')).toBe(true)
    expect(await store.get('fn')).toBeUndefined()
  })

  it('redisStore() rejects a client that is not ioredis with CLIENT_INVALID, bad options with INVALID_OPTION', () => {
    for (const bad of [undefined, {}, { get: () => undefined }, 'redis://localhost']) {
      expect(() => redisStore(bad as never)).toThrowError(expect.objectContaining({ code: 'CLIENT_INVALID' }) as Error)
    }
    expect(() => redisStore(redis, { prefix: 'a{b}' })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION' }) as Error)
    expect(() => redisStore(redis, { maxValueBytes: 0 })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION' }) as Error)
    expect(() => redisStore(redis, { tombstoneMs: -1 })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION' }) as Error)
  })

  it('get() after close() throws CACHE_CLOSED and leaves the client open', async () => {
    const store = redisStore(redis)
    store.close()
    expect(isPerfError(await rejection(store.get('k')), 'CACHE_CLOSED')).toBe(true)
    expect(await redis.ping()).toBe('PONG')
  })
})
