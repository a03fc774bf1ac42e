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
    // ioredis emits "Command queue state error" for commands other clients sent in the same packet as
    // MONITOR's OK, before the connection counts as monitoring: those precede what is counted here.
    monitor.on('error', () => undefined)
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
    expect(read).toEqual(written)
    expect(await store.get('missing')).toBeUndefined()
  })

  it('get() with the tags hint is one MGET that also reads the tag records; without it, the first read of a tagged entry costs a second MGET', async () => {
    const prefix = `t:${randomUUID()}:`
    const store = redisStore(redis, { prefix })
    await store.invalidateTags(['b'])
    await store.set('k', entry('v', Date.now(), 60_000, ['a', 'b', 'c']))
    await store.set('plain', entry('p'))
    expect(await countCommands(() => store.get('k', { tags: ['a', 'b', 'c'] }))).toEqual({ mget: 1 })
    expect(await store.get('k', { tags: ['a', 'b', 'c'] })).toMatchObject({ value: 'v' })
    // A hint that misses a tag the entry carries: the missing record is fetched, never assumed.
    expect(await countCommands(() => store.get('k', { tags: ['a'] }))).toEqual({ mget: 2 })
    expect(await store.get('k', { tags: ['a'] })).toMatchObject({ value: 'v' })
    expect(await store.get('k')).toMatchObject({ value: 'v' })
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
    await store.invalidateTags(['c'])
    expect(await fresh.get('k')).toBeUndefined()
    expect(await countCommands(() => store.get('missing', { tags: ['a'] }))).toEqual({ mget: 1 })
  })

  it('100 concurrent get() calls share one MGET and each gets its own entry', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`)
    for (const key of keys.filter((_, i) => i % 3 !== 0))
      await store.set(key, entry(`value-${key}`, Date.now(), 60_000, [`tag-${key}`]))
    await store.invalidateTags(['tag-k5'])
    let results: (StoreEntry | undefined)[] = []
    const commands = await countCommands(async () => {
      results = await Promise.all(keys.map((key) => store.get(key, { tags: [`tag-${key}`] })))
    })
    expect(commands).toEqual({ mget: 1 })
    expect(results.map((e) => e?.value)).toEqual(
      keys.map((key, i) => (i % 3 !== 0 && i !== 5 ? `value-${key}` : undefined)),
    )
  })

  it('a burst of 1,200 concurrent get() calls is cut into MGETs of at most 500 keys, each read answered', async () => {
    const prefix = `t:${randomUUID()}:`
    const store = redisStore(redis, { prefix })
    const keys = Array.from({ length: 1_200 }, (_, i) => `k${i}`)
    // Setup writes without a deadline: 600 scripts at once on a loaded machine can take longer than 250 ms.
    const writer = redisStore(redis, { prefix, commandTimeoutMs: 0 })
    await Promise.all(keys.filter((_, i) => i % 2 === 0).map((key) => writer.set(key, entry(`value-${key}`))))
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

  it('set() refuses a load whose read came before a delete (tombstone), accepts a newer one', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    await store.set('row', entry('old'))
    const before = await store.read('row')
    expect(before.entry?.value).toBe('old')
    expect(await store.delete(['row'])).toBe(1)
    // A slow load that read before the delete finishes now: its write-back must not land.
    expect(await store.set('row', { ...entry('stale'), version: before.version })).toBe(false)
    expect(await store.get('row')).toBeUndefined()
    const after = await store.read('row')
    expect(await store.set('row', { ...entry('fresh'), version: after.version })).toBe(true)
    expect((await store.get('row'))?.value).toBe('fresh')
  })

  it('orders a delete and a load issued back to back whatever the clients clocks say (stamps come from Redis)', async () => {
    const prefix = `t:${randomUUID()}:`
    // Two instances whose clocks disagree by ten minutes in both directions.
    const ahead = redisStore(redis, { prefix, clock: { now: () => Date.now() + 600_000 } })
    const behind = redisStore(other, { prefix, clock: { now: () => Date.now() - 600_000 } })
    for (let i = 0; i < 50; i++) {
      const read = await ahead.read(`k${i}`)
      await behind.delete([`k${i}`])
      expect(await ahead.set(`k${i}`, { ...entry('stale', Date.now() + 600_000), version: read.version })).toBe(false)
      const read2 = await behind.read(`j${i}`)
      await ahead.invalidateTags([`t${i}`])
      expect(
        await behind.set(`j${i}`, {
          ...entry('stale', Date.now() - 600_000, 60_000, [`t${i}`]),
          version: read2.version,
        }),
      ).toBe(false)
    }
    expect((await ahead.getMany(Array.from({ length: 50 }, (_, i) => `k${i}`))).every((e) => e === undefined)).toBe(
      true,
    )
  })

  it('a load that read from a clock idle for long is still written when only unrelated things changed since', async () => {
    // Window: half the tombstone life, 1 s; the steps after the sleep take far less even on a loaded machine.
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:`, tombstoneMs: 2_000 })
    await store.delete(['warm-up'])
    await new Promise((r) => setTimeout(r, 1_100)) // the clock's last stamp is now older than the window
    const read = await store.read('k')
    await store.delete(['unrelated'])
    expect(await store.set('k', { ...entry('v'), version: read.version })).toBe(true)
  })

  it('a load is refused when it cannot be checked: the first change after its read is older than the window, or more than eight changes came since', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:`, tombstoneMs: 200 })
    const early = await store.read('k')
    await store.delete(['unrelated']) // its tombstone may be gone by the write: too old to vouch for
    await new Promise((r) => setTimeout(r, 150))
    expect(await store.set('k', { ...entry('v'), version: early.version })).toBe(false)
    const read = await store.read('j')
    for (let i = 0; i < 9; i++) await store.invalidateTags([`other${i}`])
    expect(await store.set('j', { ...entry('v'), version: read.version })).toBe(false)
    const fresh = await store.read('j')
    expect(await store.set('j', { ...entry('v'), version: fresh.version })).toBe(true)
  })

  it('a direct set() refuses loads that read before it; its entry carries the new version', async () => {
    const store = redisStore(redis, { prefix: `t:${randomUUID()}:` })
    const before = await store.read('k')
    await store.set('k', entry('direct'))
    expect(await store.set('k', { ...entry('older load'), version: before.version })).toBe(false)
    expect((await store.get('k'))?.value).toBe('direct')
    expect(Number((await store.read('k')).version)).toBeGreaterThan(Number(before.version))
  })

  it('delete() with tombstoneMs 0 deletes without a tombstone; loads that read before it are then refused by the clock alone', async () => {
    const prefix = `t:${randomUUID()}:`
    const store = redisStore(redis, { prefix, tombstoneMs: 0 })
    const before = await store.read('k')
    await store.delete(['k'])
    expect(await redis.exists(`${prefix}d:k`)).toBe(0)
    expect(await store.set('k', { ...entry('v'), version: before.version })).toBe(false)
    const after = await store.read('k')
    expect(await store.set('k', { ...entry('v'), version: after.version })).toBe(true)
  })

  it('invalidateTags() in one instance makes another instance miss the entries carrying the tag', async () => {
    const prefix = `t:${randomUUID()}:`
    const a = redisStore(redis, { prefix })
    const b = redisStore(other, { prefix })
    await a.set('post:1', entry({ title: 'x' }, Date.now(), 60_000, ['posts', 'user:7']))
    await a.set('post:2', entry({ title: 'y' }, Date.now(), 60_000, ['posts']))
    await b.invalidateTags(['user:7'])
    expect(await a.get('post:1')).toBeUndefined()
    expect((await a.get('post:2'))?.value).toEqual({ title: 'y' })
  })

  it('invalidateTags() records live at least as long as the entries that carry the tag', async () => {
    const prefix = `t:${randomUUID()}:`
    const store = redisStore(redis, { prefix })
    await store.set('long', entry('v', Date.now(), 3_600_000, ['t']))
    await store.invalidateTags(['t'])
    const pttl = await redis.pttl(`${prefix}t:t`)
    expect(pttl).toBeGreaterThan(3_500_000)
  })

  it('clear(prefix) removes only the entries under that prefix; clear() removes everything', async () => {
    const prefix = `t:${randomUUID()}:`
    const store = redisStore(redis, { prefix })
    for (const key of ['ns1:a', 'ns1:b', 'ns2:a', 'ns1*:c']) await store.set(key, entry(key))
    await store.clear('ns1:')
    expect((await store.getMany(['ns1:a', 'ns1:b', 'ns2:a', 'ns1*:c'])).map((e) => e?.value)).toEqual([
      undefined,
      undefined,
      'ns2:a',
      'ns1*:c',
    ])
    await store.invalidateTags(['t'])
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
    expect(() => redisStore(redis, { prefix: 'a{b}' })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    )
    expect(() => redisStore(redis, { maxValueBytes: 0 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    )
    expect(() => redisStore(redis, { tombstoneMs: -1 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTION' }) as Error,
    )
  })

  it('get() after close() throws CACHE_CLOSED and leaves the client open', async () => {
    const store = redisStore(redis)
    store.close()
    expect(isPerfError(await rejection(store.get('k')), 'CACHE_CLOSED')).toBe(true)
    expect(await redis.ping()).toBe('PONG')
  })
})
