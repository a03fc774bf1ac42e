import { describe, expect, it } from 'vitest'
import { RunnerTransaction, transactionControl } from './query-runner-transaction.js'

describe('transactionControl()', () => {
  it('reads the control statements TypeORM and people send', () => {
    expect(transactionControl('START TRANSACTION')).toEqual({ kind: 'begin' })
    expect(transactionControl('begin')).toEqual({ kind: 'begin' })
    expect(transactionControl('COMMIT')).toEqual({ kind: 'commit' })
    expect(transactionControl('ROLLBACK')).toEqual({ kind: 'rollback' })
    expect(transactionControl('SAVEPOINT typeorm_1')).toEqual({ kind: 'savepoint', name: 'typeorm_1' })
    expect(transactionControl('RELEASE SAVEPOINT typeorm_1')).toEqual({ kind: 'release', name: 'typeorm_1' })
    expect(transactionControl('ROLLBACK TO SAVEPOINT "Sp"')).toEqual({ kind: 'rollback-to', name: 'Sp' })
    expect(transactionControl('ROLLBACK TO sp')).toEqual({ kind: 'rollback-to', name: 'sp' })
  })

  it('returns undefined for everything else', () => {
    expect(transactionControl('SELECT 1')).toBeUndefined()
    expect(transactionControl('UPDATE beginnings SET x = 1')).toBeUndefined()
    expect(transactionControl("COMMIT PREPARED 'x'")).toBeUndefined()
  })
})

describe('RunnerTransaction', () => {
  const t = (sql: string) => transactionControl(sql)!

  it('add() returns false outside a transaction', () => {
    expect(new RunnerTransaction('postgres').add(['table:a'], false)).toBe(false)
  })

  it('apply(COMMIT) returns the whole transaction, savepoints included', () => {
    const tx = new RunnerTransaction('postgres')
    tx.apply(t('BEGIN'), true)
    tx.add(['table:a'], false)
    tx.apply(t('SAVEPOINT s1'), true)
    tx.add(['table:b'], false)
    expect(tx.apply(t('COMMIT'), true)).toEqual({ tags: ['table:a', 'table:b'], everything: false })
    expect(tx.active).toBe(false)
  })

  it('apply(ROLLBACK TO) drops the writes after the savepoint, which stays open', () => {
    const tx = new RunnerTransaction('postgres')
    tx.apply(t('BEGIN'), true)
    tx.apply(t('SAVEPOINT s1'), true)
    tx.add(['table:a'], false)
    tx.apply(t('SAVEPOINT s2'), true)
    tx.add(['table:b'], true)
    tx.apply(t('ROLLBACK TO SAVEPOINT s1'), true)
    tx.add(['table:c'], false)
    tx.apply(t('RELEASE SAVEPOINT s1'), true)
    expect(tx.apply(t('COMMIT'), true)).toEqual({ tags: ['table:c'], everything: false })
  })

  it('a failed COMMIT still returns the invalidations (conservative)', () => {
    const tx = new RunnerTransaction('postgres')
    tx.apply(t('BEGIN'), true)
    tx.add(['table:a'], false)
    expect(tx.apply(t('COMMIT'), false)).toEqual({ tags: ['table:a'], everything: false })
  })

  it('BEGIN inside a transaction commits on MySQL and is ignored on PostgreSQL', () => {
    const my = new RunnerTransaction('mysql')
    my.apply(t('BEGIN'), true)
    my.add(['table:a'], false)
    expect(my.apply(t('BEGIN'), true)).toEqual({ tags: ['table:a'], everything: false })
    expect(my.active).toBe(true)
    const pg = new RunnerTransaction('postgres')
    pg.apply(t('BEGIN'), true)
    pg.add(['table:a'], false)
    expect(pg.apply(t('BEGIN'), true)).toBeUndefined()
    expect(pg.apply(t('COMMIT'), true)).toEqual({ tags: ['table:a'], everything: false })
  })

  it('ROLLBACK and reset() forget everything', () => {
    const tx = new RunnerTransaction('postgres')
    tx.apply(t('BEGIN'), true)
    tx.add(['table:a'], false)
    tx.apply(t('ROLLBACK'), true)
    expect(tx.active).toBe(false)
    expect(tx.apply(t('COMMIT'), true)).toBeUndefined()
  })

  it('implicitCommit() returns the open transaction and leaves none open', () => {
    const tx = new RunnerTransaction('mysql')
    tx.apply(t('START TRANSACTION'), true)
    tx.add(['table:a'], false)
    expect(tx.implicitCommit()).toEqual({ tags: ['table:a'], everything: false })
    expect(tx.active).toBe(false)
    expect(tx.add(['table:b'], false)).toBe(false)
    expect(tx.apply(t('COMMIT'), true)).toBeUndefined()
  })
})
