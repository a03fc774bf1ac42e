import type { SuiteContext } from './context.js'
import { entryOf } from './context.js'

/** get/set/overwrite/delete, entry fields and value types. */
export function basicTests(ctx: SuiteContext): void {
  const { runner, test } = ctx
  const { expect } = runner

  runner.describe('basic', () => {
    test('get() returns undefined for a missing key', async (store, names) => {
      expect(await store.get(names.key('missing'))).toBeUndefined()
    })

    test('set() then get() returns the entry with createdAt, staleAt, expiresAt and tags', async (store, names) => {
      const now = Date.now()
      const written = {
        value: 'v',
        createdAt: now - 5,
        staleAt: now + 30_000,
        expiresAt: now + 90_000,
        tags: ['a', 'b'],
      }
      await store.set(names.key('k'), written)
      const read = await store.get(names.key('k'))
      expect(read?.value).toBe('v')
      expect(read?.createdAt).toBe(written.createdAt)
      expect(read?.staleAt).toBe(written.staleAt)
      expect(read?.expiresAt).toBe(written.expiresAt)
      expect(read?.tags).toEqual(['a', 'b'])
    })

    test('set() overwrites the entry under the same key', async (store, names) => {
      await store.set(names.key('k'), entryOf('first'))
      await store.set(names.key('k'), entryOf('second'))
      expect((await store.get(names.key('k')))?.value).toBe('second')
    })

    test('set() keeps keys apart', async (store, names) => {
      await store.set(names.key('a'), entryOf('A'))
      await store.set(names.key('b'), entryOf('B'))
      expect((await store.get(names.key('a')))?.value).toBe('A')
      expect((await store.get(names.key('b')))?.value).toBe('B')
    })

    test('delete() removes the keys and returns how many existed', async (store, names) => {
      await store.set(names.key('a'), entryOf(1))
      await store.set(names.key('b'), entryOf(2))
      await store.set(names.key('c'), entryOf(3))
      expect(await store.delete([names.key('a'), names.key('b'), names.key('missing')])).toBe(2)
      expect(await store.get(names.key('a'))).toBeUndefined()
      expect(await store.get(names.key('b'))).toBeUndefined()
      expect((await store.get(names.key('c')))?.value).toBe(3)
      expect(await store.delete([names.key('a')])).toBe(0)
      expect(await store.delete([])).toBe(0)
    })

    test('set() with an expiresAt in the past stores nothing readable', async (store, names) => {
      const now = Date.now()
      await store.set(
        names.key('k'),
        entryOf('old', { createdAt: now - 2000, staleAt: now - 1500, expiresAt: now - 1000 }),
      )
      expect(await store.get(names.key('k'))).toBeUndefined()
    })

    test('get() returns a stale entry (staleAt passed) until its expiresAt', async (store, names) => {
      const now = Date.now()
      await store.set(
        names.key('k'),
        entryOf('stale', { createdAt: now - 2000, staleAt: now - 1000, expiresAt: now + 60_000 }),
      )
      expect((await store.get(names.key('k')))?.value).toBe('stale')
    })

    test('set() and get() round-trip strings, numbers, booleans, null and nested objects', async (store, names) => {
      const values = {
        string: 'héllo "wörld" \n ✓',
        empty: '',
        int: 42,
        float: -3.25,
        bool: false,
        nil: null,
        nested: { list: [1, 'two', { three: [3] }], deep: { a: { b: { c: 'd' } } } },
        array: [[1, 2], [], {}],
      }
      for (const [name, value] of Object.entries(values)) await store.set(names.key(name), entryOf(value))
      for (const [name, value] of Object.entries(values))
        expect((await store.get(names.key(name)))?.value).toEqual(value)
    })

    test('set() and get() round-trip Date, BigInt, Map, Set, Buffer and Uint8Array', async (store, names) => {
      const value = {
        date: new Date('2024-02-29T12:34:56.789Z'),
        big: 2n ** 70n,
        map: new Map<unknown, unknown>([
          ['a', 1],
          [2, { b: true }],
        ]),
        set: new Set(['x', 'y']),
        buffer: Buffer.from('bytes'),
        bytes: new Uint8Array([0, 1, 255]),
      }
      await store.set(names.key('k'), entryOf(value))
      const read = (await store.get(names.key('k')))?.value as typeof value
      expect(read).toEqual(value)
      expect(read.date instanceof Date).toBe(true)
      expect(typeof read.big).toBe('bigint')
      expect(Buffer.isBuffer(read.buffer)).toBe(true)
      expect(read.bytes instanceof Uint8Array && !Buffer.isBuffer(read.bytes)).toBe(true)
    })

    test('stats() (when implemented) reports non-negative counts', async (store, names) => {
      await store.set(names.key('k'), entryOf('v'))
      const stats = store.stats?.()
      if (stats === undefined) {
        // stats() is optional, but a store that has it must answer.
        expect(store.stats).toBeUndefined()
        return
      }
      for (const field of ['entries', 'bytes', 'evictions', 'expirations'] as const) {
        expect(typeof stats[field]).toBe('number')
        expect(stats[field]).toBeGreaterThanOrEqual(0)
      }
      expect(stats.entries).toBeGreaterThanOrEqual(1)
    })
  })
}
