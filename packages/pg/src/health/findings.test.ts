import { describe, expect, it } from 'vitest'
import type { PgSnapshot } from '../diagnostics/pg-diagnostics.js'
import { pgFindings } from './findings.js'

const quiet = (cacheHitRatio: PgSnapshot['cacheHitRatio']): PgSnapshot => ({
  at: new Date(),
  serverVersion: 150000,
  topStatements: [],
  blockingTree: { roots: [], blockedCount: 0, pairs: [] },
  longRunning: [],
  idleInTransaction: [],
  unusedIndexes: [],
  duplicateIndexes: [],
  missingForeignKeyIndexes: [],
  tableStats: [],
  cacheHitRatio,
  connectionHeadroom: null,
  errors: {},
})

describe('pgFindings: cache hit ratio', () => {
  it('does not judge the ratio of a database that has read too few blocks to say anything (a new or restarted one)', () => {
    expect(pgFindings(quiet({ table: 0.4, index: 0.4, tableBlocks: 5_000, indexBlocks: 5_000 }))).toEqual([])
  })

  it('reports a low ratio over enough blocks, critical below criticalCacheHitRatio', () => {
    const [critical] = pgFindings(quiet({ table: 0.4, index: 0.9, tableBlocks: 50_000, indexBlocks: 1_000 }))
    expect(critical).toMatchObject({ severity: 'critical', kind: 'cache-hit-ratio' })
    const [warning] = pgFindings(quiet({ table: 0.95, index: 0.9, tableBlocks: 50_000, indexBlocks: 1_000 }))
    expect(warning).toMatchObject({ severity: 'warning', kind: 'cache-hit-ratio' })
    expect(
      pgFindings(quiet({ table: 0.4, index: 0.9, tableBlocks: 600, indexBlocks: 0 }), { minCacheBlocks: 500 }),
    ).toHaveLength(1)
  })
})
