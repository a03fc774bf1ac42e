import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { rejection, thrown } from '../__tests__/errors.js'
import { MemoryStore } from '../cache/memory/memory-store.js'
import type { StoreEntry, StoreRead } from '../cache/types.js'
import { VersionedMemoryStore } from '../cache/__tests__/versioned-store.js'
import { cacheStoreSuite } from './cache-store-suite.js'
import { chaosStore } from './chaos-store.js'

const runner = { describe, it, expect, beforeEach, afterEach }

// With nothing scheduled, the wrapper must be a store like any other.
cacheStoreSuite('chaosStore(MemoryStore)', () => chaosStore(new MemoryStore()).store, runner, {
  boundedFactory: (maxBytes) => chaosStore(new MemoryStore({ maxBytes })).store,
})

const entry = (value: unknown, now = Date.now()): StoreEntry => ({
  value,
  createdAt: now,
  staleAt: now + 60_000,
  expiresAt: now + 120_000,
})

/** The versioned test store with tags, answering synchronously except `read`, plus one method CacheStore does not know. */
class TaggedStore extends VersionedMemoryStore {
  override readonly name = 'tagged'
  ping(word: string): string {
    return `pong ${word}`
  }
}

// read() and a versioned set() are forwarded too (tags and versions groups run).
cacheStoreSuite('chaosStore(TaggedStore)', () => chaosStore(new TaggedStore()).store, runner)

/** Whether `e` is a well-formed StoreEntry a tier could have written. */
function valid(e: unknown): boolean {
  const x = e as Partial<Record<string, unknown>> | null
  if (typeof x !== 'object' || x === null) return false
  const [createdAt, staleAt, expiresAt] = [x.createdAt, x.staleAt, x.expiresAt] as number[]
  return (
    [createdAt, staleAt, expiresAt].every((t) => typeof t === 'number' && Number.isFinite(t) && t >= 0) &&
    staleAt! >= createdAt! &&
    createdAt! < Date.now() + 3_600_000 &&
    (x.tags === undefined || (Array.isArray(x.tags) && x.tags.every((t) => typeof t === 'string'))) &&
    (x.version === undefined || typeof x.version === 'string') &&
    depth(x.value) < 100 &&
    !cyclic(x.value)
  )
}

describe('chaosStore', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('store keeps the wrapped name and capabilities unless overridden, and forwards synchronously', () => {
    const inner = new MemoryStore()
    const plain = chaosStore(inner).store
    expect(plain.name).toBe('memory')
    expect(plain.capabilities).toEqual(inner.capabilities)
    plain.set('k', entry(1))
    expect((plain.get('k') as StoreEntry).value).toBe(1)
    const renamed = chaosStore(inner, { name: 'flaky', capabilities: { shared: true } }).store
    expect(renamed.name).toBe('flaky')
    expect(renamed.capabilities).toEqual({ ...inner.capabilities, shared: true })
    expect(typeof renamed.stats).toBe('function')
    expect(renamed.stats?.()).toMatchObject({ entries: 1 })
  })

  it('fail() rejects exactly `times` calls, then the store works again', async () => {
    const chaos = chaosStore(new MemoryStore()).fail('set', { times: 3 })
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => chaos.store.set(`k${i}`, entry(i))))
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled'])
    expect(String((results[0] as PromiseRejectedResult).reason)).toContain(
      '[perf:chaos] injected error in memory.set()',
    )
    expect(chaos.inner.get('k3')).toBeUndefined()
    expect((chaos.inner.get('k4') as StoreEntry).value).toBe(4)
    expect(chaos.stats()).toEqual({ set: { calls: 5, faults: { error: 3, hang: 0, drop: 0, delay: 0, corrupt: 0 } } })
  })

  it('fail() rejects with the given error, or a fresh one from a function', async () => {
    const boom = new Error('boom')
    const chaos = chaosStore(new MemoryStore())
      .fail('get', { times: 1, error: boom })
      .fail('get', { times: 2, error: () => new TypeError('fresh') })
    expect(await rejection(Promise.resolve(chaos.store.get('a')))).toBe(boom)
    const [first, second] = await Promise.all([
      rejection(Promise.resolve(chaos.store.get('a'))),
      rejection(Promise.resolve(chaos.store.get('a'))),
    ])
    expect(first).toBeInstanceOf(TypeError)
    expect(first).not.toBe(second)
    expect(chaos.store.get('a')).toBeUndefined()
    expect(chaos.stats('get')).toEqual({ calls: 4, faults: { error: 3, hang: 0, drop: 0, delay: 0, corrupt: 0 } })
  })

  it('drop() resolves writes without doing them, and reads as misses', async () => {
    const chaos = chaosStore(new TaggedStore())
    chaos.inner.set('old', entry('old'))
    chaos.drop('*')
    await expect(chaos.store.set('new', entry('new'))).resolves.toBeUndefined()
    await expect(chaos.store.delete(['old'])).resolves.toBe(0)
    await expect(chaos.store.get('old')).resolves.toBeUndefined()
    await expect(chaos.store.getMany(['old', 'new'])).resolves.toEqual([undefined, undefined])
    await expect(chaos.store.invalidateTags?.(['t'])).resolves.toBeUndefined()
    // A dropped read is a miss at the tier's real version (the direct set of 'old' made it 1).
    await expect(chaos.store.read?.('old')).resolves.toEqual({ entry: undefined, version: '1' })
    await expect(chaos.store.clear()).resolves.toBeUndefined()
    expect(chaos.inner.get('new')).toBeUndefined()
    expect((chaos.inner.get('old') as StoreEntry).value).toBe('old')
    // Only the direct set of 'old' was recorded: no delete, tag invalidation or clear got through.
    expect([...(chaos.inner as TaggedStore).records]).toEqual([['d:old', 1]])
    const stats = chaos.stats()
    expect(Object.keys(stats).sort()).toEqual(['clear', 'delete', 'get', 'getMany', 'invalidateTags', 'read', 'set'])
    for (const op of Object.values(stats))
      expect(op).toEqual({ calls: 1, faults: { drop: 1, hang: 0, error: 0, delay: 0, corrupt: 0 } })
  })

  it('hang() never settles until release(), which runs the calls for real', async () => {
    vi.useFakeTimers()
    const chaos = chaosStore(new MemoryStore()).hang('set')
    let settled = 0
    const writes = [chaos.store.set('a', entry('a')), chaos.store.set('b', entry('b'))].map((p) =>
      Promise.resolve(p).then(() => settled++),
    )
    // Holds no timer: a hung call must not keep the process alive.
    expect(vi.getTimerCount()).toBe(0)
    // Entries expire 120 s after they were made; a minute is plenty to show nothing settles.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(settled).toBe(0)
    expect(chaos.pending).toBe(2)
    expect(chaos.inner.get('a')).toBeUndefined()
    expect(chaos.release('get')).toBe(0)
    expect(chaos.release()).toBe(2)
    await Promise.all(writes)
    expect(settled).toBe(2)
    expect(chaos.pending).toBe(0)
    expect((chaos.inner.get('b') as StoreEntry).value).toBe('b')
    // The rule stays until heal(): the next call hangs too.
    void chaos.store.set('c', entry('c'))
    expect(chaos.pending).toBe(1)
    chaos.heal()
    await chaos.store.set('d', entry('d'))
    expect(chaos.stats('set')).toEqual({ calls: 4, faults: { hang: 3, error: 0, drop: 0, delay: 0, corrupt: 0 } })
    chaos.release()
  })

  it('store.close() rejects hung and delayed calls, closes the wrapped store, and stops injecting', async () => {
    const inner = new MemoryStore()
    const closeInner = vi.spyOn(inner, 'close')
    const chaos = chaosStore(inner).hang('get').delay('set', 60_000)
    const hung = Promise.resolve(chaos.store.get('a'))
    const late = Promise.resolve(chaos.store.set('a', entry(1)))
    await chaos.store.close?.()
    expect(String(await rejection(hung))).toContain('memory.get() was still pending when the store closed')
    expect(String(await rejection(late))).toContain('memory.set() was still pending')
    expect(closeInner).toHaveBeenCalledTimes(1)
    expect(chaos.pending).toBe(0)
    expect(chaos.store.get('a')).toBeUndefined()
    expect(chaos.stats('get').calls).toBe(2)
    expect(chaos.stats('get').faults.hang).toBe(1)
  })

  it('delay() runs the call after `ms`, driven by fake timers', async () => {
    vi.useFakeTimers()
    const chaos = chaosStore(new MemoryStore()).delay('set', 500, { times: 1 })
    let done = false
    const write = Promise.resolve(chaos.store.set('a', entry(1))).then(() => (done = true))
    await vi.advanceTimersByTimeAsync(499)
    expect(done).toBe(false)
    expect(chaos.inner.get('a')).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    await write
    expect((chaos.inner.get('a') as StoreEntry).value).toBe(1)
    expect(chaos.store.set('b', entry(2))).toBeUndefined()
    expect(chaos.stats('set').faults.delay).toBe(1)
  })

  it('{ for } limits a fault to a window measured on the clock', async () => {
    vi.useFakeTimers()
    const chaos = chaosStore(new MemoryStore()).fail('get', { for: 1_000 })
    await expect(chaos.store.get('a')).rejects.toThrow('injected')
    vi.advanceTimersByTime(999)
    await expect(chaos.store.get('a')).rejects.toThrow('injected')
    vi.advanceTimersByTime(1)
    expect(chaos.store.get('a')).toBeUndefined()
    let now = 0
    const manual = chaosStore(new MemoryStore(), { clock: { now: () => now } }).drop('set', { for: 10 })
    await manual.store.set('x', entry(1))
    now = 10
    manual.store.set('y', entry(2))
    expect(manual.inner.get('x')).toBeUndefined()
    expect(manual.inner.get('y')).toBeDefined()
    expect(chaos.stats('get')).toEqual({ calls: 3, faults: { error: 2, hang: 0, drop: 0, delay: 0, corrupt: 0 } })
  })

  it('{ probability } faults a seeded, repeatable share of calls', async () => {
    const run = async (seed: number): Promise<boolean[]> => {
      const chaos = chaosStore(new MemoryStore(), { seed }).fail('get', { probability: 0.3 })
      const outcomes: boolean[] = []
      for (let i = 0; i < 1_000; i++) {
        outcomes.push(
          await Promise.resolve(chaos.store.get('k')).then(
            () => true,
            () => false,
          ),
        )
      }
      expect(chaos.stats('get').calls).toBe(1_000)
      expect(chaos.stats('get').faults.error).toBe(outcomes.filter((ok) => !ok).length)
      return outcomes
    }
    const a = await run(42)
    expect(await run(42)).toEqual(a)
    expect(await run(43)).not.toEqual(a)
    const failures = a.filter((ok) => !ok).length
    expect(failures).toBeGreaterThan(240)
    expect(failures).toBeLessThan(360)
    // A given random source decides alone.
    const never = chaosStore(new MemoryStore(), { random: () => 0.99 }).fail('get', { probability: 0.5 })
    expect(never.store.get('k')).toBeUndefined()
    expect(never.stats('get').faults.error).toBe(0)
  })

  it('corrupt() answers get/getMany with garbage entries, seeded and repeatable', async () => {
    const garbage = async (seed: number): Promise<unknown[]> => {
      const chaos = chaosStore(new MemoryStore(), { seed }).corrupt('get').corrupt('getMany')
      chaos.inner.set('a', entry({ id: 1 }))
      const answers: unknown[] = []
      for (let i = 0; i < 40; i++) answers.push(await chaos.store.get(i % 2 ? 'a' : 'missing'))
      const many = await chaos.store.getMany(['a', 'missing'])
      expect(many).toHaveLength(2)
      answers.push(...many)
      expect(chaos.stats('get').faults.corrupt).toBe(40)
      expect(chaos.stats('getMany').faults.corrupt).toBe(1)
      return answers
    }
    const answers = await garbage(7)
    // Every answer is broken in some way, and the variants differ.
    expect(answers.filter(valid)).toEqual([])
    expect(new Set(answers.map((a) => describeShape(a))).size).toBeGreaterThan(5)
    expect((await garbage(7)).map(describeShape)).toEqual(answers.map(describeShape))
  })

  it('corrupt() answers read with a garbage entry and often a garbage version, and { with } rewrites any answer', async () => {
    const chaos = chaosStore(new TaggedStore(), { seed: 3 }).corrupt('read', { times: 40 })
    chaos.inner.set('a', entry({ id: 1 }))
    chaos.store.invalidateTags?.(['t'])
    // The tier's version is now 2 (one direct set, one tag invalidation).
    const reads: StoreRead[] = []
    for (let i = 0; i < 40; i++) reads.push(await (chaos.store.read?.(i % 2 ? 'a' : 'missing') as Promise<StoreRead>))
    expect(chaos.stats('read').faults.corrupt).toBe(40)
    // The answer keeps its shape; every entry is broken, as get's are.
    for (const read of reads) expect(Object.keys(read).sort()).toEqual(['entry', 'version'])
    expect(reads.map((r) => r.entry).filter(valid)).toEqual([])
    expect(new Set(reads.map((r) => describeShape(r.entry))).size).toBeGreaterThan(5)
    // The version is sometimes kept, otherwise garbage: not a string, 'NaN' or empty.
    const versions = reads.map((r) => r.version as unknown)
    const kept = versions.filter((v) => v === '2').length
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(40)
    expect(versions.filter((v) => v !== '2').every((v) => typeof v !== 'string' || v === 'NaN' || v === '')).toBe(true)
    expect(
      new Set(versions.filter((v) => v !== '2').map((v) => (typeof v === 'string' ? `'${v}'` : typeof v))).size,
    ).toBeGreaterThan(1)
    // The rule is spent: the next read is the real one.
    await expect(chaos.store.read?.('a')).resolves.toEqual({
      entry: entry({ id: 1 }, (chaos.inner.get('a') as StoreEntry).createdAt),
      version: '2',
    })
    expect(chaos.stats('read')).toEqual({ calls: 41, faults: { corrupt: 40, hang: 0, error: 0, drop: 0, delay: 0 } })
    const seen: unknown[] = []
    chaos.corrupt('delete', { times: 1, with: (result, op, args) => (seen.push(result, op, args), -5) })
    chaos.inner.set('k', entry(1))
    await expect(chaos.store.delete(['k'])).resolves.toBe(-5)
    expect(seen).toEqual([1, 'delete', [['k']]])
    expect(thrown(() => chaos.corrupt('set')).message).toContain(
      "corrupt('set') needs a { with } function: built-in garbage exists only for get, getMany and read",
    )
  })

  it('forwards methods CacheStore does not declare, faultable by name', async () => {
    const chaos = chaosStore(new TaggedStore())
    const store = chaos.store as unknown as TaggedStore
    expect(store.ping('x')).toBe('pong x')
    chaos.fail('ping', { times: 1 })
    await expect(store.ping('y')).rejects.toThrow('tagged.ping()')
    expect(store.ping('z')).toBe('pong z')
    expect('ping' in chaos.store).toBe(true)
    expect(chaos.stats('ping')).toEqual({ calls: 3, faults: { error: 1, hang: 0, drop: 0, delay: 0, corrupt: 0 } })
    // Optional methods the wrapped store lacks stay absent, so `store.invalidateTags?.()` still means "not supported".
    const plain = chaosStore(new MemoryStore())
    expect(plain.store.invalidateTags).toBeUndefined()
    expect(plain.store.read).toBeUndefined()
    expect('read' in plain.store).toBe(false)
    expect('read' in chaos.store).toBe(true)
  })

  it('"*" faults every method; earlier rules win; heal(op) removes only that method\'s rules', async () => {
    const chaos = chaosStore(new MemoryStore()).drop('get', { times: 1 }).fail('*')
    await expect(chaos.store.get('a')).resolves.toBeUndefined()
    await expect(chaos.store.get('a')).rejects.toThrow()
    await expect(chaos.store.clear()).rejects.toThrow()
    chaos.fail('set').heal('*')
    await expect(chaos.store.set('a', entry(1))).rejects.toThrow()
    chaos.heal('set')
    expect(chaos.store.set('a', entry(1))).toBeUndefined()
    expect(chaos.stats().get).toEqual({ calls: 2, faults: { drop: 1, error: 1, hang: 0, delay: 0, corrupt: 0 } })
  })

  it('schedule methods reject unknown methods and bad numbers with INVALID_ARGUMENT', () => {
    const chaos = chaosStore(new MemoryStore())
    expect(thrown(() => chaos.hang('invalidateTags'))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(thrown(() => chaos.corrupt('read')).message).toContain('has no faultable method read()')
    expect(thrown(() => chaos.fail('close')).message).toContain('has no faultable method close()')
    expect(thrown(() => chaos.fail('get', { times: 0 })).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => chaos.fail('get', { probability: 1.5 })).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => chaos.fail('get', { for: -1 })).code).toBe('INVALID_ARGUMENT')
    expect(thrown(() => chaos.delay('get', Number.NaN)).code).toBe('INVALID_ARGUMENT')
  })
})

function cyclic(value: unknown): boolean {
  try {
    JSON.stringify(value)
    return false
  } catch {
    return true
  }
}

function depth(value: unknown): number {
  let d = 0
  let current = value
  while (Array.isArray(current) && d < 1_000) {
    current = current[0]
    d++
  }
  return d
}

function describeShape(value: unknown): string {
  if (value === null || typeof value !== 'object') return `${typeof value}:${String(value).slice(0, 10)}`
  const e = value as Record<string, unknown>
  return Object.keys(e)
    .sort()
    .map(
      (k) =>
        `${k}=${typeof e[k]}${typeof e[k] === 'number' ? `(${Number.isFinite(e[k]) ? 'finite' : String(e[k])})` : ''}${depth(e[k]) > 100 ? '(deep)' : ''}`,
    )
    .join(',')
}
