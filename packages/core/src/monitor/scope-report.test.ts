import diagnosticsChannel from 'node:diagnostics_channel'
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { createCache, type Cache } from '../cache/cache.js'
import { CHANNELS } from '../util/diagnostics.js'
import { createMonitor, type Monitor } from './monitor.js'
import type { ScopeInfo, ScopeReport } from './types.js'

let monitors: Monitor[] = []
let caches: Cache[] = []
function make(): Monitor {
  const monitor = createMonitor({ eventLoopDelay: false, nPlusOneThreshold: 3 })
  monitors.push(monitor)
  return monitor
}
function cacheFor(): Cache {
  const cache = createCache({ defaultTtl: '1m' })
  caches.push(cache)
  return cache
}

afterEach(async () => {
  for (const m of monitors) m.close()
  for (const c of caches) await c.close()
  monitors = []
  caches = []
})

describe('Monitor.scope() report', () => {
  it('counts statements and database time, leaving cache answers out of both', async () => {
    const monitor = make()
    let report: ScopeReport | undefined
    await monitor.scope(
      async () => {
        monitor.record({ source: 'pg', sql: 'SELECT 1', durationMs: 4, cache: 'miss' })
        await tick()
        monitor.record({ source: 'pg', sql: 'SELECT 2', durationMs: 6 })
        monitor.record({ source: 'typeorm', sql: 'SELECT 3', durationMs: 0.5, cache: 'hit' })
        monitor.record({ source: 'typeorm', sql: 'SELECT 4', durationMs: 2, cache: 'bypass' })
      },
      { onReport: (r) => (report = r) },
    )
    expect(report).toMatchObject({ queries: 4, statements: 3, dbMs: 12, failed: false })
    // The hit event is the adapter's: the engine did not answer it here, so it is not counted twice.
    expect(report!.cache).toEqual({ hit: 0, stale: 0, grace: 0, miss: 0, bypass: 1 })
  })

  it('attributes cache engine hits, misses and stale answers to the scope they run in', async () => {
    const monitor = make()
    const cache = cacheFor()
    await cache.set('warm', 1, { ttl: '1m' })
    await cache.getOrSet('old', () => 2, { ttl: 1, swr: '1m' })
    await sleep(5)
    let report: ScopeReport | undefined
    await monitor.scope(
      async () => {
        await cache.getOrSet('warm', () => 0)
        await cache.getOrSet('warm', () => 0)
        await cache.getOrSet('cold', async () => 3)
        await cache.getOrSet('old', async () => 4, { swr: '1m' })
        await cache.get('warm')
      },
      { onReport: (r) => (report = r) },
    )
    expect(report!.cache).toEqual({ hit: 3, stale: 1, grace: 0, miss: 1, bypass: 0 })
    // Outside any scope nothing is counted, and the monitor stops listening once no scope is open.
    await cache.getOrSet('warm', () => 0)
    expect(diagnosticsChannel.channel(CHANNELS.cache).hasSubscribers).toBe(false)
  })

  it('keeps concurrent, overlapping scopes apart (no cross-talk)', async () => {
    const monitor = make()
    const cache = cacheFor()
    await cache.set('shared', 'v', { ttl: '1m' })
    const reports = new Map<string, ScopeReport>()
    const request = (id: number): Promise<void> =>
      monitor.scope(
        async () => {
          // Interleave: every request yields between its steps, so all of them are open at once.
          for (let i = 0; i < id; i++) {
            await sleep(1 + ((id * 7 + i) % 3))
            monitor.record({ source: 'pg', sql: `SELECT * FROM t WHERE id = ${i}`, durationMs: id })
            await cache.getOrSet('shared', () => 'x')
          }
          await cache.getOrSet(`own:${id}`, async () => {
            await tick()
            return id
          })
        },
        { name: `request ${id}`, onReport: (r) => reports.set(r.name, r) },
      )
    await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(request))
    expect(reports.size).toBe(8)
    for (let id = 1; id <= 8; id++) {
      const r = reports.get(`request ${id}`)!
      expect(r).toMatchObject({ statements: id, dbMs: id * id })
      expect(r.cache).toEqual({ hit: id, stale: 0, grace: 0, miss: 1, bypass: 0 })
      expect(r.nPlusOne.map((n) => n.count)).toEqual(id >= 3 ? [id] : [])
      expect(r.nPlusOne.every((n) => n.scope === `request ${id}`)).toBe(true)
    }
  })

  it('counts each monitor in its own scope when scopes of two monitors nest', async () => {
    const outer = make()
    const inner = make()
    const cache = cacheFor()
    const seen: ScopeReport[] = []
    await outer.scope(
      async () => {
        await cache.getOrSet('a', () => 1)
        await inner.scope(
          async () => {
            await cache.getOrSet('a', () => 1)
          },
          { name: 'inner', onReport: (r) => seen.push(r) },
        )
      },
      { name: 'outer', onReport: (r) => seen.push(r) },
    )
    expect(seen.map((r) => [r.name, r.cache.hit, r.cache.miss])).toEqual([
      ['inner', 1, 0],
      ['outer', 1, 1],
    ])
  })

  it('currentScope() shows the counts live, and a name function is asked when the name is needed', async () => {
    const monitor = make()
    let route = '(unmatched)'
    let live: ScopeInfo | undefined
    let report: ScopeReport | undefined
    await monitor.scope(
      async () => {
        live = monitor.currentScope()
        expect(live?.name).toBe('GET (unmatched)')
        route = '/users/:id'
        for (let i = 0; i < 3; i++) monitor.record({ source: 'pg', sql: `SELECT ${i}`, durationMs: 2 })
        expect(live).toMatchObject({ statements: 3, dbMs: 6, name: 'GET /users/:id' })
      },
      { name: () => `GET ${route}`, onReport: (r) => (report = r) },
    )
    expect(report?.name).toBe('GET /users/:id')
    expect(monitor.nPlusOne()[0]?.scope).toBe('GET /users/:id')
  })

  it('names the scope "scope" when the name function throws or returns a non-string', () => {
    const monitor = make()
    const names: string[] = []
    const run = (name: () => string): void =>
      monitor.scope(() => undefined, { name, onReport: (r) => names.push(r.name) })
    run(() => {
      throw new Error('naming bug')
    })
    run(() => 42 as unknown as string)
    run(() => 'ok')
    expect(names).toEqual(['scope', 'scope', 'ok'])
  })
})
