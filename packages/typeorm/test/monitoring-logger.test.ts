import { createMonitor } from '@perf/core'
import type * as typeorm1 from 'typeorm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { instrument, PerfLogger } from '../src/index.js'
import { instEntities } from './fixtures/inst-entities.js'
import { MATRIX } from './fixtures/inst-harness.js'

for (const { label, typeorm, up, create } of MATRIX) {
  describe.skipIf(!up)(`PerfLogger — ${label}`, () => {
    const monitor = createMonitor({ eventLoopDelay: false })
    const seen: string[] = []
    const slowMs: number[] = []
    const next = {
      logQuery: (q: string) => void seen.push(`query ${q}`),
      logQueryError: () => void seen.push('error'),
      logQuerySlow: (t: number) => void (seen.push('slow'), slowMs.push(t)),
      logSchemaBuild: () => void seen.push('schema'),
      logMigration: () => void seen.push('migration'),
      log: (level: string) => void seen.push(`log ${level}`),
    }
    let db: Awaited<ReturnType<(typeof MATRIX)[number]['create']>>
    let ds: typeorm1.DataSource
    const entities = instEntities(typeorm)

    beforeAll(async () => {
      db = await create()
      ds = new typeorm.DataSource({
        ...db.options,
        entities: entities.all,
        synchronize: true,
        // Every statement is "slow": the only way the Logger API hands out a duration.
        maxQueryExecutionTime: 0.000_001,
        logger: new PerfLogger(monitor, { logger: next }),
      } as unknown as typeorm1.DataSourceOptions)
      await ds.initialize()
    })
    afterAll(async () => {
      await ds?.destroy()
      monitor.close()
      await db?.drop()
    })

    it('feeds the monitor from logQuery, logQuerySlow and logQueryError, and passes every call on', async () => {
      monitor.reset()
      seen.length = 0
      slowMs.length = 0
      await ds.getRepository(entities.Author).findOneBy({ id: 1 })
      await expect(ds.query('SELECT * FROM no_such_table')).rejects.toThrow()
      const totals = monitor.totals()
      // One event per logQuery, logQuerySlow and logQueryError call (whether a statement counts as
      // slow depends on the runner's clock: 0.3's MySQL runner measures whole milliseconds).
      const slow = seen.filter((s) => s.startsWith('slow'))
      expect(totals.calls).toBe(2 + 1 + slow.length)
      expect(totals.errors).toBe(1)
      expect(totals.totalMs).toBeCloseTo(
        slowMs.reduce((a, b) => a + b, 0),
        6,
      )
      expect(seen.filter((s) => s.startsWith('query'))).toHaveLength(2)
      expect(seen).toContain('error')
      const [top] = monitor.fingerprints()
      expect(top?.source).toBe('typeorm')
    })

    it('detects N+1 inside monitor.scope() without instrument()', async () => {
      monitor.reset()
      await monitor.scope(async () => {
        for (let id = 1; id <= 6; id++) await ds.getRepository(entities.Author).findOneBy({ id })
      })
      expect(monitor.nPlusOne()).toHaveLength(1)
      // The dialect and the entity come from the runner's DataSource.
      expect(monitor.nPlusOne()[0]).toMatchObject({ model: 'Author', source: 'typeorm' })
    })

    it('skips statements of runners instrument() wraps, so using both counts once', async () => {
      const perf = instrument(ds, { monitor })
      try {
        monitor.reset()
        await ds.getRepository(entities.Author).findOneBy({ id: 1 })
        expect(monitor.totals().calls).toBe(1)
      } finally {
        perf.uninstrument()
      }
    })

    it('passes schema, migration and log messages on', () => {
      const logger = new PerfLogger(monitor, { logger: next })
      seen.length = 0
      logger.logSchemaBuild('s')
      logger.logMigration('m')
      logger.log('warn', 'w')
      expect(seen).toEqual(['schema', 'migration', 'log warn'])
    })
  })
}
