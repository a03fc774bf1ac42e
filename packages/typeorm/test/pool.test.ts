import { createMonitor, type LeakReport, type PoolAlert } from '@perf/core'
import type * as typeorm1 from 'typeorm'
import { afterEach, describe, expect, it } from 'vitest'
import { instrument, typeormPoolProbe, watchPool, type PoolWatch } from '../src/index.js'
import { MATRIX, type InstDatabase } from './fixtures/inst-harness.js'

/** Polls `check` every 5 ms until it holds or `ms` pass. */
async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`typeormPoolProbe() and watchPool() — ${label}`, () => {
    let cleanups: Array<() => Promise<void> | void> = []
    afterEach(async () => {
      for (const c of cleanups.reverse()) await c()
      cleanups = []
    })

    /** A DataSource with a pool of `poolSize` connections on a fresh schema. */
    async function open(poolSize: number): Promise<typeorm1.DataSource> {
      const db: InstDatabase = await create()
      const ds = new typeorm.DataSource({ ...db.options, poolSize } as typeorm1.DataSourceOptions)
      await ds.initialize()
      cleanups.push(async () => {
        await ds.destroy().catch(() => undefined)
        await db.drop()
      })
      return ds
    }

    function watch(ds: typeorm1.DataSource, options: Parameters<typeof watchPool>[1]): PoolWatch {
      const w = watchPool(ds, options)
      cleanups.push(() => w.close())
      return w
    }

    it('stats() reads the real pool: waiting requests once every connection is checked out', async () => {
      const ds = await open(2)
      const probe = typeormPoolProbe(ds)
      expect(probe.name).toBe('typeorm')
      const a = ds.createQueryRunner()
      const b = ds.createQueryRunner()
      await a.connect()
      await b.connect()
      expect(probe.stats()).toEqual({ total: 2, idle: 0, active: 2, waiting: 0, max: 2, min: 0 })
      const pending = ds.query('SELECT 1 AS one')
      await until(() => probe.stats().waiting === 1)
      expect(probe.stats()).toMatchObject({ active: 2, waiting: 1 })
      await a.release()
      await pending
      await b.release()
      await until(() => probe.stats().active === 0)
      expect(probe.stats()).toMatchObject({ total: 2, idle: 2, waiting: 0 })
    })

    it('watchPool() joins monitor.health(), times the wait for a connection, alerts, and sizes the pool from the peak', async () => {
      const ds = await open(2)
      const monitor = createMonitor({ eventLoopDelay: false })
      cleanups.push(() => monitor.close())
      const alerts: PoolAlert[] = []
      const w = watch(ds, { monitor, name: 'shop', intervalMs: 60_000, onAlert: (a) => void alerts.push(a) })
      const a = ds.createQueryRunner()
      const b = ds.createQueryRunner()
      await a.connect()
      await b.connect()
      const pending = ds.query('SELECT 1 AS one')
      await until(() => w.probe.stats().waiting === 1)
      w.poolMonitor.sample()
      const health = monitor.health()
      expect(health.metrics.pools).toEqual([
        expect.objectContaining({ name: 'shop', active: 2, waiting: 1, max: 2, utilization: 1 }),
      ])
      expect(health.score).toBeLessThan(100)
      expect(health.reasons.join('\n')).toMatch(/shop/)
      expect(alerts.map((x) => `${x.kind}:${x.status}`)).toEqual(
        expect.arrayContaining(['utilization:firing', 'waiting:firing']),
      )
      await new Promise((resolve) => setTimeout(resolve, 30))
      await a.release()
      await pending
      await b.release()
      const waits = w.poolMonitor.snapshot().acquireWait
      expect(waits.count).toBe(3)
      expect(waits.max).toBeGreaterThanOrEqual(25)
      const advice = w.advice({ cores: 1, effectiveSpindles: 0 })
      expect(advice.size).toBe(3)
      expect(advice.reasoning.join('\n')).toMatch(/observed peak concurrency 3/)
    })

    it('watchPool() reports a QueryRunner held past leakMs with the stack that acquired it, and its late release', async () => {
      const ds = await open(3)
      const leaks: LeakReport[] = []
      const late: LeakReport[] = []
      watch(ds, { leakMs: 40, onLeak: (r) => void leaks.push(r), onLateRelease: (r) => void late.push(r) })
      await ds.query('SELECT 1 AS quick') // a repository-style call: acquired and released at once
      async function forgetfulHandler() {
        const runner = ds.createQueryRunner()
        await runner.query('SELECT 42 AS answer')
        return runner // never released by the handler
      }
      const runner = await forgetfulHandler()
      await until(() => leaks.length === 1)
      const [leak] = leaks
      expect(leak).toMatchObject({ kind: 'leak', pool: 'typeorm', thresholdMs: 40, lastQuery: 'SELECT ? AS answer' })
      expect(leak?.heldMs).toBeGreaterThanOrEqual(40)
      expect(leak?.stack).toMatch(/forgetfulHandler/)
      expect(leak?.stack).toMatch(/pool\.test\.ts/)
      await runner.release()
      expect(late).toHaveLength(1)
      expect(late[0]?.kind).toBe('late-release')
      expect(leaks).toHaveLength(1)
    })

    it('watchPool() chains with instrument() in either order, and close() restores the driver', async () => {
      const ds = await open(2)
      const driver = ds.driver as unknown as Record<string, unknown>
      const before = driver.createQueryRunner
      const monitor = createMonitor({ eventLoopDelay: false })
      const perf = instrument(ds, { monitor })
      const w = watchPool(ds, { leakMs: 10_000 })
      await ds.query('SELECT 1 AS one')
      expect(monitor.totals().calls).toBe(1)
      expect(w.poolMonitor.snapshot().acquireWait.count).toBe(1)
      expect(() => watchPool(ds)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
      w.close()
      perf.uninstrument()
      monitor.close()
      expect(driver.createQueryRunner).toBe(before)
    })

    it('rejects bad options and a DataSource without a pool', async () => {
      const ds = await open(1)
      expect(() => watchPool(ds, { leakMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }))
      expect(() => watchPool(ds, { leak: 1 } as never)).toThrow(/unknown option "leak"/)
      const fresh = new typeorm.DataSource({ type: 'postgres' } as typeorm1.DataSourceOptions)
      expect(() => typeormPoolProbe(fresh)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
      // the failed watchPool() calls left nothing behind
      watch(ds, {}).close()
    })
  })
}
